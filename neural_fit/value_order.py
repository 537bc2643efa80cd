"""The sorted order of many finite float64 values, and whether two of them are equal, fast on the CPU.

RSA ranks each RDM triangle (5.1 million values at 3200 stimuli) once, and that
sort is most of its time after the RDM itself. A comparison sort of the floats
is slow; torch's CPU sort of integers is several times faster, and about twice
as fast again on 32-bit keys as on 64-bit ones. So the values are put in order
by a 32-bit key first and corrected where that key cannot tell them apart:

1. **Buckets.** ``floor((v − lo) · (2³¹ − 1) / (hi − lo))`` over the values'
   range [lo, hi] never decreases as v grows (each rounded operation is
   monotone), so sorting these int32 bucket numbers puts values of different
   buckets in their order.
2. **Runs.** Values that share a bucket end up next to each other (for an RDM
   triangle, a fraction of a percent of them); each such run is then sorted by
   the values themselves. Equal values always share a bucket, ``0.0`` and
   ``-0.0`` included, so ties are found within the runs.
3. **Bit keys.** When the range cannot be cut into buckets (all values equal, or
   a width that overflows) or more than an eighth of the values share a bucket
   (a few outliers stretching the range), each value's bits, with those of
   negative values' magnitude flipped, form an int64 key in the values' order
   (``-0.0`` just below ``0.0``), and the keys are sorted instead.

Either way the order is exactly the values' order; only equal values may come
in any order.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["sort_order", "sorted_order"]

_BUCKETS = 2**31 - 1
"""The largest bucket number (int32)."""

_MOST_IN_RUNS = 1 / 8
"""Above this fraction of values sharing a bucket, the bit keys are sorted instead."""


def sort_order(values: np.ndarray) -> np.ndarray:
    """Indices (M,) that sort (M,) finite float64 ``values`` ascending (equal values in any order)."""
    return sorted_order(values)[0]


def sorted_order(values: np.ndarray) -> tuple[np.ndarray, bool]:
    """``(order, tied)``: indices (M,) that sort (M,) finite float64 ``values`` ascending, and whether two
    of the values are equal (``0.0`` and ``-0.0`` count as equal)."""
    import torch

    values = np.ascontiguousarray(values, dtype=np.float64)
    if values.size < 2:
        return np.arange(values.size), False
    low, high = float(values.min()), float(values.max())
    width = high - low
    scale = _BUCKETS / width if width > 0 else math.inf   # inf: a constant or subnormal range; 0: an overflowing one
    if not 0 < scale < math.inf:
        return _bit_key_order(values)
    buckets = np.subtract(values, low)
    buckets *= scale
    np.minimum(buckets, _BUCKETS, out=buckets)
    ordered = torch.sort(torch.from_numpy(buckets.astype(np.int32)), stable=True)
    order, keys = ordered.indices.numpy(), ordered.values.numpy()
    shares_next = keys[1:] == keys[:-1]
    in_run = np.zeros(values.size, dtype=bool)
    in_run[:-1] = shares_next
    in_run[1:] |= shares_next
    places = np.flatnonzero(in_run)
    if places.size > _MOST_IN_RUNS * values.size:
        return _bit_key_order(values)
    if places.size == 0:
        return order, False
    run_starts = np.r_[True, ~shares_next[places[:-1]]]   # a run goes on while a place shares the next one's bucket
    members = order[places]
    member_values = values[members]
    within = np.lexsort((member_values, np.cumsum(run_starts)))
    order[places] = members[within]
    member_values = member_values[within]
    return order, bool(((member_values[1:] == member_values[:-1]) & ~run_starts[1:]).any())


def _bit_key_order(values: np.ndarray) -> tuple[np.ndarray, bool]:
    """:func:`sorted_order` by sorting int64 keys made of the values' bits."""
    import torch

    bits = values.view(np.int64)
    keys = bits ^ ((bits >> 63) & np.int64(0x7FFFFFFFFFFFFFFF))
    ordered = torch.sort(torch.from_numpy(keys), stable=True)
    order, keys = ordered.indices.numpy(), ordered.values.numpy()
    negative_zero, positive_zero = np.searchsorted(keys, [_NEGATIVE_ZERO_KEY, 0])
    both_zeros = negative_zero < keys.size and keys[negative_zero] == _NEGATIVE_ZERO_KEY and \
        positive_zero < keys.size and keys[positive_zero] == 0
    return order, bool(both_zeros or (keys[1:] == keys[:-1]).any())


_NEGATIVE_ZERO_KEY = -1
"""The bit key of ``-0.0`` (equal to ``0.0``, whose key is 0)."""
