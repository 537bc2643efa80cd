"""The feedforward control of the hGRU with large kernels (Linsley et al. 2018, "large kernels").

``ff_large_kernels``: the hGRU's Gabor drive, then 5 × [20×20 convolution with 9
filters (no bias), batch norm, ReLU], then the hGRU's readout (BN → 1×1 conv →
global max pool → BN → linear). It runs once: T = 1, and ``n_steps`` can only be
None or 1. Areas: ``drive`` and ``conv1`` … ``conv5``, each (1, B, C, H, W).

Where it differs from the authors' release: the readout starts with the batch norm of
the hGRU's readout (the release feeds the last ReLU to the 1×1 convolution
directly); the Gabor drive is the one of :mod:`chronoscore.models.hgru`. Every layer keeps the image
size: the even 20×20 kernels see 9 zero pixels before and 10 after each image side.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from chronoscore.errors import ConfigError
from chronoscore.models.base import TimeResolvedModel
from chronoscore.models.layers.checked_fft_conv import CheckedFFTConvolution
from chronoscore.models.layers.gabor import GaborDrive
from chronoscore.models.layers.hgru_readout import PathfinderReadout
from chronoscore.models.registry import register_model

__all__ = ["LargeKernelControl", "ff_large_kernels"]

_NORM_EPS = 1e-3


class LargeKernelControl(TimeResolvedModel):
    """Gabor drive → ``n_layers`` × [k×k conv, BN, ReLU] → Pathfinder readout.

    Parameters
    ----------
    input_size : int
        Side in pixels of the images the model is meant for (150); any size runs.
    n_orientations : int
        Orientations of the Gabor bank (12: 25 channels).
    gabor_size : int
        Side of the Gabor filters (7).
    kernel_size : int
        Side of the convolution kernels (20).
    n_layers : int
        Convolution layers (5).
    channels : int
        Filters per layer at ``width = 1`` (9).
    width : float
        Multiplier of ``channels`` (rounded, at least 1), e.g. to match another model's
        parameter count with :func:`~chronoscore.models.parameter_count.widen_to_match`.
    n_classes : int
        Outputs of the readout (2).
    readout_pooled_norm : bool
        Whether the readout batch-normalises its pooled maps (True, as in the paper).
    step_ms : float
        Milliseconds per step.
    fast : bool
        Convolve kernels of 7×7 and more through the FFT where a run-time check finds it
        computes the direct convolution (:mod:`~chronoscore.models.layers.checked_fft_conv`;
        at 48 px with 9×9 kernels a training step is about 3× faster); the same
        numbers to float rounding, and the same parameters.

    Notes
    -----
    Parameters: 25·49 + 25 (Gabors and their biases) + k²·(25·c + (L − 1)·c²) + 2Lc (norms) + readout,
    c = round(channels · width).
    """

    input_convention = "unit_gray"

    def __init__(self, *, input_size: int = 150, n_orientations: int = 12, gabor_size: int = 7,
                 kernel_size: int = 20, n_layers: int = 5, channels: int = 9, width: float = 1.0,
                 n_classes: int = 2, readout_pooled_norm: bool = True, step_ms: float = 10.0,
                 fast: bool = True) -> None:
        for name, value in (("input_size", input_size), ("kernel_size", kernel_size), ("n_layers", n_layers),
                            ("channels", channels), ("n_classes", n_classes)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{name} must be a positive integer, got {value!r}.")
        if isinstance(width, bool) or not isinstance(width, (int, float)) or not width > 0:
            raise ConfigError(f"width must be a positive number, got {width!r}.")
        super().__init__(("drive", *(f"conv{index}" for index in range(1, n_layers + 1))), step_ms=step_ms)
        self.input_size, self.width, self.n_classes = input_size, float(width), n_classes
        self.gabor = GaborDrive(gabor_size, n_orientations)
        filters = max(1, round(channels * width))
        layers, in_channels = [], self.gabor.out_channels
        before = (kernel_size - 1) // 2
        for _ in range(n_layers):
            layers.append(nn.Sequential(nn.ZeroPad2d((before, kernel_size - 1 - before) * 2),
                                        nn.Conv2d(in_channels, filters, kernel_size, bias=False),
                                        nn.BatchNorm2d(filters, eps=_NORM_EPS), nn.ReLU()))
            in_channels = filters
        self.layers = nn.ModuleList(layers)
        self.head = PathfinderReadout(filters, n_classes, pooled_norm=readout_pooled_norm)
        self.fast = bool(fast)
        self._checked_convolution = CheckedFFTConvolution("large-kernel control")

    def _area_outputs(self, images: torch.Tensor) -> list[torch.Tensor]:
        outputs = [self.gabor(images)]
        for layer in self.layers:
            outputs.append(self._layer(layer, outputs[-1]))
        return outputs

    def _layer(self, layer: nn.Sequential, maps: torch.Tensor) -> torch.Tensor:
        """One [pad, conv, BN, ReLU] layer on maps (B, C, H, W); the padding and convolution as one step when fast."""
        if not self.fast:
            return layer(maps)
        _, conv, norm, relu = layer
        return relu(norm(self._checked_convolution(maps, conv.weight)))

    def forward_timesteps(self, images: torch.Tensor, n_steps: int | None = None,
                          areas: Sequence[str] | None = None) -> dict[str, torch.Tensor]:
        """Activity of each area after one pass: {area: (1, B, C, H, W)}."""
        self._check_one_step(n_steps)
        wanted = self.resolve_areas(areas)
        outputs = dict(zip(self.areas, self._area_outputs(images), strict=True))
        return {area: outputs[area].unsqueeze(0) for area in wanted}

    def forward(self, images: torch.Tensor, n_steps: int | None = None) -> torch.Tensor:
        """Class scores (B, n_classes) for images (B, 1 or 3, H, W); ``n_steps`` must be None or 1."""
        self._check_one_step(n_steps)
        return self.head(self._area_outputs(images)[-1])

    def _check_one_step(self, n_steps: int | None) -> None:
        if self.resolve_steps(n_steps) != 1:
            raise ConfigError(f"a feedforward control runs one step, so n_steps must be None or 1, got {n_steps}.")


@register_model
def ff_large_kernels(**kwargs) -> LargeKernelControl:
    """Feedforward control of the hGRU: Gabor drive, 5 × [20×20 conv (9 filters), BN, ReLU], readout."""
    return LargeKernelControl(**kwargs)
