"""The ``pathfinder`` generator (Linsley et al. 2018): labels checked against the generator's own
geometry with an independent distance computation, the pixels against the geometry, and the
geometry against the rules of the authors' generator (github drewlinsley/pathfinder, written
out here independently). Shortcuts: ``test_pathfinder_shortcuts.py``."""

import numpy as np
import pandas as pd
import pytest
from scipy import ndimage

from chronoscore.errors import ConfigError, DataFormatError
from chronoscore.stimuli.generators.path_geometry import PaddleSizes
from chronoscore.stimuli.generators.pathfinder import (pathfinder_images, pathfinder_masks, pathfinder_scenes,
                                                       pathfinder_settings)
from chronoscore.stimuli.generators.registry import generate
from chronoscore.stimuli.stimulus_set import StimulusSet

LIT = 128  # a pixel at least half covered by a paddle or marker


def distance_to_paddles(point: np.ndarray, paddles: np.ndarray) -> float:
    """Smallest distance from ``point`` (2,) to the segments ``paddles`` (k, 2, 2), by projection."""
    start, end = paddles[:, 0], paddles[:, 1]
    along = end - start
    t = np.clip(((point - start) * along).sum(axis=1) / (along * along).sum(axis=1), 0, 1)
    return float(np.linalg.norm(start + t[:, None] * along - point, axis=1).min())


def paths_under(point: np.ndarray, scene) -> set[int]:
    """Indices of the paths whose paddle chain passes within half a paddle width of ``point``."""
    return {number for number, path in enumerate(scene.paths)
            if distance_to_paddles(point, path) <= scene.sizes.width / 2 + 1e-9}


@pytest.fixture(scope="module")
def sets() -> dict[int, StimulusSet]:
    """Ten images of 150 px per path length, seeds differing per length."""
    return {length: generate("pathfinder", n=10, seed=length, path_length=length) for length in (6, 9, 14, 20, 25)}


def test_same_seed_gives_identical_bytes_and_other_seeds_differ():
    first, again = (generate("pathfinder", n=4, size=96, seed=2, path_length=6) for _ in range(2))
    other = generate("pathfinder", n=4, size=96, seed=3, path_length=6)
    assert first.pixels.tobytes() == again.pixels.tobytes() and first.table.equals(again.table)
    assert not np.array_equal(first.pixels, other.pixels)
    prefix = generate("pathfinder", n=2, size=96, seed=2, path_length=6)
    np.testing.assert_array_equal(prefix.pixels, first.pixels[:2])


def test_an_image_is_the_same_in_any_batch():
    settings = pathfinder_settings(64, 5, 9, None, "classification")
    whole, table = pathfinder_images(5, np.arange(300), 64, settings)
    picked, picked_table = pathfinder_images(5, np.array([299, 3, 256, 255]), 64, settings)
    np.testing.assert_array_equal(picked, whole[[299, 3, 256, 255]])
    pd.testing.assert_frame_equal(picked_table, table.iloc[[299, 3, 256, 255]].reset_index(drop=True))


@pytest.mark.parametrize("n", [10, 7])
def test_classes_are_balanced(n):
    labels = generate("pathfinder", n=n, size=64, seed=0, path_length=6).table["label"]
    assert labels.sum() == (n + 1) // 2 and set(labels) == {0, 1}


def test_table_and_image_format(sets):
    stimuli = sets[14]
    assert stimuli.pixels.shape == (10, 150, 150, 3) and stimuli.pixels.dtype == np.uint8
    table = stimuli.table
    assert {"stimulus_id", "label", "path_length", "n_distractors", "marker1_x", "marker1_y", "marker2_x",
            "marker2_y"} <= set(table.columns)
    assert (table["path_length"] == 14).all() and (table["n_distractors"] == 7).all()
    assert (table["generator_version"] == 2).all() and (table["distractors_placed"] <= 7).all()
    assert stimuli.identifier == "chronoscore.pathfinder.v2.classification.length14.seed14"
    assert stimuli.pixels.max() == 255 and np.mean(stimuli.pixels == 0) > 0.8


