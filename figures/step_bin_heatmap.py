"""Held-out r of every model time step against every neural time bin, per region.

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
from chronoscore.figures.style import (FONT_SIZE, R_LABEL, SMALL_FONT_SIZE, STEP_LABEL, TIME_LABEL, new_figure,
                                       paper_style, style_axes)

__all__ = ["step_bin_heatmap"]

_COLOURS = colormaps["viridis"].with_extremes(bad="0.88")
"""Viridis, with light gray for pairs without a score (steps before the area responds)."""


@figure("step_bin_heatmap", needs="matrix_scores", caption="Model step × neural time bin",
        each=True, always_suffixed=True)
def step_bin_heatmap(scores_file: str | os.PathLike) -> Figure:
    """One heatmap per region: rows are model steps, columns neural time bins, colour the median r.

    Parameters
    ----------
    scores_file : path-like
        A ``scores_matrix.nc`` file or the scoring folder holding it.

    Returns
    -------
    matplotlib.figure.Figure
        Each panel's image is a (n_steps, n_bins) array, step 0 at the bottom,
        spanning the bins' edges in ms, gray where there is no score; a dot
        marks the best step of each bin;
        one colour bar (held-out r) is shared by the panels.
    """
    scores = read_matrix_scores(scores_file)
    regions = [str(region) for region in scores["region"].values]
    steps = scores["time_step"].values
    edges = np.append(scores["time_bin_start"].values, scores["time_bin_end"].values[-1])
    values = scores["score"].transpose("region", "time_step", "time_bin").values
    limit = float(np.nanmax(np.abs(values))) if np.isfinite(values).any() else 1.0
    with paper_style():
        figure, axes = new_figure(1, len(regions), height=2.3, sharey=True)
        for axis, region, matrix in zip(axes, regions, values):
            image = axis.imshow(matrix, origin="lower", aspect="auto", cmap=_COLOURS, vmin=0, vmax=limit,
                                extent=(edges[0], edges[-1], steps[0] - 0.5, steps[-1] + 0.5),
                                interpolation="nearest")
            best = _best_steps(matrix, steps)
            centres = (edges[:-1] + edges[1:]) / 2
            axis.plot(centres, best, linestyle="none", marker="o", markersize=2, color="white")
            axis.set_title(region)
            axis.yaxis.set_major_locator(MaxNLocator(integer=True))
            style_axes(axis, grid=False)
        figure.supxlabel(TIME_LABEL, fontsize=FONT_SIZE)
        axes[0].set_ylabel(f"{STEP_LABEL} ({_step_ms(scores)})")
        colour_bar = figure.colorbar(image, ax=axes, shrink=0.9)
        colour_bar.set_label(f"{R_LABEL} (median over sites)", fontsize=SMALL_FONT_SIZE)
        colour_bar.ax.tick_params(labelsize=SMALL_FONT_SIZE)
        figure.suptitle(str(scores.attrs.get("model", "")), fontsize=FONT_SIZE)
    return figure


def _best_steps(matrix: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """(n_bins,) step of the highest r per bin, NaN for bins without any value."""
    finite = np.isfinite(matrix).any(axis=0)
    best = np.full(matrix.shape[1], np.nan)
    best[finite] = steps[np.nanargmax(np.where(np.isfinite(matrix), matrix, -np.inf)[:, finite], axis=0)]
    return best


def _step_ms(scores) -> str:
    """Unit of the step axis as the time mapping records it (``10 ms per step``), else ``steps``."""
    mapping = str(scores.attrs.get("time_mapping", ""))
    parts = [part.strip() for part in mapping.split(",") if "per step" in part]
    return parts[0] if parts else "steps"
