"""Representational similarity analysis: RDMs of model areas compared with a brain RDM over time.

A representational dissimilarity matrix (RDM) holds, for every pair of stimuli,
how different the response patterns to them are; here ``1 − Pearson r`` between
the two patterns (Kriegeskorte et al. 2008). Two RDMs are compared on their upper
triangles (the diagonal is zero by construction) by Spearman's rank correlation
or by Kendall's tau-a, which does not reward a model for predicting ties it
cannot know about (Nili et al. 2014).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import xarray as xr
from scipy.stats import spearmanr

from chronoscore.errors import ConfigError, DataFormatError

__all__ = ["RdmMetric", "ComparisonMethod", "rdm", "upper_triangle", "kendall_tau_a", "compare_rdms",
           "rsa_over_time"]

RdmMetric = Literal["correlation"]
ComparisonMethod = Literal["spearman", "kendall_tau_a"]


def rdm(features: np.ndarray, metric: RdmMetric = "correlation") -> np.ndarray:
    """The dissimilarity of every pair of stimulus patterns.

    Parameters
    ----------
    features : (N, D) array
        One response pattern per stimulus.
    metric : {"correlation"}
        ``1 − Pearson r`` between two patterns (over the D features).

    Returns
    -------
    (N, N) float64 array
        Symmetric with a zero diagonal; rows and columns of a stimulus whose
        pattern is constant are NaN (its correlation is undefined).
    """
    if metric != "correlation":
        raise ConfigError(f"the RDM metric must be 'correlation', got {metric!r}.")
    values = np.asarray(features, dtype=np.float64)
    if values.ndim != 2 or values.shape[0] < 2:
        raise DataFormatError(f"features must be (stimuli >= 2, features), got shape {values.shape}.")
    centred = values - values.mean(axis=1, keepdims=True)
    norms = np.linalg.norm(centred, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        unit = centred / np.where(norms > 0, norms, np.nan)[:, None]
    dissimilarity = 1.0 - np.clip(unit @ unit.T, -1.0, 1.0)
    np.fill_diagonal(dissimilarity, np.where(norms > 0, 0.0, np.nan))
    return dissimilarity


def upper_triangle(matrix: np.ndarray) -> np.ndarray:
    """Entries above the diagonal of a square (N, N) matrix, row by row: (N (N − 1) / 2,)."""
    matrix = np.asarray(matrix)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise DataFormatError(f"an RDM must be a square matrix, got shape {matrix.shape}.")
    return matrix[np.triu_indices(matrix.shape[0], k=1)]


def kendall_tau_a(x: np.ndarray, y: np.ndarray) -> float:
    """Kendall's tau-a: (concordant − discordant pairs) / all pairs, ties counting as neither.

    Parameters
    ----------
    x, y : (M,) arrays

    Notes
    -----
    O(M log M) (Knight 1966): with ``n0 = M (M − 1) / 2`` pairs, ``n1`` tied in
    x, ``n2`` tied in y and ``n3`` tied in both, concordant + discordant =
    ``n0 − n1 − n2 + n3``; the discordant pairs are the strict inversions of y
    once the pairs are sorted by x and then y. No loop runs over pairs.
    """
    x, y = np.asarray(x, dtype=np.float64).ravel(), np.asarray(y, dtype=np.float64).ravel()
    if x.shape != y.shape or x.size < 2:
        raise DataFormatError(f"tau-a needs two vectors of one length >= 2, got {x.size} and {y.size} values.")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise DataFormatError("tau-a needs finite values; drop the NaN or infinite entries first.")
    x_rank, y_rank = np.unique(x, return_inverse=True)[1], np.unique(y, return_inverse=True)[1]
    joint_rank = x_rank.astype(np.int64) * x.size + y_rank
    order = np.lexsort((y_rank, x_rank))
    discordant = _strict_inversions(y_rank[order])
    n_pairs = x.size * (x.size - 1) // 2
    untied = n_pairs - _tied_pairs(x_rank) - _tied_pairs(y_rank) + _tied_pairs(joint_rank)
    return (untied - 2 * discordant) / n_pairs


def _tied_pairs(ranks: np.ndarray) -> int:
    """Pairs of entries with equal value."""
    counts = np.unique(ranks, return_counts=True)[1].astype(np.int64)
    return int((counts * (counts - 1) // 2).sum())


def _strict_inversions(ranks: np.ndarray) -> int:
    """Pairs i < j with ranks[i] > ranks[j] (non-negative integer ranks), by bottom-up merging.

    At each level, blocks of ``width`` sorted values are paired; for every value
    of a right block, the values of its left block that exceed it are counted
    with one global ``searchsorted`` (keys offset by the pair's index), then each
    pair of blocks is merged by one sort of the same keys.
    """
    values = np.asarray(ranks, dtype=np.int64)
    size, span = values.size, int(values.max()) + 1
    positions = np.arange(size)
    total, width = 0, 1
    while width < size:
        block = positions // width
        pair, right = block // 2, block % 2 == 1
        keys = pair * span + values
        left_keys = keys[~right]  # sorted: each block is sorted and pairs increase
        not_above = np.searchsorted(left_keys, keys[right], side="right")
        pair_end = np.searchsorted(left_keys, (pair[right] + 1) * span, side="left")
        total += int((pair_end - not_above).sum())
        values = np.sort(keys) - pair * span  # pairs keep their positions, so pair index is unchanged
        width *= 2
    return total


def compare_rdms(a: np.ndarray, b: np.ndarray, method: ComparisonMethod = "spearman") -> float:
    """Rank correlation of two (N, N) RDMs over their upper triangles.

    Raises
    ------
    DataFormatError
        If the RDMs differ in size or hold NaNs above the diagonal.
    """
    first, second = upper_triangle(a), upper_triangle(b)
    if first.shape != second.shape:
        raise DataFormatError(f"the RDMs cover different stimuli: {np.shape(a)} and {np.shape(b)}.")
    if not (np.isfinite(first).all() and np.isfinite(second).all()):
        raise DataFormatError("an RDM holds NaN or infinite dissimilarities (a constant response pattern?); "
                              "drop those stimuli or features first.")
    if method == "spearman":
        return float(spearmanr(first, second).statistic)
    if method == "kendall_tau_a":
        return kendall_tau_a(first, second)
    raise ConfigError(f"method must be 'spearman' or 'kendall_tau_a', got {method!r}.")


def rsa_over_time(activations: xr.DataArray, reference: np.ndarray, method: ComparisonMethod = "spearman",
                  metric: RdmMetric = "correlation") -> xr.DataArray:
    """Each model area's RDM at each time step compared with a reference RDM.

    Parameters
    ----------
    activations : xarray.DataArray, (presentation, neuroid, time_step)
        As :func:`chronoscore.analyses.extraction.extract` returns, with ``layer`` on
        neuroid; presentations in the order of the reference's rows.
    reference : (N, N) array
        The brain RDM.
    method : {"spearman", "kendall_tau_a"}
    metric : {"correlation"}

    Returns
    -------
    xarray.DataArray, dims (layer, time_step)
        NaN where the area has no such step or its RDM is undefined (a
        constant pattern, e.g. before the area has received input).
    """
    reference = np.asarray(reference, dtype=np.float64)
    if reference.shape != (activations.sizes["presentation"],) * 2:
        raise DataFormatError(f"the reference RDM is {reference.shape} but there are "
                              f"{activations.sizes['presentation']} presentations; give one row per stimulus.")
    layers = list(dict.fromkeys(map(str, activations["layer"].values)))
    values = activations.transpose("presentation", "neuroid", "time_step").values
    result = np.full((len(layers), values.shape[2]), np.nan)
    for row, layer in enumerate(layers):
        columns = activations["layer"].values == layer
        for step in range(values.shape[2]):
            patterns = values[:, columns, step]
            if np.isfinite(patterns).all():
                model_rdm = rdm(patterns, metric)
                if np.isfinite(model_rdm).all():
                    result[row, step] = compare_rdms(model_rdm, reference, method)
    return xr.DataArray(result, dims=("layer", "time_step"),
                        coords={"layer": layers, "time_step": activations["time_step"].values,
                                "time_ms": ("time_step", activations["time_ms"].values)},
                        attrs={"method": method, "metric": metric, "model": activations.attrs.get("model", "")})
