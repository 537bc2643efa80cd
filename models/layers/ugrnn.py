"""The convolutional Update-Gate RNN (UGRNN; Collins, Sohl-Dickstein & Sussillo 2017), as in the ConvRNN release.

A single gate interpolates between keeping the state and a new candidate. With ⊛ a
TensorFlow-"SAME" k×k convolution and ``[x_t, h_t]`` the channel concatenation:

.. math::

    [a_g, a_c] &= W \\circledast [x_t, h_t] + b \\\\
    g &= \\sigma(a_g + b_g), \\quad c = \\tanh(a_c) \\\\
    h_{t+1} &= g \\odot h_t + (1 - g) \\odot c

``b_g`` is a constant gate offset (1, the release's ``forget_bias``); b starts at 0.
The output is the new state.
"""

from __future__ import annotations

import torch
from torch import nn

from chronoscore.models.layers.cell import ConvRecurrentCell, same_conv

__all__ = ["UGRNNCell"]


class UGRNNCell(ConvRecurrentCell):
    """Convolutional UGRNN; state and output ``h``.

    Parameters
    ----------
    in_channels : int
        Channels of the drive x_t.
    channels : int
        Channels of h.
    kernel_size : int
        Side of the kernel W.
    gate_bias : float
        Constant ``b_g`` added to the update gate's pre-activation.

    Notes
    -----
    ``conv`` holds W with its 2C output channels in the order (gate g, candidate c), as
    in the release. Parameters: ``k²·(C_in + C)·2C + 2C``.
    """

    def __init__(self, in_channels: int, channels: int, kernel_size: int = 3, gate_bias: float = 1.0) -> None:
        super().__init__(in_channels, channels, kernel_size)
        self.gate_bias = float(gate_bias)
        self.conv = same_conv(in_channels + channels, 2 * channels, kernel_size)
        nn.init.zeros_(self.conv.bias)

    def forward(self, input: torch.Tensor, state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One step: drive (B, C_in, H, W), state (B, C, H, W) -> (output, next state), both (B, C, H, W)."""
        gate, candidate = self.conv(torch.cat([input, state], dim=1)).chunk(2, dim=1)
        gate = torch.sigmoid(gate + self.gate_bias)
        hidden = gate * state + (1 - gate) * torch.tanh(candidate)
        return hidden, hidden