def test_labels_match_the_geometry_of_the_paths(sets):
    for length, stimuli in sets.items():
        scenes = pathfinder_scenes(stimuli)
        for scene, row in zip(scenes, stimuli.table.itertuples()):
            assert len(scene.paths) == 2 + row.distractors_placed and row.distractors_placed <= row.n_distractors
            assert [len(path) for path in scene.paths[:2]] == [length, length]
            np.testing.assert_allclose(scene.markers, [[row.marker1_x, row.marker1_y], [row.marker2_x, row.marker2_y]])
            under = [paths_under(marker, scene) for marker in scene.markers]
            assert all(len(paths) == 1 for paths in under), "each marker sits on exactly one path"
            assert bool(under[0] & under[1]) == bool(row.label)
            for marker, paths in zip(scene.markers, under):
                path = scene.paths[paths.pop()]
                tips = np.array([path[0, 0], path[-1, 1]])
                assert np.linalg.norm(tips - marker, axis=1).min() < 1e-9, "markers sit on path ends"


def test_both_places_for_the_second_marker_are_equally_far_from_the_first(sets):
    other_sizes = [generate("pathfinder", n=6, size=size, seed=size, path_length=length)
                   for size, length in ((48, 6), (48, 14), (96, 20), (300, 9))]
    for stimuli in (*sets.values(), *other_sizes):
        for scene in pathfinder_scenes(stimuli):
            first = scene.markers[0]
            candidates = [scene.paths[0][-1, 1], scene.paths[1][-1, 1]]  # the far ends of the two long paths
            assert np.linalg.norm(scene.paths[0][0, 0] - first) < 1e-9, "the first marker sits on path 0's start"
            distances = [np.linalg.norm(end - first) for end in candidates]
            assert distances[0] == pytest.approx(distances[1], abs=1e-6)
            assert np.linalg.norm(scene.paths[1][0, 0] - first) == pytest.approx(scene.sizes.seed_distance)


def test_the_long_paths_also_fit_mirrored_about_the_bisector_of_their_far_ends(sets):
    """The construction keeps only pairs whose mirror image fits too, and mirrors half of them, so the
    two places of the second marker are distributed alike (exchangeable) even near the border."""
    for stimuli in (sets[14], sets[25]):
        size = stimuli.pixels.shape[1]
        for scene in pathfinder_scenes(stimuli):
            a0, a1, b1 = scene.paths[0][0, 0], scene.paths[0][-1, 1], scene.paths[1][-1, 1]
            bisector = (a1 - a0) / np.linalg.norm(a1 - a0) + (b1 - a0) / np.linalg.norm(b1 - a0)
            bisector /= np.linalg.norm(bisector)
            for path in scene.paths[:2]:
                offset = path.reshape(-1, 2) - a0
                mirrored = a0 + 2 * (offset @ bisector)[:, None] * bisector - offset
                assert mirrored.min() >= scene.sizes.padding - 1e-9
                assert mirrored.max() <= size - scene.sizes.padding + 1e-9
            reflected_a1 = a0 + 2 * ((a1 - a0) @ bisector) * bisector - (a1 - a0)
            np.testing.assert_allclose(reflected_a1, b1, atol=1e-9)


def test_the_pixels_show_the_scene_and_nothing_else(sets):
    for stimuli in (sets[6], sets[14]):
        for image, scene in zip(stimuli.pixels[..., 0], pathfinder_scenes(stimuli)):
            rows, columns = np.nonzero(image >= LIT)
            centres = np.stack([columns + 0.5, rows + 0.5], axis=1)
            paddles = np.concatenate(scene.paths)
            near_paddle = np.array([distance_to_paddles(point, paddles) for point in centres])
            near_marker = np.linalg.norm(centres[:, None] - scene.markers[None], axis=2).min(axis=1)
            assert np.all((near_paddle <= scene.sizes.width / 2 + 0.75) | (near_marker <= scene.sizes.marker_radius
                                                                          + 0.75))
            middles = paddles.mean(axis=1)
            lit = image[middles[:, 1].astype(int), middles[:, 0].astype(int)]
            assert np.mean(lit >= 64) > 0.9, "paddles show in the image"
            for x, y in scene.markers:
                assert image[int(y), int(x)] == 255


