"""Every figure a results folder holds the inputs for: finding the inputs, then drawing each registered figure.

The figures come from the registry (:mod:`chronoscore.figures.registry`); each
needs one kind of input (the field of :class:`ResultInputs` of that name).
Inputs are recognised by file name or, for result tables, by their header,
anywhere under the searched folders (``checkpoints/``, ``tensorboard/`` and
hidden folders are not searched):

==========================  ==========================================  =========================================
input (kind)                recognised by                               built-in figures
==========================  ==========================================  =========================================
scored model                a folder with ``scores_per_bin.nc`` or      ``predictivity_timecourse``,
                            ``scores.nc``                               ``predictivity_bars``,
                                                                        ``predictivity_vs_parameters``
sweep                       ``sweep.json``                              ``predictivity_over_checkpoints``,
                                                                        ``top_models_timecourse`` (each)
step × bin scores           ``scores_matrix.nc``                        ``step_bin_heatmap_<folder>`` (each)
scores against a brain RDM  ``scores_per_step.nc``                      ``rdm_similarity_over_steps`` (each)
training run                ``metrics.csv``                             ``training_curves`` (all runs)
memory table                a CSV with columns                          ``memory_vs_steps``
                            ``algorithm,n_steps,peak_mb,device``
Pathfinder table            a CSV with columns ``model,path_length,``   ``pathfinder_accuracy``
                            ``accuracy,n_parameters,seed``
lesion table                a CSV with columns                          ``lesion_effects``
                            ``model,variant,accuracy,seed``
stimulus set                ``stimulus_<name>.csv``                     ``stimulus_sheet``
neural assembly             ``assembly.nc`` or ``*_assembly.nc``        ``neural_overview`` (with the
                                                                        ``ceilings.nc`` saved beside it)
comparison                  ``comparison.nc``                           (tables of the report only)
==========================  ==========================================  =========================================

A figure that appears several times (one per table, stimulus set or
assembly) gets its input's name appended when there is more than one. Scored
models scored with different metrics share no axis: each figure of scored
models is drawn once per metric, named ``<figure>_<metric>`` when there is
more than one. Every
model keeps one colour in all figures (:func:`gallery_colours`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from chronoscore.analyses.datasets.folder import ASSEMBLY_FILE
from chronoscore.analyses.rdm_scoring import RDM_TIME_MODE
from chronoscore.analyses.run_folder import (
    COMPARISON_FILE,
    PER_BIN_SCORES_FILE,
    SCORES_FILE,
    SWEEP_PLAN_FILE,
    is_scored_model,
    read_model_info,
    scores_file,
)
from chronoscore.analyses.scored_model import load_scored_model
from chronoscore.errors import ChronoscoreError, FileFormatError
from chronoscore.figures.lesion_effects import LESION_SCHEMA
from chronoscore.figures.memory_vs_steps import MEMORY_SCHEMA
from chronoscore.figures.pathfinder_accuracy import PATHFINDER_SCHEMA
from chronoscore.figures.registry import list_figures
from chronoscore.figures.result_files import matches_schema, read_table
from chronoscore.figures.score_scale import metric_name
from chronoscore.figures.style import model_colours
from chronoscore.figures.training_curves import METRICS_FILE, run_label

__all__ = ["ResultInputs", "PlannedFigure", "SkippedFigure", "find_inputs", "plan_figures", "draw",
           "gallery_colours"]

_NOT_SEARCHED = {"checkpoints", "tensorboard", "__pycache__"}
MATRIX_SCORES_FILE = scores_file(".", "matrix").name
STEP_SCORES_FILE = scores_file(".", RDM_TIME_MODE).name
_FIXED_NAMES = (MATRIX_SCORES_FILE, STEP_SCORES_FILE, ASSEMBLY_FILE)
_MISSING = {
    "scored_models": f"scored model ({PER_BIN_SCORES_FILE} or {SCORES_FILE})",
    "sweeps": f"sweep folder ({SWEEP_PLAN_FILE})",
    "training_runs": f"training run ({METRICS_FILE})",
    "matrix_scores": MATRIX_SCORES_FILE,
    "step_scores": f"scores against a brain RDM ({STEP_SCORES_FILE})",
    "memory_tables": "memory table (algorithm,n_steps,peak_mb,device)",
    "pathfinder_tables": "Pathfinder table (model,path_length,accuracy,...)",
    "lesion_tables": "lesion table (model,variant,accuracy,seed)",
    "stimulus_tables": "stimulus set (stimulus_<name>.csv)",
    "assemblies": f"neural assembly ({ASSEMBLY_FILE})",
}
"""What each input kind of :data:`~chronoscore.figures.registry.INPUT_KINDS` is, for the skipped figures' reasons."""


