"""Training curves: loss and accuracy against training step, train and validation, per run.

Reads saved results only: the ``metrics.csv`` of each training run folder
written by :func:`chronoscore.models.training.train` (columns
:data:`chronoscore.models.training.metrics.METRIC_COLUMNS`; this figure uses
``step``, ``phase`` (``train`` or ``val``), ``loss`` and ``accuracy``), and the
run's ``summary.json`` (its ``model``) for the legend when present.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from chronoscore.errors import FileFormatError
from chronoscore.figures.registry import figure
from chronoscore.figures.result_files import TableSchema, read_json_object, read_table
from chronoscore.figures.style import (ACCURACY_LABEL, FONT_SIZE, LOSS_LABEL, SMALL_FONT_SIZE, TRAINING_STEP_LABEL,
                                       model_colours, new_figure, paper_style, style_axes)

__all__ = ["training_curves", "METRICS_FILE", "METRICS_SCHEMA", "run_label"]

METRICS_FILE = "metrics.csv"

METRICS_SCHEMA = TableSchema(
    name="training metrics",
    columns={"step": "integer", "phase": "text", "loss": "number", "accuracy": "number"},
    producer="chronoscore train (models/training/trainer.py)",
)
"""The columns of ``metrics.csv`` this figure reads."""

_PHASES = {"train": "solid", "val": (0, (3, 1.5))}


@figure("training_curves", needs="training_runs", caption="Training curves", colours=True)
def training_curves(run_folders: Sequence[str | os.PathLike], labels: Sequence[str] | None = None,
                    colours: Mapping[str, str] | None = None) -> Figure:
    """Loss (left) and accuracy (right) against step; a colour per model, solid train, dashed validation.

    Parameters
    ----------
    run_folders : sequence of path-like
        Training run folders (or their ``metrics.csv`` files).
    labels : sequence of str, optional
        Legend entry of each run (default :func:`run_label`, its model); runs
        sharing a label (e.g. seeds of one model) share its colour and entry.
    colours : mapping of label to colour, optional

    Returns
    -------
    matplotlib.figure.Figure
        Two panels; in each, one line per run and phase present in its metrics,
        and a legend entry per distinct label.
    """
    folders = [Path(folder).parent if Path(folder).suffix == ".csv" else Path(folder) for folder in run_folders]
    tables = [_read_metrics(folder) for folder in folders]
    labels = list(labels) if labels is not None else [run_label(folder) for folder in folders]
    colours = model_colours(labels, colours)
    with paper_style():
        legend_rows = -(-(len(set(labels)) + len(_PHASES)) // 2)
        figure, axes = new_figure(1, 2, height=1.9 + 0.16 * legend_rows, sharex=True)
        for table, label in zip(tables, labels):
            for phase, linestyle in _PHASES.items():
                rows = table[table["phase"] == phase]
                for axis, column in zip(axes, ("loss", "accuracy")):
                    axis.plot(rows["step"], rows[column], color=colours[label], linestyle=linestyle,
                              marker="o" if phase == "val" else None, markersize=2.5)
        for axis, name in zip(axes, (LOSS_LABEL, ACCURACY_LABEL)):
            axis.set_ylabel(name)
            style_axes(axis)
        axes[1].set_ylim(0, 1)
        figure.supxlabel(TRAINING_STEP_LABEL, fontsize=FONT_SIZE)
        handles = [Line2D([], [], color=colours[label], label=label) for label in dict.fromkeys(labels)]
        handles += [Line2D([], [], color="0.3", linestyle=style, marker="o" if phase == "val" else None,
                           markersize=2.5, label=phase) for phase, style in _PHASES.items()]
        figure.legend(handles=handles, loc="outside upper center", ncol=min(2, len(handles)),
                      fontsize=SMALL_FONT_SIZE, frameon=False)
    return figure


def run_label(folder: str | os.PathLike) -> str:
    """The run's model name from its ``summary.json``, else the folder's name."""
    folder = Path(folder)
    if (folder / "summary.json").is_file():
        model = read_json_object(folder / "summary.json", "training summary",
                                 "it is written by chronoscore train at the end of a run.").get("model")
        if isinstance(model, str) and model:
            return model
    return folder.name


def _read_metrics(folder: Path) -> pd.DataFrame:
    table = read_table(folder / METRICS_FILE, METRICS_SCHEMA)
    if not table["phase"].isin(list(_PHASES)).any():
        raise FileFormatError(f"{folder / METRICS_FILE}: no row has phase 'train' or 'val' (found "
                              f"{sorted(set(table['phase']))}); nothing to draw.")
    return table

