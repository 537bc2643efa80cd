"""The convolutional Intersection RNN (Collins, Sohl-Dickstein & Sussillo 2017).

Two gated paths leave the cell: one through time (the state h) and one through depth
(the output y), which can carry the drive x_t unchanged to the next layer. With ⊛ a
TensorFlow-"SAME" k×k convolution and ``[x_t, h_t]`` the channel concatenation:

.. math::

    [a_{gh}, a_h, a_{gy}, a_y] &= W \\circledast [x_t, h_t] + b \\\\
    g_h &= \\sigma(a_{gh} + b_g), \\quad g_y = \\sigma(a_{gy} + b_g) \\\\
    h_{t+1} &= g_h \\odot h_t + (1 - g_h) \\odot \\tanh(a_h) \\\\
    y_{t+1} &= g_y \\odot x_t + (1 - g_y) \\odot \\mathrm{ReLU}(a_y)

The output is y_{t+1}, the state h_{t+1}. Because x_t is added to the output, the
drive must have as many channels as the cell. ``b_g`` is a constant gate offset.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from chronoscore.errors import ConfigError
from chronoscore.models.layers.cell import ConvRecurrentCell, same_conv

__all__ = ["IntersectionRNNCell"]


class IntersectionRNNCell(ConvRecurrentCell):
    """Convolutional Intersection RNN; state ``h``, output ``y``.

    Parameters
    ----------
    in_channels : int
        Channels of the drive x_t; must equal ``channels``.
    channels : int
        Channels of h and y.
    kernel_size : int
        Side of the kernel W (odd).
    gate_bias : float
        Constant ``b_g`` added to both gates' pre-activations.

    Notes
    -----
    ``conv`` holds W with its 4C output channels in the order (state gate g_h, state
    candidate, output gate g_y, output candidate), as in the release; biases start at 0.
    Parameters: ``k²·2C·4C + 4C``.
    """

    def __init__(self, in_channels: int, channels: int, kernel_size: int = 3, gate_bias: float = 1.0) -> None:
        if in_channels != channels:
            raise ConfigError(f"the Intersection RNN adds its drive to its output, so in_channels ({in_channels}) "
                              f"must equal channels ({channels}).")
        super().__init__(in_channels, channels, kernel_size)
        self.gate_bias = float(gate_bias)
        self.conv = same_conv(2 * channels, 4 * channels, kernel_size)
        nn.init.zeros_(self.conv.bias)

    def forward(self, input: torch.Tensor, state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One step: drive (B, C, H, W), state (B, C, H, W) -> (output y', next state h'), both (B, C, H, W)."""
        state_gate, state_candidate, output_gate, output_candidate = \
            self.conv(torch.cat([input, state], dim=1)).chunk(4, dim=1)
        state_gate = torch.sigmoid(state_gate + self.gate_bias)
        output_gate = torch.sigmoid(output_gate + self.gate_bias)
        hidden = state_gate * state + (1 - state_gate) * torch.tanh(state_candidate)
        output = output_gate * input + (1 - output_gate) * F.relu(output_candidate)
        return output, hidden
