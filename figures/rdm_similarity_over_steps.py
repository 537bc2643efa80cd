"""Similarity of each model area with a brain RDM over the model's steps (e.g. the Kiani IT RDM).

Reads saved results only: a model's ``scores_per_step.nc``, written when a
model is scored on a data set holding a brain RDM without time bins
(:mod:`chronoscore.analyses.rdm_scoring`), whose ``score`` has dims (area,
time_step). The axis names the metric and its range.
"""

from __future__ import annotations

import os

from matplotlib.figure import Figure

from chronoscore.figures.registry import figure
from chronoscore.figures.result_files import read_step_scores
from chronoscore.figures.score_scale import score_scale
from chronoscore.figures.style import FONT_SIZE, PALETTE, STEP_LABEL, figure_legend, new_figure, paper_style, style_axes

__all__ = ["rdm_similarity_over_steps"]


@figure("rdm_similarity_over_steps", needs="step_scores", caption="Each area against the brain RDM over model steps",
        each=True)
def rdm_similarity_over_steps(scores_file: str | os.PathLike) -> Figure:
    """One line per model area: its score against the brain RDM at each model step, ± one standard error.

    Parameters
    ----------
    scores_file : path-like
        A ``scores_per_step.nc`` file or the scoring folder holding it.

    Returns
    -------
    matplotlib.figure.Figure
        One panel; x is the step's time in ms (``time_ms``) or the step number;
        areas are coloured in their order (the palette repeats after eight).
    """
    scores = read_step_scores(scores_file)
    scale = score_scale(scores, str(scores_file))
    has_times = "time_ms" in scores.coords
    x = scores["time_ms"].values if has_times else scores["time_step"].values
    with paper_style():
        figure, (axis,) = new_figure(1, 1, height=2.3)
        for index, area in enumerate(scores["area"].values):
            mean = scores["score"].sel(area=area).values
            error = scores["error"].sel(area=area).values
            colour = PALETTE[index % len(PALETTE)]
            axis.plot(x, mean, color=colour, marker="o", label=str(area))
            axis.fill_between(x, mean - error, mean + error, color=colour, alpha=0.25, linewidth=0)
        style_axes(axis)
        axis.set_xlabel(f"{STEP_LABEL} (ms)" if has_times else STEP_LABEL, fontsize=FONT_SIZE)
        axis.set_ylabel(scale.label)
        figure.suptitle(f"{scores.attrs.get('model', '')} vs {scores.attrs.get('benchmark', 'brain RDM')}",
                        fontsize=FONT_SIZE)
        figure_legend(figure, [axis], columns=3)
    return figure
