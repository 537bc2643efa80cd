"""Score against parameter count: one point per model, one panel per region (any metric; the axis names it).

Reads saved results only: each model's scoring folder — its per-bin Scores
(``scores_per_bin.nc`` or ``scores.nc``) and ``model.json``, whose
``parameters`` gives the trainable parameter count (or the Scores'
``parameters`` attribute).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import EngFormatter, LogLocator, NullFormatter

from chronoscore.analyses.run_folder import MODEL_INFO_FILE
from chronoscore.errors import FileFormatError
from chronoscore.figures.predictivity_bars import ScoreValue, peak_and_mean, value_label
from chronoscore.figures.predictivity_timecourse import check_same_bins
from chronoscore.figures.registry import figure
from chronoscore.figures.result_files import is_feedforward, read_scored_model
from chronoscore.figures.score_scale import shared_scale
from chronoscore.figures.style import (FONT_SIZE, PARAMETERS_LABEL, figure_legend,
                                       model_colours, new_figure, paper_style, style_axes)

__all__ = ["predictivity_vs_parameters"]


@figure("predictivity_vs_parameters", needs="scored_models",
        caption="Best score over time bins against parameter count", colours=True, order=2)
def predictivity_vs_parameters(result_folders: Sequence[str | os.PathLike], statistic: Literal["peak", "mean"] = "peak",
                               value: ScoreValue = "score", colours: Mapping[str, str] | None = None) -> Figure:
    """Best (or mean) score over time bins against the number of parameters (log scale).

    Parameters
    ----------
    result_folders : sequence of path-like
        Scoring folders of models scored on the same bins, each with its parameter count.
    statistic : {"peak", "mean"}
        Over time bins; ``peak`` is the lowest for a distance.
    value : {"score", "ceiled_score"}
        The score (e.g. median held-out r) or the ceiled score.
    colours : mapping of model name to colour, optional

    Returns
    -------
    matplotlib.figure.Figure
        One panel per region, one marker per model (circle: recurrent, square: feedforward).

    Raises
    ------
    FileFormatError
        If a model's parameter count is not recorded (naming its ``model.json``), or the models differ in
        metric or bins.
    """
    models = [read_scored_model(folder) for folder in result_folders]
    check_same_bins(models)
    scale = shared_scale([model.scores for model in models], [model.source for model in models])
    unknown = [model.source for model in models if model.parameters is None]
    if unknown:
        source = Path(unknown[0])
        where = source / MODEL_INFO_FILE if source.is_dir() else source.with_name(MODEL_INFO_FILE)
        raise FileFormatError(f"{where}: no parameter count for this model; write model.json with "
                              "write_model_info(folder, model=..., parameters=...) (chronoscore score does).")
    colours = model_colours([model.name for model in models], colours)
    regions = [str(region) for region in models[0].scores["region"].values]
    with paper_style():
        figure, axes = new_figure(1, len(regions), height=2.3, sharey=True, sharex=True)
        for region_index, (axis, region) in enumerate(zip(axes, regions)):
            for model in models:
                heights, _ = peak_and_mean(model.scores, value, statistic, scale)
                axis.plot([model.parameters], [heights[region_index]], linestyle="none", markersize=5,
                          marker="s" if is_feedforward(model) else "o", color=colours[model.name], label=model.name)
            _count_axis(axis, [model.parameters for model in models])
            axis.set_title(region)
            style_axes(axis)
        figure.supxlabel(PARAMETERS_LABEL, fontsize=FONT_SIZE)
        best = "lowest" if statistic == "peak" and scale.lower_is_closer else statistic
        axes[0].set_ylabel(f"{best} {value_label(value, [model.scores for model in models], scale)}")
        figure_legend(figure, axes[:1])
    return figure


def _count_axis(axis: Axes, counts: list[int]) -> None:
    """Log-scaled x axis spanning at least a factor 4 around ``counts``, ticks at 1, 2, 5 × 10^k as ``200k``."""
    axis.set_xscale("log")
    axis.set_xlim(min(counts) / 2, max(counts) * 2)
    axis.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axis.xaxis.set_major_formatter(EngFormatter(sep=""))
    axis.xaxis.set_minor_formatter(NullFormatter())