def test_paths_keep_apart_from_each_other_and_from_the_markers(sets):
    for stimuli in (sets[9], sets[25]):
        for scene in pathfinder_scenes(stimuli):
            sizes = scene.sizes
            samples = [np.concatenate([start + np.linspace(0, 1, 12)[:, None] * (end - start) for start, end in path])
                       for path in scene.paths]
            for number, path in enumerate(scene.paths):
                others = np.concatenate([points for other, points in enumerate(samples) if other != number])
                gaps = [distance_to_paddles(point, path) for point in others]
                assert min(gaps) >= sizes.width + 2 * sizes.margin - 1e-9
            marker_places = np.array([scene.paths[0][0, 0], scene.paths[0][-1, 1], scene.paths[1][-1, 1]])
            for place, own in zip(marker_places, (0, 0, 1)):
                for number, path in enumerate(scene.paths):
                    reach = sizes.marker_radius + 2 * sizes.margin + sizes.width / 2
                    if number != own:
                        assert distance_to_paddles(place, path) >= reach - 1e-9


def test_paths_are_chains_of_paddles_as_in_the_authors_generator(sets):
    """Each paddle pivots about a point one margin past the previous paddle's end and starts one margin
    past the pivot (snakes.py, extend_snake), so the gap is 2 * margin * cos(turn / 2); turns stay below 50°."""
    for stimuli in (sets[14], sets[25]):
        for scene in pathfinder_scenes(stimuli)[:4]:
            sizes = scene.sizes
            for path in scene.paths:
                direction = path[:, 1] - path[:, 0]
                np.testing.assert_allclose(np.linalg.norm(direction, axis=1), sizes.length)
                heading = np.arctan2(direction[:, 1], direction[:, 0])
                turns = np.angle(np.exp(1j * np.diff(heading)))
                assert np.abs(turns).max() < np.deg2rad(50)
                pivots = path[:-1, 1] + sizes.margin * direction[:-1] / sizes.length
                np.testing.assert_allclose(path[1:, 0], pivots + sizes.margin * direction[1:] / sizes.length)
                gaps = np.linalg.norm(path[1:, 0] - path[:-1, 1], axis=1)
                np.testing.assert_allclose(gaps, 2 * sizes.margin * np.cos(turns / 2))


def test_segmentation_masks_cover_the_marked_path_only():
    stimuli = generate("pathfinder", n=6, seed=4, path_length=9, task="segmentation")
    table = stimuli.table
    assert "label" not in table.columns and table["marker2_x"].isna().all()
    masks = pathfinder_masks(stimuli)
    assert masks.shape == (6, 150, 150) and masks.dtype == bool
    rows, columns = np.indices(masks.shape[1:])
    for image, mask, scene in zip(stimuli.pixels[..., 0], masks, pathfinder_scenes(stimuli)):
        assert len(scene.markers) == 1 and scene.marker_paths == (0,)
        marked = scene.paths[0]
        centres = np.stack([columns[mask] + 0.5, rows[mask] + 0.5], axis=1)
        assert mask.any() and all(distance_to_paddles(point, marked) <= scene.sizes.width / 2 + 0.5
                                  for point in centres)
        for middle in marked.mean(axis=1):
            assert np.linalg.norm(centres - middle, axis=1).min() <= 1.0, "every paddle of the path is in the mask"
        assert (image[mask] >= LIT).all(), "the mask lies on lit pixels"
        assert ndimage.label(mask)[1] > 4, "the paddles of the mask are separate dashes"


