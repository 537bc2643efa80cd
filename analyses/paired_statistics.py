"""Paired statistics over neuroids: bootstrap resamples, BCa and percentile intervals, the signed-rank
test, and p-values corrected for multiple comparisons.

Two models scored on the same neuroids give two values per neuroid. Every
function here keeps each neuroid's pair together: a bootstrap resample draws
neuroids (not values) with replacement and applies the same draw to both
models, and a neuroid missing (NaN) in either model is missing in both.
"""

from __future__ import annotations

import warnings

from collections.abc import Callable, Sequence

import numpy as np
from scipy.special import ndtr, ndtri
from scipy.stats import wilcoxon

__all__ = ["CORRECTIONS", "INTERVALS", "adjust_p_values", "bca_interval", "bootstrap_indices", "nan_median",
           "mask_unpaired", "percentile_interval", "signed_rank_test"]

CORRECTIONS = ("bh", "holm", "none")
"""Multiple-comparison corrections of :func:`adjust_p_values`."""
INTERVALS = ("bca", "percentile")
"""Bootstrap intervals: bias-corrected and accelerated, or plain percentile."""
_JACKKNIFE_ROWS = 256  # leave-one-out statistics computed this many at a time


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


def bca_interval(statistic: Callable[..., np.ndarray], samples: Sequence[np.ndarray], indices: np.ndarray,
                 confidence: float) -> np.ndarray:
    """Bias-corrected and accelerated (BCa) bootstrap interval (2,) of a paired statistic.

    The interval of :func:`scipy.stats.bootstrap` with ``paired=True,
    method="BCa"`` (Efron & Tibshirani 1993, 14.3): the bootstrap distribution's
    quantiles at Φ(z0 + (z0 + z)/(1 − a(z0 + z))) for z = ±Φ⁻¹((1 − confidence)/2),
    with z0 = Φ⁻¹ of the fraction of bootstrap values below the estimate (ties
    counted half) and the acceleration a = Σd³ / (6 (Σd²)^(3/2)) from the
    jackknife deviations d. Given scipy's resamples (``indices`` drawn as
    :func:`bootstrap_indices` draws them from the same generator) the intervals are
    equal.

    Parameters
    ----------
    statistic : callable
        ``statistic(*arrays, axis=-1)``: arrays (..., q) -> (...), one value per row.
    samples : sequence of ndarray
        The paired samples, each (q,); a neuroid that is NaN in any of them is
        left out of the jackknife (the statistic must ignore NaN, as
        :func:`nan_median` does).
    indices : ndarray (n_bootstrap, q)
        The bootstrap resamples.
    confidence : float

    Returns
    -------
    ndarray (2,)
        Lower and upper bound; NaN when the estimate lies outside the bootstrap
        distribution (z0 infinite) or no resample has a value. Without any jackknife
        spread (every neuroid agrees) the acceleration is 0.
    """
    estimate = float(statistic(*(sample[None] for sample in samples), axis=-1)[0])
    values = statistic(*(sample[indices] for sample in samples), axis=-1)
    values = values[~np.isnan(values)]
    if values.size == 0 or np.isnan(estimate):
        return np.full(2, np.nan)
    below = (np.count_nonzero(values < estimate) + np.count_nonzero(values <= estimate)) / (2 * values.size)
    bias = ndtri(below)
    acceleration = _acceleration(statistic, samples)
    z = ndtri((1 - confidence) / 2)
    levels = [ndtr(bias + (bias + edge) / (1 - acceleration * (bias + edge))) for edge in (z, -z)]
    if not np.all(np.isfinite(levels)):
        return np.full(2, np.nan)
    return np.quantile(values, levels)


def _acceleration(statistic: Callable[..., np.ndarray], samples: Sequence[np.ndarray]) -> float:
    """The jackknife acceleration Σd³ / (6 (Σd²)^(3/2)) over the neuroids present in every sample."""
    present = np.flatnonzero(~np.any([np.isnan(sample) for sample in samples], axis=0))
    kept = [sample[present] for sample in samples]
    n = present.size
    if n < 2:
        return 0.0
    leave_one_out = []
    for start in range(0, n, _JACKKNIFE_ROWS):
        rows = np.arange(start, min(start + _JACKKNIFE_ROWS, n))
        others = np.arange(n - 1)[None, :] + (np.arange(n - 1)[None, :] >= rows[:, None])  # (rows, n − 1)
        leave_one_out.append(statistic(*(sample[others] for sample in kept), axis=-1))
    jackknife = np.concatenate(leave_one_out)
    deviations = jackknife.mean() - jackknife
    spread = np.sum(deviations ** 2)
    return 0.0 if spread == 0 else float(np.sum(deviations ** 3) / (6 * spread ** 1.5))


def adjust_p_values(p_values: np.ndarray, method: str = "bh") -> np.ndarray:
    """p-values of one family of tests, corrected for multiple comparisons; same shape as ``p_values``.

    ``bh``: Benjamini–Hochberg (false discovery rate), p_(i) · m / i made monotone from
    the largest down; ``holm``: Holm–Bonferroni (family-wise error), p_(i) · (m − i + 1)
    made monotone from the smallest up; ``none``: unchanged. m counts the non-NaN
    p-values; NaN stays NaN; corrected values are capped at 1.

    Raises
    ------
    ValueError
        For an unknown method.
    """
    if method not in CORRECTIONS:
        raise ValueError(f"correction must be one of {', '.join(CORRECTIONS)}, got {method!r}")
    shape = np.shape(p_values)
    p_values = np.asarray(p_values, dtype=float).ravel()
    adjusted = p_values.copy()
    present = np.flatnonzero(~np.isnan(p_values))
    if method == "none" or present.size == 0:
        return adjusted.reshape(shape)
    order = present[np.argsort(p_values[present], kind="stable")]
    ranked = p_values[order]
    m, rank = ranked.size, np.arange(1, ranked.size + 1)
    if method == "bh":
        corrected = np.minimum.accumulate((ranked * m / rank)[::-1])[::-1]
    else:
        corrected = np.maximum.accumulate(ranked * (m - rank + 1))
    adjusted[order] = np.minimum(corrected, 1.0)
    return adjusted.reshape(shape)
