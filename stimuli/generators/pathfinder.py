"""``pathfinder``: the contour-integration task of Linsley et al. (2018), with no shortcut.

Each image holds two long paths of ``path_length`` paddles, distractor paths and
two markers. The label is 1 when both markers sit on the two ends of one long
path and 0 when they sit on an end of each. Scenes are built without knowing
their label and the second marker's two possible places are equally far from
the first (:mod:`~chronoscore.stimuli.generators.path_layout`), so the distance
between the markers, the ink, the number of path ends and the markers'
positions are distributed alike in both classes: only following the path
tells them apart (``tests/stimuli/test_pathfinder_shortcuts.py``). Even-numbered
images are positive, odd ones negative.

The statistics are those of the authors' generator (github
``drewlinsley/pathfinder``: ``snakes2.py`` and the settings of
``snakes2_wrapper.py``, which draws the published sets in 300-pixel images),
scaled by ``size / 300`` (:class:`~chronoscore.stimuli.generators.path_geometry.PaddleSizes`):

============================  =================  ==============  ================================
quantity                      authors (300 px)   150 px          floor (small images)
============================  =================  ==============  ================================
paddle length                 5                  2.5             2
paddle thickness              2                  1               1
margin (gap = 2 x margin)     3                  1.5             0.75
marker radius                 5                  2.5             1.5
seed distance (a0 to b0)      27                 13.5            r + 3 margin + thickness
border padding                22                 11              r + 1
turn density                  cos(1.8 t)^2, |t| < 50°  (continuity 1.8)
path lengths (paddles)        6, 9, 14 (Linsley et al. 2018); 20, 25 (harder versions)
distractors                   30 // (L // 3) paths of L // 3 paddles (15, 10, 7, 5, 3)
============================  =================  ==============  ================================

The floors take over below about 100 px (at 48 px: paddles 2 px long, 1 px
thick, 1.5 px apart); paths of 20 or 25 paddles need about 100 and 150 px.
Differences from the authors' generator: B is placed by rotation so that the
two candidate marker distances are equal (the authors grow B from a random
start ``seed_distance`` away, which leaves the distances unequal); turns are
drawn from the continuity density directly rather than among the pixel
positions on a circle (no quantisation to whole pixels); a path is drawn whole
and refused if it comes too near itself, rather than grown paddle by paddle with
retries; distractors that do not fit are left out as in the authors' generator
(the table's ``distractors_placed``); no single-paddle distractors (the
authors' ``use_single_paddles`` is off for the published sets).

``task="segmentation"`` puts a single marker on A's start; the target is A's
pixel mask, given by :func:`pathfinder_masks`.

Paths and markers are white on black, anti-aliased. Image ``i`` depends only on
``(seed, i)`` (:mod:`~chronoscore.stimuli.generators.counter_random`), so it
does not depend on ``n`` or on the batch it is drawn in, and
:func:`pathfinder_scenes` rebuilds the geometry of every image of a set from its
table. Images are drawn :data:`BATCH` at a time with array operations.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from chronoscore.errors import ConfigError, DataFormatError
from chronoscore.stimuli.generators.path_geometry import PaddleSizes
from chronoscore.stimuli.generators.path_layout import PathScene, SceneBatch, layout_scenes
from chronoscore.stimuli.generators.path_render import draw_discs, draw_paddles
from chronoscore.stimuli.generators.random_streams import check_seed
from chronoscore.stimuli.generators.registry import register_generator
from chronoscore.stimuli.stimulus_set import StimulusSet

__all__ = ["PATH_LENGTHS", "DISTRACTOR_PADDLES", "GENERATOR_VERSION", "BATCH", "Task", "pathfinder_stimuli",
           "pathfinder_chunk", "pathfinder_images", "pathfinder_settings", "pathfinder_scenes", "pathfinder_masks"]

PATH_LENGTHS = (6, 9, 14, 20, 25)
"""Path lengths (paddles) of the published pathfinder versions."""
DISTRACTOR_PADDLES = 30
"""Paddles spent on distractor paths by default (the authors' ``30 / distractor_length`` paths)."""
GENERATOR_VERSION = 2
"""Version of the images: 2 since the marker distances are matched (version 1 had a marker-distance shortcut)."""
BATCH = 256
"""Images drawn together."""
_MIN_SIZE = 32
_MAX_FILL = 0.5

Task = Literal["classification", "segmentation"]
_TASKS = ("classification", "segmentation")
_GEOMETRY_COLUMNS = ("seed", "image_index", "task", "path_length", "distractor_length", "n_distractors")


@register_generator("pathfinder", default_n=500, default_size=150, version=GENERATOR_VERSION)
def pathfinder_stimuli(n: int, size: int, seed: int, *, path_length: int = 14, n_distractors: int | None = None,
                       task: Task = "classification") -> StimulusSet:
    """``n`` pathfinder images.

    Parameters
    ----------
    n : int
        Number of images.
    size : int
        Image side in pixels (default 150, at least 32); paddles scale with it.
    seed : int
    path_length : int
        Paddles per long path (2 to 25; the published versions use :data:`PATH_LENGTHS`).
    n_distractors : int, optional
        Distractor paths (of ``max(2, path_length // 3)`` paddles); by default
        ``DISTRACTOR_PADDLES // distractor_length``.
    task : {"classification", "segmentation"}

    Returns
    -------
    StimulusSet
        ``pixels`` (n, size, size, 3) uint8 and the table of :func:`pathfinder_images`.

    Raises
    ------
    ConfigError
        For a bad option, or paths that do not fit into the image.
    """
    settings = pathfinder_settings(size, seed, path_length, n_distractors, task)
    return _stimulus_set(seed, np.arange(n), size, settings, _identifier(seed, settings))


def pathfinder_chunk(seed: int, start: int, stop: int, size: int, *, path_length: int = 14,
                     n_distractors: int | None = None, task: Task = "classification") -> StimulusSet:
    """Images ``start`` to ``stop - 1`` of the set :func:`pathfinder_stimuli` makes with these options.

    The identifier is the whole set's with ``.images<start>-<stop - 1>`` appended.
    """
    settings = pathfinder_settings(size, seed, path_length, n_distractors, task)
    identifier = f"{_identifier(seed, settings)}.images{start}-{stop - 1}"
    return _stimulus_set(seed, np.arange(start, stop), size, settings, identifier)


def pathfinder_images(seed: int, indices: np.ndarray, size: int, settings: dict) -> tuple[np.ndarray, pd.DataFrame]:
    """Images ``indices`` of a pathfinder set, one grey channel.

    Parameters
    ----------
    seed : int
    indices : (N,) int array
        Image numbers (any subset: image ``i`` is the same in every set of this seed).
    size : int
    settings : dict
        From :func:`pathfinder_settings`.

    Returns
    -------
    grey : (N, size, size) uint8 array
    table : pandas.DataFrame
        ``stimulus_id``, ``label`` (1 = markers connected; classification only), ``task``,
        ``path_length``, ``distractor_length``, ``n_distractors`` (asked for),
        ``distractors_placed``, the marker centres ``marker1_x``, ``marker1_y``,
        ``marker2_x``, ``marker2_y`` in pixels (x along columns, y down the rows; the
        centre of pixel (r, c) is (c + 0.5, r + 0.5); marker 2 is NaN for
        segmentation), ``seed``, ``image_index`` and ``generator_version``.
    """
    indices = np.asarray(indices, dtype=np.int64)
    grey = np.zeros((len(indices), size, size), dtype=np.uint8)
    tables = []
    for begin in range(0, len(indices), BATCH):
        chunk = indices[begin:begin + BATCH]
        scenes = layout_scenes(seed, chunk, size, **_layout_options(settings))
        markers = _markers(scenes, chunk, settings["task"])
        canvas = _render(scenes, markers, size)
        grey[begin:begin + len(chunk)] = np.round(canvas * 255).astype(np.uint8)
        tables.append(_table(scenes, markers, seed, chunk, settings))
    return grey, pd.concat(tables, ignore_index=True)


def pathfinder_settings(size: int, seed: int, path_length: int, n_distractors: int | None, task: str) -> dict:
    """Checked settings of a pathfinder set (``task``, ``path_length``, ``distractor_length``, ``n_distractors``).

    Raises
    ------
    ConfigError
        For a bad value, or more paddles than the image can hold.
    """
    check_seed(seed)
    if size < _MIN_SIZE:
        raise ConfigError(f"pathfinder images need at least {_MIN_SIZE} pixels, got size={size}.")
    if task not in _TASKS:
        raise ConfigError(f"task must be one of {', '.join(_TASKS)}, got {task!r}.")
    if not _is_int(path_length) or not 2 <= path_length <= max(PATH_LENGTHS):
        raise ConfigError(f"path_length must be an integer from 2 to {max(PATH_LENGTHS)}, got {path_length!r}; "
                          f"the published versions use {PATH_LENGTHS}.")
    distractor_length = max(2, int(path_length) // 3)
    if n_distractors is None:
        n_distractors = DISTRACTOR_PADDLES // distractor_length
    if not _is_int(n_distractors) or n_distractors < 0:
        raise ConfigError(f"n_distractors must be a non-negative integer or None, got {n_distractors!r}.")
    sizes = PaddleSizes.for_image(size)
    # Each paddle claims a strip one step long and one clearance wide; random placement jams long
    # before the strips tile the image, so refuse at once when they would fill over half of it.
    paddles = 2 * path_length + n_distractors * distractor_length
    if paddles * sizes.step * sizes.clearance > _MAX_FILL * (size - 2 * sizes.padding) ** 2:
        raise ConfigError(f"could not fit 2 paths of {path_length} paddles and {n_distractors} distractors of "
                          f"{distractor_length} into a {size}-pixel image; lower n_distractors or path_length, or "
                          "raise the image size.")
    return {"task": task, "path_length": int(path_length), "distractor_length": distractor_length,
            "n_distractors": int(n_distractors)}


def pathfinder_scenes(stimuli: StimulusSet) -> list[PathScene]:
    """Rebuild the geometry of every image of a set made by :func:`pathfinder_stimuli`.

    Raises
    ------
    DataFormatError
        If the set lacks the pathfinder columns or in-memory pixels, or the rebuilt
        markers differ from the table's (the set was not made by this generator).
    """
    table = stimuli.table
    missing = [column for column in (*_GEOMETRY_COLUMNS, "marker1_x", "marker1_y") if column not in table.columns]
    if missing or stimuli.pixels is None:
        raise DataFormatError(f"stimulus set {stimuli.identifier!r} is not a pathfinder set (missing "
                              f"{', '.join(missing) or 'in-memory pixels'}); make it with generate('pathfinder').")
    size = stimuli.pixels.shape[1]
    scenes: list[PathScene | None] = [None] * len(table)
    for (seed, task, *layout), rows in table.groupby(["seed", "task", *_GEOMETRY_COLUMNS[3:]]).indices.items():
        settings = dict(zip(_GEOMETRY_COLUMNS[2:], (task, *(int(value) for value in layout))))
        indices = table["image_index"].to_numpy()[rows]
        batch = layout_scenes(int(seed), indices, size, **_layout_options(settings))
        for place, (row, index) in enumerate(zip(rows, indices)):
            scene = batch.scene(place, _marker_ends(int(index), task))
            if not np.allclose(scene.markers[0], table[["marker1_x", "marker1_y"]].to_numpy()[row]):
                raise DataFormatError(f"stimulus {table['stimulus_id'].iloc[row]!r}: its marker is not where the "
                                      "generator puts it; the set was changed after generation; regenerate it.")
            scenes[row] = scene
    return scenes


def pathfinder_masks(stimuli: StimulusSet) -> np.ndarray:
    """Pixel masks of the path under the first marker, one per image.

    A pixel belongs to the mask when that path's paddles cover at least half of
    it (the marker disc itself is not part of the mask).

    Returns
    -------
    (N, H, W) bool array, in table order
    """
    scenes = pathfinder_scenes(stimuli)
    size = stimuli.pixels.shape[1]
    canvas = np.zeros((len(scenes), size, size), dtype=np.float32)
    paddles = np.stack([scene.paths[scene.marker_paths[0]] for scene in scenes])
    owners = np.repeat(np.arange(len(scenes)), paddles.shape[1])
    flat = paddles.reshape(-1, 2, 2)
    draw_paddles(canvas, owners, flat[:, 0], flat[:, 1], scenes[0].sizes.width if scenes else 1.0)
    return canvas >= 0.5


def _identifier(seed: int, settings: dict) -> str:
    return f"chronoscore.pathfinder.v{GENERATOR_VERSION}.{settings['task']}.length{settings['path_length']}.seed{seed}"


def _stimulus_set(seed: int, indices: np.ndarray, size: int, settings: dict, identifier: str) -> StimulusSet:
    """The images ``indices`` as a stimulus set with three equal channels."""
    grey, table = pathfinder_images(seed, indices, size, settings)
    return StimulusSet(table, identifier=identifier, degrees=8.0, pixels=np.repeat(grey[..., None], 3, axis=-1))


def _layout_options(settings: dict) -> dict:
    return {name: settings[name] for name in ("path_length", "distractor_length", "n_distractors")}


def _marker_ends(index: int, task: str) -> tuple[int, ...]:
    """Ends carrying markers (0: A's start, 1: A's end, 2: B's end): positive for even ``index``."""
    if task == "segmentation":
        return (0,)
    return (0, 1) if index % 2 == 0 else (0, 2)


def _markers(scenes: SceneBatch, indices: np.ndarray, task: str) -> np.ndarray:
    """(B, M, 2) marker centres of a batch."""
    if task == "segmentation":
        return scenes.ends[:, :1]
    second = np.where(indices % 2 == 0, 1, 2)
    return np.stack([scenes.ends[:, 0], scenes.ends[np.arange(len(indices)), second]], axis=1)


def _render(scenes: SceneBatch, markers: np.ndarray, size: int) -> np.ndarray:
    """(B, size, size) float32 coverage of a batch's paths and markers."""
    count = len(markers)
    canvas = np.zeros((count, size, size), dtype=np.float32)
    long_paddles = scenes.long_paths.reshape(count, -1, 2, 2)
    distractor_paddles = scenes.distractors.reshape(count, -1, 2, 2)
    shown = np.repeat(scenes.placed, scenes.distractors.shape[2], axis=1)
    owners = np.concatenate([np.repeat(np.arange(count), long_paddles.shape[1]), np.nonzero(shown)[0]])
    paddles = np.concatenate([long_paddles.reshape(-1, 2, 2), distractor_paddles[shown]])
    draw_paddles(canvas, owners, paddles[:, 0], paddles[:, 1], scenes.sizes.width)
    draw_discs(canvas, np.repeat(np.arange(count), markers.shape[1]), markers.reshape(-1, 2),
               scenes.sizes.marker_radius)
    return canvas


def _table(scenes: SceneBatch, markers: np.ndarray, seed: int, indices: np.ndarray, settings: dict) -> pd.DataFrame:
    """Table rows of a batch."""
    task = settings["task"]
    second = markers[:, 1] if markers.shape[1] > 1 else np.full((len(indices), 2), np.nan)
    columns = {"stimulus_id": [f"pathfinder-{task}-{seed}-{index:06d}" for index in indices]}
    if task == "classification":
        columns["label"] = (indices % 2 == 0).astype(np.int64)
    columns.update({name: [value] * len(indices) for name, value in settings.items()})
    columns.update({"distractors_placed": scenes.placed.sum(axis=1), "marker1_x": markers[:, 0, 0],
                    "marker1_y": markers[:, 0, 1], "marker2_x": second[:, 0], "marker2_y": second[:, 1],
                    "seed": seed, "image_index": indices, "generator_version": GENERATOR_VERSION})
    return pd.DataFrame(columns)


def _is_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))
