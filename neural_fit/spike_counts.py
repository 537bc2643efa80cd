"""Counting spikes in time windows around presentations, streaming one unit's spikes at a time.

Spike times of many units are usually stored as one flat array with an index
of where each unit's spikes end (NWB's ragged ``spike_times`` with
``spike_times_index``). :func:`count_spikes` reads each selected unit's slice
of that array in blocks of at most ``block_size`` spikes, so memory holds the
counts and one block, never the whole array. Any array-like that supports
slicing works (an ``h5py`` dataset, a numpy array).

A window ``(start, end)`` in seconds holds every spike ``t`` with
``start <= t < end``. Counts are additive over blocks, so the spikes need not
be sorted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["DEFAULT_BLOCK_SIZE", "unit_bounds", "count_spikes", "presentation_windows"]

DEFAULT_BLOCK_SIZE = 1 << 22
"""Spikes read at once (4 Mi float64 values, 32 MiB)."""


def unit_bounds(spike_times_index: Any) -> tuple[np.ndarray, np.ndarray]:
    """First and one-past-last position of each unit's spikes in the flat array.

    Parameters
    ----------
    spike_times_index : array-like of int, shape (unit,)
        Where each unit's spikes end (exclusive), non-decreasing.

    Returns
    -------
    first, stop : numpy.ndarray of int64, shape (unit,)
    """
    stop = np.asarray(spike_times_index[:], dtype=np.int64)
    first = np.concatenate([[0], stop[:-1]]).astype(np.int64)
    return first, stop


def presentation_windows(align_s: np.ndarray, bins_ms: np.ndarray) -> np.ndarray:
    """Window edges in seconds of every time bin around every presentation.

    Parameters
    ----------
    align_s : numpy.ndarray, shape (presentation,)
        Time (s) each presentation's bins are measured from (its onset or offset).
    bins_ms : numpy.ndarray, shape (bin, 2)
        (start, end) of each bin in ms relative to that time.

    Returns
    -------
    numpy.ndarray, shape (presentation, bin, 2)
        ``align_s[p] + bins_ms[b] / 1000``.
    """
    return np.asarray(align_s, dtype=np.float64)[:, None, None] + np.asarray(bins_ms, dtype=np.float64) / 1000.0


def count_spikes(
    spike_times: Any,
    first: Sequence[int] | np.ndarray,
    stop: Sequence[int] | np.ndarray,
    windows: np.ndarray,
    *,
    block_size: int = DEFAULT_BLOCK_SIZE,
) -> tuple[np.ndarray, np.ndarray]:
    """Count each unit's spikes in each window, reading its spikes block by block.

    Parameters
    ----------
    spike_times : sliceable array-like of float, shape (spike,)
        Every unit's spike times (s), unit after unit.
    first, stop : array-like of int, shape (unit,)
        The slice ``first[u]:stop[u]`` of ``spike_times`` holding unit ``u``'s spikes.
    windows : numpy.ndarray, shape (presentation, bin, 2)
        Window edges (s), from :func:`presentation_windows`.
    block_size : int
        Most spikes read at once.

    Returns
    -------
    counts : numpy.ndarray of int32, shape (presentation, unit, bin)
    totals : numpy.ndarray of int64, shape (unit,)
        Each unit's number of spikes in the whole recording.
    """
    n_presentations, n_bins = windows.shape[:2]
    # every distinct edge once, sorted (searchsorted is fastest on sorted keys); a window's count is the
    # number of spikes before its end minus the number before its start
    edges, where = np.unique(windows.reshape(-1, 2), return_inverse=True)
    where = where.reshape(-1, 2)
    counts = np.zeros((n_presentations, len(first), n_bins), dtype=np.int32)
    totals = np.zeros(len(first), dtype=np.int64)
    for unit, (low, high) in enumerate(zip(np.asarray(first, dtype=np.int64), np.asarray(stop, dtype=np.int64))):
        before = np.zeros(len(edges), dtype=np.int64)
        for begin in range(int(low), int(high), block_size):
            block = np.asarray(spike_times[begin:min(begin + block_size, int(high))], dtype=np.float64)
            if not np.all(block[1:] >= block[:-1]):  # unsorted (or holding NaN, which sorts last)
                block = np.sort(block)
            before += np.searchsorted(block, edges, side="left")
        unit_counts = before[where[:, 1]] - before[where[:, 0]]
        counts[:, unit, :] = unit_counts.reshape(n_presentations, n_bins)
        totals[unit] = high - low
    return counts, totals
