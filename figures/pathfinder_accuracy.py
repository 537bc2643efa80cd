"""Pathfinder accuracy against path length, one line per model.

Reads saved results only: a CSV table with a header row and the columns

``model,path_length,accuracy,n_parameters,seed``

one row per model × path length × seed: ``model`` (text), ``path_length``
(paddles, whole number), ``accuracy`` (fraction of test images classified
correctly, 0–1), ``n_parameters`` (trainable parameters of the model, whole
number, the same in all of its rows), ``seed`` (whole number).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from matplotlib.figure import Figure

from chronoscore.errors import FileFormatError
from chronoscore.figures.registry import figure
from chronoscore.figures.result_files import TableSchema, check_unique_rows, mean_over_seeds, read_table
from chronoscore.figures.style import (ACCURACY_LABEL, PATH_LENGTH_LABEL, figure_legend, model_colours, new_figure,
                                       paper_style, style_axes)

__all__ = ["pathfinder_accuracy", "PATHFINDER_SCHEMA"]

PATHFINDER_SCHEMA = TableSchema(
    name="Pathfinder accuracy",
    columns={"model": "text", "path_length": "integer", "accuracy": "number", "n_parameters": "integer",
             "seed": "integer"},
    producer="the Pathfinder evaluation (columns model,path_length,accuracy,n_parameters,seed)",
)

CHANCE = 0.5
"""Accuracy of guessing on the two-class Pathfinder task."""


@figure("pathfinder_accuracy", needs="pathfinder_tables", caption="Pathfinder accuracy against path length",
        each=True, colours=True)
def pathfinder_accuracy(table_file: str | os.PathLike, colours: Mapping[str, str] | None = None) -> Figure:
    """Mean accuracy over seeds (± s.d. as error bars) against path length, a line per model.

    Parameters
    ----------
    table_file : path-like
        The CSV table described in the module docstring.
    colours : mapping of model name to colour, optional

    Returns
    -------
    matplotlib.figure.Figure
        One axes: a line per model, labelled with its parameter count, and a
        dotted line at chance (0.5).

    Raises
    ------
    FileFormatError
        A missing or malformed table, a repeated model × path length × seed, an
        accuracy outside 0–1, or a model with two parameter counts.
    """
    table = read_table(table_file, PATHFINDER_SCHEMA)
    check_unique_rows(table, ["model", "path_length", "seed"], table_file)
    outside = table[(table["accuracy"] < 0) | (table["accuracy"] > 1)]
    if len(outside):
        raise FileFormatError(f"{table_file}: accuracy must be a fraction from 0 to 1; line {outside.index[0] + 2} "
                              f"has {outside['accuracy'].iloc[0]}.")
    counts = table.groupby("model", sort=False)["n_parameters"].unique()
    ambiguous = [model for model, values in counts.items() if len(values) > 1]
    if ambiguous:
        raise FileFormatError(f"{table_file}: model {ambiguous[0]!r} has several n_parameters "
                              f"{sorted(counts[ambiguous[0]])}; give each model one parameter count.")
    summary = mean_over_seeds(table, ["model", "path_length"], "accuracy")
    colours = model_colours(list(counts.index), colours)
    with paper_style():
        figure, (axis,) = new_figure(height=2.6)
        axis.axhline(CHANCE, color="0.5", linestyle=":", linewidth=0.8, label="chance")
        for model, rows in summary.groupby("model", sort=False):
            rows = rows.sort_values("path_length")
            axis.errorbar(rows["path_length"], rows["mean"], yerr=rows["sd"], color=colours[model], marker="o",
                          capsize=1.5, elinewidth=0.6, label=f"{model} ({_count(counts[model][0])})")
        axis.set_xticks(sorted(summary["path_length"].unique()))
        axis.set_xlabel(PATH_LENGTH_LABEL)
        axis.set_ylabel(ACCURACY_LABEL)
        axis.set_ylim(min(CHANCE - 0.1, float((summary["mean"] - summary["sd"]).min()) - 0.02), 1.02)
        style_axes(axis)
        figure_legend(figure, [axis])
    return figure


def _count(parameters: int) -> str:
    """A parameter count as ``1.2M``, ``350k`` or ``900`` parameters."""
    for size, suffix in ((1e6, "M"), (1e3, "k")):
        if parameters >= size:
            return f"{parameters / size:.3g}{suffix} params"
    return f"{parameters} params"