def test_turns_follow_the_authors_continuity_density():
    """Histogram of the turns between consecutive paddles (10° bins) against density cos(1.8 t)**2 on
    |t| < 50° (snakes.py, get_coords_cmf, continuity 1.8), by total variation distance; the first
    generator's rule (uniform within ±30°) fails the same comparison."""
    stimuli = generate("pathfinder", n=200, size=150, seed=8, path_length=9)
    turns = []
    for scene in pathfinder_scenes(stimuli):
        for path in scene.paths:
            direction = path[:, 1] - path[:, 0]
            turns.extend(np.angle(np.exp(1j * np.diff(np.arctan2(direction[:, 1], direction[:, 0])))))
    assert len(turns) > 4000
    assert continuity_distance(np.array(turns)) < 0.03
    uniform = np.random.default_rng(0).uniform(-np.pi / 6, np.pi / 6, len(turns))
    assert continuity_distance(uniform) > 0.08


def continuity_distance(turns: np.ndarray) -> float:
    """Total variation distance between the 10° histogram of ``turns`` and the authors' turn density."""
    edges = np.deg2rad(np.arange(-50, 51, 10))
    fine = np.linspace(edges[0], edges[-1], 100001)
    density = np.cos(1.8 * fine) ** 2
    expected = np.array([density[(fine >= low) & (fine < high)].sum() for low, high in zip(edges[:-1], edges[1:])])
    expected /= expected.sum()
    observed = np.histogram(turns, bins=edges)[0] / len(turns)
    return float(np.abs(observed - expected).sum() / 2)


def test_sizes_scale_the_authors_300_pixel_settings():
    """snakes2_wrapper.py: paddle length 5, thickness 2, margin 3, marker radius 5, seed distance 27, padding 22."""
    authors = PaddleSizes.for_image(300)
    assert (authors.length, authors.width, authors.margin, authors.marker_radius, authors.seed_distance,
            authors.padding) == (5, 2, 3, 5, 27, 22)
    half = PaddleSizes.for_image(150)
    assert (half.length, half.width, half.margin, half.marker_radius, half.seed_distance, half.padding) == (
        2.5, 1, 1.5, 2.5, 13.5, 11)
    small = PaddleSizes.for_image(48)
    assert small.length >= 1.5 and small.width >= 1 and small.marker_radius >= 1.5


def test_sizes_are_settable():
    stimuli = generate("pathfinder", n=2, size=64, seed=1, path_length=6)
    assert stimuli.pixels.shape == (2, 64, 64, 3)
    assert generate("pathfinder", n=1, seed=0, path_length=6).pixels.shape == (1, 150, 150, 3)


def test_scenes_are_rebuilt_only_for_unchanged_pathfinder_sets(sets):
    stimuli = sets[6]
    moved = stimuli.table.copy()
    moved.loc[0, "marker1_x"] += 5
    with pytest.raises(DataFormatError, match="regenerate"):
        pathfinder_scenes(StimulusSet(moved, "moved", pixels=stimuli.pixels))
    with pytest.raises(DataFormatError, match="not a pathfinder set"):
        pathfinder_masks(generate("objects", n=2, size=16))


@pytest.mark.parametrize("options", [
    {"path_length": 1}, {"path_length": 26}, {"path_length": 6.5}, {"path_length": True},
    {"n_distractors": -1}, {"n_distractors": 2.0}, {"task": "detection"}, {"size": 16}, {"seed": -2},
    {"markers": 3},
])
def test_bad_options_raise_config_errors(options):
    with pytest.raises(ConfigError):
        generate("pathfinder", n=2, **{"size": 64, **options})


@pytest.mark.parametrize("options", [{"size": 64, "path_length": 25, "n_distractors": 40},
                                     {"size": 48, "path_length": 25, "n_distractors": 0}])
def test_paths_that_cannot_fit_raise_a_config_error(options):
    with pytest.raises(ConfigError, match="could not fit"):
        generate("pathfinder", n=1, **options)
