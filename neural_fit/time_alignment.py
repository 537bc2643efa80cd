"""Re-binning responses recorded in overlapping (sliding) time windows into contiguous bins.

Brain-Score's temporal MajajHong2015 files hold rates in 20 ms windows that
start every 10 ms (−100–−80, −90–−70, ..., 280–300 ms), so neighbouring bins
overlap. Its temporal benchmarks turn them into contiguous 10 ms bins
``(t, t + 10)`` for ``t = 0, 10, ..., max_end − 20`` with its "portion" rule
(recordings that start after 0 ms begin at their first start instead),
which :func:`align_time_bins` follows exactly: a target bin's value is the
average of the source bins that overlap it, each weighted by the fraction of the
source bin inside the target,

    w_ts = |target_t ∩ source_s| / |source_s|,   value_t = Σ_s w_ts · value_s / Σ_s w_ts,

over the sources with w_ts > 0 only (a NaN in a source outside the target does not
reach it). A target bin that the sources do not cover from its start to its end
is refused. Values keep their dtype.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xarray as xr

from chronoscore.errors import DataFormatError

__all__ = ["bins_overlap", "brainscore_target_bins", "align_time_bins"]


def bins_overlap(starts: Sequence[float], ends: Sequence[float]) -> bool:
    """Whether any two of the bins ``(starts[i], ends[i])`` overlap."""
    order = np.argsort(np.asarray(starts, dtype=float), kind="stable")
    starts, ends = np.asarray(starts, dtype=float)[order], np.asarray(ends, dtype=float)[order]
    return bool(np.any(starts[1:] < np.maximum.accumulate(ends)[:-1]))


def brainscore_target_bins(max_end: float, width: int = 10, min_start: float = 0.0) -> list[tuple[int, int]]:
    """Brain-Score's temporal benchmark bins: ``(t, t + width)`` for t = t0, t0 + width, ... below ``max_end − width``.

    t0 is 0, as in Brain-Score, for recordings whose bins start at or before 0 ms
    (MajajHong2015: −100 ms); for recordings that start later it is their first
    start rounded up to a multiple of ``width``.
    """
    first = max(0, int(np.ceil(min_start / width)) * width)
    return [(start, start + width) for start in range(first, int(max_end) - width, width)]


def align_time_bins(assembly: xr.DataArray, target_bins: Sequence[tuple[float, float]]) -> xr.DataArray:
    """Average the source bins of ``assembly`` into ``target_bins`` by Brain-Score's portion rule.

    Parameters
    ----------
    assembly : xarray.DataArray
        With a ``time_bin`` dim (last or not) carrying ``time_bin_start`` and
        ``time_bin_end`` coords in ms; any other dims and coords.
    target_bins : sequence of (start_ms, end_ms)

    Returns
    -------
    xarray.DataArray
        The same dims and coords, with ``time_bin`` replaced by the target bins.

    Raises
    ------
    DataFormatError
        If a target bin is not covered by the source bins from start to end.
    """
    starts = assembly["time_bin_start"].values.astype(float)
    ends = assembly["time_bin_end"].values.astype(float)
    targets = np.asarray(target_bins, dtype=float).reshape(-1, 2)
    weights = _portion_weights(starts, ends, targets)
    source = assembly.transpose(..., "time_bin")
    values = source.values
    aligned = np.empty((*values.shape[:-1], len(targets)), dtype=values.dtype)
    for index, row in enumerate(weights):
        relevant = row > 0
        aligned[..., index] = (values[..., relevant] @ row[relevant] / row[relevant].sum()).astype(values.dtype)
    coords = {name: coord for name, coord in source.coords.items() if "time_bin" not in coord.dims}
    coords.update(time_bin_start=("time_bin", _as_given(targets[:, 0], target_bins, 0)),
                  time_bin_end=("time_bin", _as_given(targets[:, 1], target_bins, 1)))
    result = xr.DataArray(aligned, dims=source.dims, coords=coords, attrs=dict(assembly.attrs), name=assembly.name)
    return result.transpose(*assembly.dims)


def _portion_weights(starts: np.ndarray, ends: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """(target, source) fractions of each source bin inside each target bin; refuses uncovered targets."""
    overlap_start = np.maximum(targets[:, :1], starts[None, :])
    overlap_end = np.minimum(targets[:, 1:], ends[None, :])
    weights = np.maximum(overlap_end - overlap_start, 0) / (ends - starts)[None, :]
    covered = (overlap_end.max(axis=1) >= targets[:, 1]) & (overlap_start.min(axis=1) <= targets[:, 0])
    if not covered.all():
        missing = [tuple(bin_) for bin_ in targets[~covered][:5].tolist()]
        raise DataFormatError(
            f"target time bin(s) {missing} are not covered by the recorded bins, which span "
            f"{starts.min():g}-{ends.max():g} ms; choose target bins inside that span.")
    return weights


def _as_given(edges: np.ndarray, target_bins: Sequence[tuple[float, float]], column: int) -> np.ndarray:
    """Bin edges as integers when the targets were given as integers, else as floats."""
    integral = all(isinstance(bin_[column], (int, np.integer)) for bin_ in target_bins)
    return edges.astype(np.int64) if integral else edges
