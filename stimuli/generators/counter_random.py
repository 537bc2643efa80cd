"""Counter-based random numbers for many images at once.

A generator that draws a whole batch of images with array operations still needs
image ``i`` to depend on ``(seed, i)`` only, whatever the batch. Here every
number is a hash of its coordinates: the key of an image (from the seed, the
image index and any further labels such as an attempt number) and the position
of the number in that image's block. The hash is SplitMix64's output function
(Steele, Lea & Flood 2014), applied to ``key + position * golden gamma`` exactly
as SplitMix64 walks its state, so one image's block is a SplitMix64 stream.
"""

from __future__ import annotations

import numpy as np

__all__ = ["image_keys", "uniforms"]

_GAMMA = 0x9E3779B97F4A7C15
_MIX_A = np.uint64(0xBF58476D1CE4E5B9)
_MIX_B = np.uint64(0x94D049BB133111EB)
_TO_UNIT = 2.0 ** -53
_WORD = 2 ** 64


def image_keys(seed: int, indices: np.ndarray, *labels: int) -> np.ndarray:
    """(B,) uint64 keys of the images ``indices`` (B,) of ``seed``, further split by ``labels``."""
    keys = _mix(np.full(len(indices), (int(seed) + 1) * _GAMMA % _WORD, dtype=np.uint64))
    keys = _mix(keys ^ (np.asarray(indices, dtype=np.uint64) * np.uint64(_GAMMA)))
    for label in labels:
        keys = _mix(keys ^ np.uint64((int(label) * _GAMMA + 0xBF58476D1CE4E5B9) % _WORD))
    return keys


def uniforms(keys: np.ndarray, count: int) -> np.ndarray:
    """(B, count) float64 numbers in [0, 1), row ``b`` the first ``count`` of key ``b``'s stream."""
    steps = np.arange(1, count + 1, dtype=np.uint64) * np.uint64(_GAMMA)
    bits = _mix(np.asarray(keys, dtype=np.uint64)[:, None] + steps[None, :])
    return (bits >> np.uint64(11)).astype(np.float64) * _TO_UNIT


def _mix(values: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser, element-wise (uint64 arithmetic wraps modulo 2**64)."""
    values = values ^ (values >> np.uint64(30))
    values = values * _MIX_A
    values = values ^ (values >> np.uint64(27))
    values = values * _MIX_B
    return values ^ (values >> np.uint64(31))