@dataclass(frozen=True)
class ResultInputs:
    """Paths of every input found, each list sorted.

    Attributes
    ----------
    scored_models : folders holding per-bin Scores
    sweeps : folders holding ``sweep.json``
    matrix_scores : ``scores_matrix.nc`` files
    step_scores : ``scores_per_step.nc`` files
    training_runs : folders holding ``metrics.csv``
    memory_tables, pathfinder_tables, lesion_tables : CSV files
    stimulus_tables : ``stimulus_<name>.csv`` files
    assemblies : assembly netCDF files
    comparisons : folders holding ``comparison.nc``
    """

    scored_models: list[Path] = field(default_factory=list)
    sweeps: list[Path] = field(default_factory=list)
    matrix_scores: list[Path] = field(default_factory=list)
    step_scores: list[Path] = field(default_factory=list)
    training_runs: list[Path] = field(default_factory=list)
    memory_tables: list[Path] = field(default_factory=list)
    pathfinder_tables: list[Path] = field(default_factory=list)
    lesion_tables: list[Path] = field(default_factory=list)
    stimulus_tables: list[Path] = field(default_factory=list)
    assemblies: list[Path] = field(default_factory=list)
    comparisons: list[Path] = field(default_factory=list)


@dataclass(frozen=True)
class PlannedFigure:
    """A figure whose inputs are present: ``draw()`` reads them and returns the Figure."""

    name: str
    caption: str
    inputs: tuple[Path, ...]
    draw: Callable[[], Figure] = field(repr=False)


@dataclass(frozen=True)
class SkippedFigure:
    """A figure not drawn, and why."""

    name: str
    reason: str


def find_inputs(*folders: str | os.PathLike) -> ResultInputs:
    """Search ``folders`` (recursively) for the inputs in the module docstring's table.

    Raises
    ------
    FileFormatError
        If a folder does not exist.
    """
    found = ResultInputs()
    for folder in folders:
        if not Path(folder).is_dir():
            raise FileFormatError(f"{folder}: no such folder; give the folder holding saved results.")
        for directory, names in _walk(Path(folder)):
            files = set(names)
            if is_scored_model(files):
                found.scored_models.append(directory)
            if SWEEP_PLAN_FILE in files:
                found.sweeps.append(directory)
            if MATRIX_SCORES_FILE in files:
                found.matrix_scores.append(directory / MATRIX_SCORES_FILE)
            if STEP_SCORES_FILE in files:
                found.step_scores.append(directory / STEP_SCORES_FILE)
            if METRICS_FILE in files:
                found.training_runs.append(directory)
            if COMPARISON_FILE in files:
                found.comparisons.append(directory)
            for name in names:
                _sort_file(directory / name, found)
    return found


def plan_figures(inputs: ResultInputs, options: Mapping[str, Any] | None = None
                 ) -> tuple[list[PlannedFigure], list[SkippedFigure]]:
    """The registered figures ``inputs`` allow, and those they do not (naming the input that is missing).

    ``options`` (e.g. ``{"top": 3}``) are handed to each figure that names them among its ``options``.
    """
    colours = gallery_colours(inputs)
    options = dict(options or {})
    planned: list[PlannedFigure] = []
    skipped: list[SkippedFigure] = []
    for spec in list_figures():
        paths = getattr(inputs, spec.needs)
        if not paths:
            skipped.append(SkippedFigure(spec.name, f"no {_MISSING[spec.needs]} found"))
            continue
        chosen = {name: options[name] for name in spec.options if name in options}
        drawer = partial(spec.draw, colours=colours, **chosen) if spec.colours else partial(spec.draw, **chosen)
        if not spec.each:
            for metric, group in _by_metric(paths) if spec.needs == "scored_models" else [(None, paths)]:
                name, caption = (spec.name, spec.caption) if metric is None else (f"{spec.name}_{metric}",
                                                                                  f"{spec.caption} ({metric})")
                planned.append(PlannedFigure(name, caption, tuple(group), partial(drawer, group)))
            continue
        for path, name in zip(paths, _names(spec.name, paths, always=spec.always_suffixed)):
            planned.append(PlannedFigure(name, f"{spec.caption} ({_source(path)})", (path,), partial(drawer, path)))
    return planned, skipped


