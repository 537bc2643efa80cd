"""The convolutional vanilla RNN cell of the ConvRNN release, with optional layer normalisation.

The plain ("vanilla", Elman) recurrence that Nayebi et al. (2018) found to help
little inside deep CNNs, made convolutional as in the release's ``ConvNormBasicCell``:

.. math::

    h_{t+1} = f\\big(\\mathrm{LN}(W_x \\circledast x_t + b_x + W_h \\circledast h_t + b_h)\\big)

where ⊛ is a TensorFlow-"SAME" k×k convolution, f is ELU and LN (optional) normalises
each sample over all of (C, H, W) with a learned gain and shift per channel (layer
normalisation, Ba et al. 2016, with TensorFlow's ε = 1e-12). The output is the new
state.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from chronoscore.models.layers.cell import ConvRecurrentCell, same_conv

__all__ = ["LAYER_NORM_EPS", "VanillaRNNCell"]

LAYER_NORM_EPS = 1e-12
"""The variance offset of TensorFlow's ``layer_norm``, which the release's cells use."""


class VanillaRNNCell(ConvRecurrentCell):
    """Convolutional Elman RNN: ``h' = ELU(LN(W_x ⊛ x + b_x + W_h ⊛ h + b_h))``.

    Parameters
    ----------
    in_channels : int
        Channels of the drive x_t.
    channels : int
        Channels of the state and output.
    kernel_size : int
        Side of the kernels W_x and W_h.
    layer_norm : bool
        Normalise the pre-activation over (C, H, W) of each sample (gain and shift per
        channel, ``nn.GroupNorm(1, channels)``).

    Notes
    -----
    ``input_conv`` is W_x, ``state_conv`` W_h, each with its bias (as in the release).
    Parameters: ``k²·(C_in + C)·C + 2C`` (+ ``2C`` with layer norm).
    """

    def __init__(self, in_channels: int, channels: int, kernel_size: int = 3, layer_norm: bool = False) -> None:
        super().__init__(in_channels, channels, kernel_size)
        self.input_conv = same_conv(in_channels, channels, kernel_size)
        self.state_conv = same_conv(channels, channels, kernel_size)
        self.norm = nn.GroupNorm(1, channels, eps=LAYER_NORM_EPS) if layer_norm else nn.Identity()

    def forward(self, input: torch.Tensor, state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One step: drive (B, C_in, H, W), state (B, C, H, W) -> (output, next state), both (B, C, H, W)."""
        hidden = F.elu(self.norm(self.input_conv(input) + self.state_conv(state)))
        return hidden, hidden
