"""Score per time bin for each region, one line per model, with the ceiling band.

Any metric's per-bin scores are drawn; the axis is labelled with the metric's
name and range (:mod:`chronoscore.figures.score_scale`). Reads saved results
only: each model's scoring folder (``scores_per_bin.nc`` or ``scores.nc``, and
``model.json`` when present) as
:func:`chronoscore.analyses.score.write_results` writes it. All models must be
scored on the same regions and time bins with the same metric.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from chronoscore.analyses.scored_model import ScoredModel
from chronoscore.errors import FileFormatError
from chronoscore.figures.registry import figure
from chronoscore.figures.result_files import is_feedforward, read_scored_model
from chronoscore.figures.score_scale import shared_scale
from chronoscore.figures.style import (CEILING_COLOUR, FEEDFORWARD_LINESTYLE, FONT_SIZE, PALETTE, TIME_LABEL,
                                       figure_legend, model_colours, new_figure, paper_style, style_axes)

__all__ = ["predictivity_timecourse", "PALETTE", "bin_centres", "check_same_bins"]


@figure("predictivity_timecourse", needs="scored_models",
        caption="Score per time bin, per region (gray: the ceiling in the score's units)", colours=True, order=0)
def predictivity_timecourse(result_folders: Sequence[str | os.PathLike], labels: Sequence[str] | None = None,
                            colours: Mapping[str, str] | None = None) -> Figure:
    """Score per time bin (e.g. median held-out r, RSA), per region (one panel each), models as lines.

    Parameters
    ----------
    result_folders : sequence of path-like
        Scoring folders (or their per-bin Scores files).
    labels : sequence of str, optional
        Legend entries (default: each model's name, from ``model.json`` or the Scores).
    colours : mapping of label to colour, optional
        Fixed colours (see :func:`chronoscore.figures.style.model_colours`).

    Returns
    -------
    matplotlib.figure.Figure
        One panel per region; a line per model (dashed: feedforward) with a band
        of ± one standard error over splits; the gray band reaches the ceiling in
        the score's units (for the regressions, whose ceiling is of r², its square
        root). The y axis names the metric and its range.

    Raises
    ------
    FileFormatError
        If the models differ in regions, time bins or metric.
    """
    models = [read_scored_model(folder) for folder in result_folders]
    labels = list(labels) if labels is not None else [model.name for model in models]
    colours = model_colours(labels, colours)
    check_same_bins(models)
    scale = shared_scale([model.scores for model in models], [model.source for model in models])
    regions = [str(region) for region in models[0].scores["region"].values]
    times = bin_centres(models[0])
    with paper_style():
        figure, axes = new_figure(1, len(regions), height=2.3, sharey=True)
        for axis, region in zip(axes, regions):
            if "ceiling" in models[0].scores:
                ceiling = scale.ceiling_as_score(models[0].scores["ceiling"].sel(region=region).values)
                axis.fill_between(times, 0, ceiling, color=CEILING_COLOUR, linewidth=0,
                                  label="ceiling (√ split-half)" if scale.squared_ceiling else "ceiling (split-half)")
            for model, label in zip(models, labels):
                mean = model.scores["score"].sel(region=region).values
                error = model.scores["error"].sel(region=region).values
                style = FEEDFORWARD_LINESTYLE if is_feedforward(model) else "solid"
                axis.plot(times, mean, color=colours[label], linestyle=style, label=label)
                axis.fill_between(times, mean - error, mean + error, color=colours[label], alpha=0.25, linewidth=0)
            axis.set_title(region)
            style_axes(axis)
        figure.supxlabel(TIME_LABEL, fontsize=FONT_SIZE)
        axes[0].set_ylabel(scale.label)
        axes[0].set_ylim(bottom=min(float(np.nanmin(model.scores["score"].values, initial=0.0)) for model in models))
        figure_legend(figure, axes[:1])
    return figure


def bin_centres(model: ScoredModel) -> np.ndarray:
    """(n_bins,) centre of each time bin in ms."""
    scores = model.scores
    return (scores["time_bin_start"].values + scores["time_bin_end"].values) / 2


def check_same_bins(models: Sequence[ScoredModel]) -> None:
    """Raise FileFormatError naming the first model whose regions or time bins differ from the first one's."""
    first = models[0]
    for model in models[1:]:
        same_regions = list(model.scores["region"].values) == list(first.scores["region"].values)
        if not same_regions or not np.array_equal(bin_centres(model), bin_centres(first)):
            raise FileFormatError(f"{model.source}: its regions/time bins differ from those of {first.source}; "
                                  "draw models scored on the same benchmark together.")
