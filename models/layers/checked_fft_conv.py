"""A same-padded convolution that goes through the FFT only where it was seen to compute the direct one.

:class:`CheckedFFTConvolution` convolves kernels of :data:`FFT_FROM_KERNEL_SIZE` and
more with :func:`~chronoscore.models.layers.fast_conv.fft_same_conv`, smaller ones
directly. The first time it meets maps of a new shape, dtype and device it computes
both on those maps; where the FFT result is further than a tolerance from the direct
one (1e-4 of the largest value in float32 and float64, 2e-2 in lower precision) it
warns (:class:`FastPathWarning`) and convolves those maps directly from then on.
All-zero maps (an initial state) check nothing, so the check waits for the next call.
"""

from __future__ import annotations

import math
import warnings

import torch
import torch.nn.functional as F

from chronoscore.models.layers.fast_conv import fft_same_conv

__all__ = ["FFT_FROM_KERNEL_SIZE", "CheckedFFTConvolution", "FastPathWarning", "direct_same_conv"]

FFT_FROM_KERNEL_SIZE = 7
"""Smallest kernel side convolved through the FFT (48 px, 9 channels, batch 32, forward and
backward: the FFT is 1.16× faster at 7×7, the direct convolution at 5×5)."""

_TOLERANCE = {torch.float32: 1e-4, torch.float64: 1e-4}
_TOLERANCE_LOW_PRECISION = 2e-2


class FastPathWarning(UserWarning):
    """The FFT convolution did not compute the direct one; the model convolves directly."""


def direct_same_conv(maps: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """``F.conv2d`` of maps (B, C, H, W) with kernel (O, C, k, k), (k − 1) // 2 zeros before and k // 2 after.

    Returns
    -------
    Tensor (B, O, H, W)
    """
    size = kernel.shape[-1]
    if size % 2:
        return F.conv2d(maps, kernel, padding=size // 2)
    before, after = (size - 1) // 2, size // 2
    return F.conv2d(F.pad(maps, (before, after, before, after)), kernel)


class CheckedFFTConvolution:
    """:func:`direct_same_conv`, through the FFT for large kernels where a run-time check allows it.

    Parameters
    ----------
    owner : str
        Names the model in the warning.

    Attributes
    ----------
    verdicts : dict
        ``(shape, dtype, device type) -> bool``: whether the FFT path is used for such maps.
    """

    def __init__(self, owner: str) -> None:
        self.owner = owner
        self.verdicts: dict[tuple, bool] = {}

    def __call__(self, maps: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
        """maps (B, C, H, W) and kernel (O, C, k, k) -> (B, O, H, W)."""
        if kernel.shape[-1] >= FFT_FROM_KERNEL_SIZE and self._fft_agrees(maps, kernel):
            return fft_same_conv(maps, kernel)
        return direct_same_conv(maps, kernel)

    def _fft_agrees(self, maps: torch.Tensor, kernel: torch.Tensor) -> bool:
        key = (tuple(maps.shape), maps.dtype, maps.device.type)
        if key in self.verdicts:
            return self.verdicts[key]
        with torch.no_grad():
            direct = direct_same_conv(maps, kernel)
            scale = float(direct.abs().max())
            if scale == 0.0:
                return True
            error = float((fft_same_conv(maps, kernel) - direct).abs().max())
        tolerance = _TOLERANCE.get(direct.dtype, _TOLERANCE_LOW_PRECISION)
        agrees = math.isfinite(error) and error <= tolerance * scale
        if not agrees:
            warnings.warn(f"the {self.owner}'s FFT convolution differs from the direct one by {error / scale:.2g} of "
                          f"the largest value on {tuple(maps.shape)} {maps.dtype} maps; it convolves directly from "
                          "now on.", FastPathWarning, stacklevel=4)
        self.verdicts[key] = agrees
        return agrees
