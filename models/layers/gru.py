"""The convolutional GRU cell of the ConvRNN release (Cho et al. 2014).

With ⊛ a TensorFlow-"SAME" k×k convolution and ``[·, ·]`` channel concatenation:

.. math::

    [a_r, a_u] &= W_g \\circledast [x_t, h_t] + b_g, \\quad r = \\sigma(a_r + b_r), \\; u = \\sigma(a_u) \\\\
    \\tilde h &= \\tanh\\big(W_c \\circledast [x_t, r \\odot h_t] + b_c\\big) \\\\
    h_{t+1} &= u \\odot h_t + (1 - u) \\odot \\tilde h

r is the reset gate, u the update gate (u = 1 keeps the old state). As in the release,
b_g starts at +1 (both gates), b_c at 0, and the constant ``b_r`` (the release's
``forget_bias``, 1) is added to the reset gate. The output is the new state.
"""

from __future__ import annotations

import torch
from torch import nn

from chronoscore.models.layers.cell import ConvRecurrentCell, same_conv

__all__ = ["GRUCell"]


class GRUCell(ConvRecurrentCell):
    """Convolutional GRU; state and output ``h``.

    Parameters
    ----------
    in_channels : int
        Channels of the drive x_t.
    channels : int
        Channels of h.
    kernel_size : int
        Side of the kernels.
    reset_bias : float
        Constant ``b_r`` added to the reset gate's pre-activation.
    gate_bias_init : float
        Starting value of the gate biases b_g.

    Notes
    -----
    ``gates`` holds W_g with its 2C output channels in the order (reset r, update u);
    ``candidate`` holds W_c. Parameters: ``k²·(C_in + C)·3C + 3C``.
    """

    def __init__(self, in_channels: int, channels: int, kernel_size: int = 3, reset_bias: float = 1.0,
                 gate_bias_init: float = 1.0) -> None:
        super().__init__(in_channels, channels, kernel_size)
        self.reset_bias = float(reset_bias)
        self.gates = same_conv(in_channels + channels, 2 * channels, kernel_size)
        self.candidate = same_conv(in_channels + channels, channels, kernel_size)
        nn.init.constant_(self.gates.bias, float(gate_bias_init))
        nn.init.zeros_(self.candidate.bias)

    def forward(self, input: torch.Tensor, state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One step: drive (B, C_in, H, W), state (B, C, H, W) -> (output, next state), both (B, C, H, W)."""
        reset, update = self.gates(torch.cat([input, state], dim=1)).chunk(2, dim=1)
        reset, update = torch.sigmoid(reset + self.reset_bias), torch.sigmoid(update)
        candidate = torch.tanh(self.candidate(torch.cat([input, reset * state], dim=1)))
        hidden = update * state + (1 - update) * candidate
        return hidden, hidden