def draw(figure: PlannedFigure) -> Figure | SkippedFigure:
    """The drawn figure, or why it could not be drawn (a chronoscore error reading its inputs)."""
    try:
        return figure.draw()
    except ChronoscoreError as error:
        return SkippedFigure(figure.name, str(error))


def gallery_colours(inputs: ResultInputs) -> dict[str, str]:
    """One colour per model name over all inputs: scored models, training runs, then the tables' models."""
    names = [_model_name(folder) for folder in inputs.scored_models]
    names += [_quietly(run_label, folder) for folder in inputs.training_runs]
    for schema, tables in ((PATHFINDER_SCHEMA, inputs.pathfinder_tables), (LESION_SCHEMA, inputs.lesion_tables)):
        for table in tables:
            names += list(_quietly(partial(_table_models, schema=schema), table, default=[]))
    return model_colours(name for name in names if name)


def _by_metric(folders: list[Path]) -> list[tuple[str | None, list[Path]]]:
    """The scored models' folders grouped by the metric of their Scores, as (metric, folders) in order of first
    appearance; the metric is None when all share one (a folder whose Scores cannot be read joins the first group,
    whose figure then reports it)."""
    metrics = [_quietly(lambda folder: metric_name(load_scored_model(folder).scores), folder) for folder in folders]
    named = list(dict.fromkeys(metric for metric in metrics if metric is not None))
    if len(named) <= 1:
        return [(None, folders)]
    groups = {metric: [] for metric in named}
    for folder, metric in zip(folders, metrics):
        groups[metric or named[0]].append(folder)
    return list(groups.items())


def _walk(folder: Path) -> Iterator[tuple[Path, list[str]]]:
    """(directory, file names) under ``folder``, sorted, skipping folders that hold no results."""
    for directory, subfolders, files in os.walk(folder):
        subfolders[:] = sorted(name for name in subfolders if name not in _NOT_SEARCHED and not name.startswith("."))
        yield Path(directory), sorted(files)


def _sort_file(path: Path, found: ResultInputs) -> None:
    """Append ``path`` to the list of ``found`` its name or header marks it for, if any."""
    name = path.name
    if name.startswith("stimulus_") and name.endswith(".csv"):
        found.stimulus_tables.append(path)
    elif name == ASSEMBLY_FILE or name.endswith("_" + ASSEMBLY_FILE):
        found.assemblies.append(path)
    elif name.endswith(".csv") and name != METRICS_FILE:
        for schema, tables in ((MEMORY_SCHEMA, found.memory_tables), (PATHFINDER_SCHEMA, found.pathfinder_tables),
                               (LESION_SCHEMA, found.lesion_tables)):
            if matches_schema(path, schema):
                tables.append(path)
                break


def _names(base: str, paths: list[Path], always: bool = False) -> list[str]:
    """``base`` alone for one input, else ``base_<input name>`` (the folder's name for fixed file names)."""
    if len(paths) == 1 and not always:
        return [base]
    names = [f"{base}_{path.parent.name if path.name in _FIXED_NAMES else path.stem}" for path in paths]
    return [name if names.count(name) == 1 else f"{name}_{index}" for index, name in enumerate(names)]


def _source(path: Path) -> str:
    """A short name of an input: its folder for fixed file names, else its file name."""
    return path.parent.name if path.name in _FIXED_NAMES else path.name


def _model_name(folder: Path) -> str | None:
    name = _quietly(read_model_info, folder, default={}).get("model")
    return name or _quietly(lambda path: load_scored_model(path).name, folder)


def _table_models(path: Path, schema) -> list[str]:
    return list(read_table(path, schema)["model"].unique())


def _quietly(function, path: Path, default=None):
    """``function(path)``, or ``default`` when its file is malformed (the figure reports that later)."""
    try:
        return function(path)
    except ChronoscoreError:
        return default
