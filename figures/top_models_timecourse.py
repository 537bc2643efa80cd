"""The time course of a sweep's best models: ceiled score per time bin of the leaderboard's top k, per region.

Drawn for a sweep folder (``chronoscore sweep``): in each region (and metric),
the k cells ranked first by the leaderboard (mean ceiled score over the bins
with a usable ceiling, :mod:`chronoscore.analyses.sweeps.leaderboard`), each a line of its ceiled score
per time bin with a band of ± its error, labelled with the model's name (a
training run's checkpoint: ``model@run#stepN``). Bins below the ceiling floor
are gaps. Reads saved results only, through the leaderboard's rows.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure

from chronoscore.errors import ConfigError
from chronoscore.figures.registry import figure
from chronoscore.figures.style import FONT_SIZE, TIME_LABEL, figure_legend, model_colours, paper_style, style_axes
from chronoscore.figures.sweep_results import legend_layout, metric_region_panels, rankings_by_metric, row_label

__all__ = ["top_models_timecourse", "TOP_MODELS"]

TOP_MODELS = 5
"""How many of the leaderboard's best cells are drawn by default."""


@figure("top_models_timecourse", needs="sweeps", each=True, colours=True, options=("top",),
        caption="Ceiled score per time bin of the sweep's best models (the leaderboard's top k per region)")
def top_models_timecourse(sweep: str | os.PathLike, top: int = TOP_MODELS,
                          colours: Mapping[str, str] | None = None) -> Figure:
    """Ceiled score per time bin of the ``top`` best cells of the sweep's leaderboard, per region.

    Parameters
    ----------
    sweep : path-like
        A sweep folder.
    top : int
        How many cells per region (and metric), from the leaderboard's first.
    colours : mapping of model name to colour, optional

    Returns
    -------
    matplotlib.figure.Figure
        One panel per region (a row of panels per metric); in each, one line per cell in the leaderboard's
        order with a band of ± the ceiled score's error.

    Raises
    ------
    ConfigError
        If ``top`` is not a positive whole number.
    NothingToDrawError
        If no cell of the sweep has finished with per-bin scores.
    """
    if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 1:
        raise ConfigError(f"top={top!r}: give how many of the leaderboard's best models to draw (1 or more).")
    rankings = rankings_by_metric(sweep)
    shown = {ranking.metric: {region: rows[:top] for region, rows in ranking.regions.items()} for ranking in rankings}
    every = [row for by_region in shown.values() for rows in by_region.values() for row in rows]
    labels = {row["cell"]: row_label(row, row["model"], every) for row in every}
    colours = model_colours(labels.values(), colours)
    columns, rows = legend_layout(list(dict.fromkeys(labels.values())))
    with paper_style():
        drawing, panels = metric_region_panels(rankings, height=2.3, legend_rows=rows)
        for ranking, row in zip(rankings, panels):
            for region, axis in row.items():
                for cell in shown[ranking.metric][region]:
                    values = np.array([value for _, value, _ in cell["bins"]], dtype=float)
                    errors = np.array([error for _, _, error in cell["bins"]], dtype=float)
                    colour = colours[labels[cell["cell"]]]
                    axis.plot(cell["time_ms"], values, color=colour, label=labels[cell["cell"]])
                    axis.fill_between(cell["time_ms"], values - errors, values + errors, color=colour, alpha=0.2,
                                      linewidth=0)
                style_axes(axis)
            next(iter(row.values())).set_ylabel(ranking.scale.ceiled_label)
        drawing.supxlabel(TIME_LABEL, fontsize=FONT_SIZE)
        figure_legend(drawing, [axis for row in panels for axis in row.values()], columns=columns)
    return drawing
