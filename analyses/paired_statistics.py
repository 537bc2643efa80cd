"""Paired statistics over neuroids: bootstrap resamples, percentile intervals, the signed-rank test.

Two models scored on the same neuroids give two values per neuroid. Every
function here keeps each neuroid's pair together: a bootstrap resample draws
neuroids (not values) with replacement and applies the same draw to both
models, and a neuroid missing (NaN) in either model is missing in both.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.stats import wilcoxon


__all__ = ["bootstrap_indices", "nan_median", "mask_unpaired", "percentile_interval", "signed_rank_test"]


def bootstrap_indices(rng: np.random.Generator, n_items: int, n_samples: int) -> np.ndarray:
    """Indices (n_samples, n_items) drawn with replacement; row s is bootstrap resample s.

    Drawn in one call, ``rng.integers(0, n_items, size=(n_samples, n_items))``, so a
    reference implementation that loops over the rows sees the same resamples.
    """
    return rng.integers(0, n_items, size=(n_samples, n_items))


def nan_median(values: np.ndarray, axis: int = -1) -> np.ndarray:
    """Median along ``axis`` ignoring NaN; NaN (without a warning) where every value is NaN."""
    if not np.isnan(values).any():
        return np.median(values, axis=axis)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmedian(values, axis=axis)


def mask_unpaired(model: np.ndarray, reference: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Copies of both (n,) arrays with NaN wherever either one is NaN."""
    missing = np.isnan(model) | np.isnan(reference)
    return np.where(missing, np.nan, model), np.where(missing, np.nan, reference)


def percentile_interval(samples: np.ndarray, confidence: float) -> np.ndarray:
    """The central ``confidence`` interval (2,) of bootstrap ``samples`` (n_samples,).

    The ``(1 - confidence) / 2`` and ``(1 + confidence) / 2`` quantiles (linear
    interpolation), ignoring NaN samples; NaN when every sample is NaN.
    """
    tail = (1 - confidence) / 2
    if np.isnan(samples).all():
        return np.full(2, np.nan)
    return np.nanquantile(samples, [tail, 1 - tail])


def signed_rank_test(differences: np.ndarray) -> tuple[float, float]:
    """Two-sided Wilcoxon signed-rank test of paired differences (n,) against zero.

    NaN differences are left out; zero differences are dropped as
    :func:`scipy.stats.wilcoxon` does by default (``zero_method="wilcox"``).

    Returns
    -------
    statistic, p_value : float
        scipy's statistic and p-value; ``(0, 1)`` when every difference is zero
        (the models agree on each neuroid, so there is no evidence of a difference),
        ``(nan, nan)`` when no neuroid has both values.
    """
    present = differences[~np.isnan(differences)]
    if present.size == 0:
        return float("nan"), float("nan")
    if not np.any(present != 0):
        return 0.0, 1.0
    result = wilcoxon(present)
    return float(result.statistic), float(result.pvalue)
