"""The score of every model time step against every neural time bin, per region.

Any metric's step × bin scores are drawn; the colour bar names the metric and
its range (:mod:`chronoscore.figures.score_scale`), and for a distance the
colours run the other way, so the closest pairs are always the brightest.
Reads saved results only: a model's ``scores_matrix.nc`` (the ``matrix`` time
mode of :func:`chronoscore.analyses.score.score_model`), whose ``score`` has dims
(region, time_step, time_bin).
"""

from __future__ import annotations

import os

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from chronoscore.figures.registry import figure
from chronoscore.figures.result_files import read_matrix_scores
from chronoscore.figures.score_scale import ScoreScale, score_scale
from chronoscore.figures.style import (FONT_SIZE, SMALL_FONT_SIZE, STEP_LABEL, TIME_LABEL, new_figure, paper_style,
                                       style_axes)

__all__ = ["step_bin_heatmap"]

_COLOURS = colormaps["viridis"].with_extremes(bad="0.88")
"""Viridis, with light gray for pairs without a score (steps before the area responds)."""
_DISTANCE_COLOURS = colormaps["viridis_r"].with_extremes(bad="0.88")
"""The same, reversed, for distances (small is bright)."""


@figure("step_bin_heatmap", needs="matrix_scores", caption="Model step × neural time bin",
        each=True, always_suffixed=True)
def step_bin_heatmap(scores_file: str | os.PathLike) -> Figure:
    """One heatmap per region: rows are model steps, columns neural time bins, colour the score.

    Parameters
    ----------
    scores_file : path-like
        A ``scores_matrix.nc`` file or the scoring folder holding it.

    Returns
    -------
    matplotlib.figure.Figure
        Each panel's image is a (n_steps, n_bins) array, step 0 at the bottom,
        spanning the bins' edges in ms, gray where there is no score; a dot
        marks the best step of each bin (highest score, lowest distance);
        one colour bar, labelled with the metric, is shared by the panels.
    """
    scores = read_matrix_scores(scores_file)
    scale = score_scale(scores, str(scores_file))
    regions = [str(region) for region in scores["region"].values]
    steps = scores["time_step"].values
    edges = np.append(scores["time_bin_start"].values, scores["time_bin_end"].values[-1])
    values = scores["score"].transpose("region", "time_step", "time_bin").values
    finite = values[np.isfinite(values)]
    low, high = (min(0.0, float(finite.min())), float(np.abs(finite).max())) if finite.size else (0.0, 1.0)
    with paper_style():
        figure, axes = new_figure(1, len(regions), height=2.3, sharey=True)
        for axis, region, matrix in zip(axes, regions, values):
            image = axis.imshow(matrix, origin="lower", aspect="auto", vmin=low, vmax=high,
                                cmap=_DISTANCE_COLOURS if scale.lower_is_closer else _COLOURS,
                                extent=(edges[0], edges[-1], steps[0] - 0.5, steps[-1] + 0.5),
                                interpolation="nearest")
            best = _best_steps(matrix, steps, scale)
            centres = (edges[:-1] + edges[1:]) / 2
            axis.plot(centres, best, linestyle="none", marker="o", markersize=2, color="white")
            axis.set_title(region)
            axis.yaxis.set_major_locator(MaxNLocator(integer=True))
            style_axes(axis, grid=False)
        figure.supxlabel(TIME_LABEL, fontsize=FONT_SIZE)
        axes[0].set_ylabel(f"{STEP_LABEL} ({_step_ms(scores)})")
        colour_bar = figure.colorbar(image, ax=axes, shrink=0.9)
        colour_bar.set_label(scale.label, fontsize=SMALL_FONT_SIZE)
        colour_bar.ax.tick_params(labelsize=SMALL_FONT_SIZE)
        figure.suptitle(str(scores.attrs.get("model", "")), fontsize=FONT_SIZE)
    return figure


def _best_steps(matrix: np.ndarray, steps: np.ndarray, scale: ScoreScale) -> np.ndarray:
    """(n_bins,) step of the best score per bin (highest, or lowest for a distance), NaN for bins without any."""
    best = steps[scale.best(matrix, axis=0)].astype(float)
    best[~np.isfinite(matrix).any(axis=0)] = np.nan
    return best


def _step_ms(scores) -> str:
    """Unit of the step axis as the time mapping records it (``10 ms per step``), else ``steps``."""
    mapping = str(scores.attrs.get("time_mapping", ""))
    parts = [part.strip() for part in mapping.split(",") if "per step" in part]
    return parts[0] if parts else "steps"
