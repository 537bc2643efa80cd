"""Best and mean score over time bins, bars per model grouped by region.

Any metric's per-bin scores are drawn; the best bin is the highest score, or
the lowest for a distance, and the axis names the metric and its range
(:mod:`chronoscore.figures.score_scale`).

Reads saved results only: each model's scoring folder (``scores_per_bin.nc``
or ``scores.nc``, and ``model.json`` when present) as
:func:`chronoscore.analyses.score.write_results` writes it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
from matplotlib.figure import Figure

from chronoscore.errors import FileFormatError
from chronoscore.figures.predictivity_timecourse import check_same_bins
from chronoscore.figures.registry import figure
from chronoscore.figures.result_files import is_feedforward, read_scored_model
from chronoscore.figures.score_scale import ScoreScale, score_scale, shared_scale
from chronoscore.figures.style import figure_legend, model_colours, new_figure, paper_style, style_axes

__all__ = ["predictivity_bars", "ScoreValue", "peak_and_mean"]

ScoreValue = Literal["score", "ceiled_score"]


@figure("predictivity_bars", needs="scored_models", caption="Peak and mean predictivity over time bins",
        colours=True, order=1)
def predictivity_bars(result_folders: Sequence[str | os.PathLike], value: ScoreValue = "score",
                      colours: Mapping[str, str] | None = None) -> Figure:
    """Two panels, peak and mean over time bins; in each, per region, one bar per model.

    Parameters
    ----------
    result_folders : sequence of path-like
        Scoring folders (or their per-bin Scores files) of models scored on the same bins.
    value : {"score", "ceiled_score"}
        The score (e.g. median held-out r), or the ceiled score (needs Scores with ceilings).
    colours : mapping of model name to colour, optional

    Returns
    -------
    matplotlib.figure.Figure
        Panels ``peak`` (``lowest`` for a distance) and ``mean``, each with
        n_models × n_regions bars (feedforward models hatched); the best bin's
        bars carry the standard error of their bin.

    Raises
    ------
    FileFormatError
        If the models differ in regions, time bins or metric, or lack ``value``.
    """
    models = [read_scored_model(folder) for folder in result_folders]
    check_same_bins(models)
    missing = [model.source for model in models if value not in model.scores]
    if missing:
        raise FileFormatError(f"{missing[0]}: the Scores hold no {value!r} (scored without a ceiling?); "
                              "draw value='score' instead.")
    scale = shared_scale([model.scores for model in models], [model.source for model in models])
    names = [model.name for model in models]
    colours = model_colours(names, colours)
    regions = [str(region) for region in models[0].scores["region"].values]
    width = 0.8 / len(models)
    with paper_style():
        figure, axes = new_figure(1, 2, height=2.3, sharey=True)
        for axis, statistic in zip(axes, ("peak", "mean")):
            for index, model in enumerate(models):
                heights, errors = peak_and_mean(model.scores, value, statistic, scale)
                positions = np.arange(len(regions)) + (index - (len(models) - 1) / 2) * width
                axis.bar(positions, heights, width, yerr=errors, color=colours[model.name], label=model.name,
                         hatch="////" if is_feedforward(model) else None, edgecolor="white", linewidth=0,
                         error_kw={"elinewidth": 0.6, "capsize": 1.5})
            axis.set_xticks(np.arange(len(regions)), regions)
            best = "lowest" if scale.lower_is_closer else "peak"
            axis.set_title(f"{best if statistic == 'peak' else statistic} over time bins")
            style_axes(axis)
            axis.grid(axis="x", visible=False)
        axes[0].set_ylabel(value_label(value, [model.scores for model in models], scale))
        figure_legend(figure, axes[:1])
    return figure


def value_label(value: ScoreValue, scores: Sequence, scale: ScoreScale | None = None) -> str:
    """The axis label of ``value`` for the metric of ``scale`` (default: that of ``scores``); for ceiled scores it
    says when bins below the ceiling floor are left out."""
    if scale is None:
        scale = shared_scale(scores, [f"Scores #{index}" for index in range(len(scores))])
    if value == "score":
        return scale.label
    floors = {float(result.attrs["ceiling_floor"]) for result in scores
              if "ceiling_below_floor" in result and bool(result["ceiling_below_floor"].any())}
    return scale.ceiled_label + (f"\n(bins with ceiling < {min(floors):g} left out)" if floors else "")


def peak_and_mean(scores, value: ScoreValue, statistic: Literal["peak", "mean"], scale: ScoreScale | None = None
                  ) -> tuple[np.ndarray, np.ndarray | None]:
    """(n_regions,) best (``peak``: highest, or lowest for a distance) or mean of ``value`` over bins, NaN bins
    ignored, and (best only) its bin's error; ``scale`` defaults to that of the metric of ``scores``.

    The error is the Scores' ``error`` of the best bin when ``value`` is the
    score, None otherwise.
    """
    values = scores[value].transpose("region", "time_bin").values
    if statistic == "mean":
        return np.nanmean(values, axis=1), None
    best = (scale or score_scale(scores)).best(values, axis=1)
    peaks = values[np.arange(len(values)), best]
    if value != "score":
        return peaks, None
    errors = scores["error"].transpose("region", "time_bin").values
    return peaks, errors[np.arange(len(values)), best]
