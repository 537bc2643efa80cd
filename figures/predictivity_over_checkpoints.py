"""Ceiled score over a training run's checkpoints: one line per run, panels per region (and metric).

Drawn for a sweep folder (``chronoscore sweep``) whose models include a training
run scored at several checkpoints (``run: FOLDER`` with ``checkpoints: all``,
``every N``, ...). Each point is one finished cell: x is the checkpoint's
training step (``checkpoint_step`` in the cell's ``model.json``), y its mean
ceiled score over the time bins with a usable ceiling (a bin without a score
there counts as 0), with the mean of those bins' errors as error bar (see
:mod:`chronoscore.analyses.sweeps.leaderboard`). A
line joins the checkpoints of one run on one benchmark with one metric and
settings. Reads saved results only, through the leaderboard's rows.
"""

from __future__ import annotations

import os

from matplotlib.figure import Figure

from chronoscore.errors import NothingToDrawError
from chronoscore.figures.registry import figure
from chronoscore.figures.style import (FONT_SIZE, TRAINING_STEP_LABEL, figure_legend, model_colours, paper_style,
                                       style_axes)
from chronoscore.figures.sweep_results import legend_layout, metric_region_panels, rankings_by_metric, row_label

__all__ = ["predictivity_over_checkpoints", "checkpoint_lines"]


@figure("predictivity_over_checkpoints", needs="sweeps", each=True,
        caption="Mean ceiled score over time bins at each checkpoint of the training runs in the sweep")
def predictivity_over_checkpoints(sweep: str | os.PathLike) -> Figure:
    """Mean ceiled score over time bins against the checkpoint's training step.

    Parameters
    ----------
    sweep : path-like
        A sweep folder.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per region (a row of panels per metric); in each, one line with error bars per
        (training run × benchmark × settings), its checkpoints in order of training step.

    Raises
    ------
    NothingToDrawError
        If no finished per-bin cell scores a training run's checkpoint.
    """
    rankings = rankings_by_metric(sweep)
    lines = {ranking.metric: {region: checkpoint_lines(rows) for region, rows in ranking.regions.items()}
             for ranking in rankings}
    if not any(by_region for by_metric in lines.values() for by_region in by_metric.values()):
        raise NothingToDrawError(f"{sweep}: no finished cell of the sweep scores a training run's checkpoint; "
                                 "add a training run to the sweep's models (run: FOLDER, checkpoints: all or "
                                 "every N) to draw the score over checkpoints.")
    labels = [label for by_metric in lines.values() for by_region in by_metric.values() for label in by_region]
    colours = model_colours(labels)
    columns, rows = legend_layout(list(dict.fromkeys(labels)))
    with paper_style():
        drawing, panels = metric_region_panels(rankings, legend_rows=rows)
        for ranking, row in zip(rankings, panels):
            for region, axis in row.items():
                for label, (steps, means, errors) in lines[ranking.metric][region].items():
                    axis.errorbar(steps, means, yerr=errors, marker="o", markersize=3, capsize=1.5, elinewidth=0.6,
                                  color=colours[label], label=label)
                style_axes(axis)
            next(iter(row.values())).set_ylabel(f"mean {ranking.scale.ceiled_label}\nover time bins")
        drawing.supxlabel(TRAINING_STEP_LABEL, fontsize=FONT_SIZE)
        figure_legend(drawing, [axis for row in panels for axis in row.values()], columns=columns)
    return drawing


def checkpoint_lines(rows: list[dict]) -> dict[str, tuple[list[int], list[float], list[float]]]:
    """Line label -> (training steps, mean ceiled scores, their errors), sorted by step, of the ``rows`` (one
    region's leaderboard rows) that score a training run's checkpoint; one line per run, benchmark and settings."""
    checkpoints = [row for row in rows if row["checkpoint_step"] is not None]
    groups: dict[tuple, list[dict]] = {}
    for row in checkpoints:
        groups.setdefault((row["run_folder"] or row["label"], row["benchmark"], row["settings"]), []).append(row)
    lines = {}
    for members in groups.values():
        members.sort(key=lambda row: row["checkpoint_step"])
        label = row_label(members[0], members[0]["label"], checkpoints)
        lines[label] = ([int(row["checkpoint_step"]) for row in members], [row["mean"] for row in members],
                        [row["mean_error"] for row in members])
    return lines
