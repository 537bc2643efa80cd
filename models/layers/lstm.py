"""The convolutional LSTM cell of the ConvRNN release (Hochreiter & Schmidhuber 1997; Gers et al. 2000).

With ⊛ a TensorFlow-"SAME" k×k convolution, ``[x_t, h_t]`` the channel concatenation,
LN an optional layer normalisation (over (C, H, W) of each sample, gain and shift per
channel) and P_f, P_i, P_o optional peephole weights (one per channel *and position*):

.. math::

    [a_i, a_j, a_f, a_o] &= W \\circledast [x_t, h_t] + b \\\\
    c_{t+1} &= \\mathrm{LN}\\big(\\sigma(\\mathrm{LN}(a_f) + b_f + P_f \\odot c_t) \\odot c_t
              + \\sigma(\\mathrm{LN}(a_i) + P_i \\odot c_t) \\odot \\tanh(\\mathrm{LN}(a_j))\\big) \\\\
    h_{t+1} &= \\tanh(c_{t+1}) \\odot \\sigma(\\mathrm{LN}(a_o) + P_o \\odot c_t)

``b_f`` is a constant forget-gate offset. As in the release, the output gate's peephole
reads the old memory c_t, and each LN (five of them) has its own gain and shift. The
output is h_{t+1}; the state is the pair (h, c).
"""

from __future__ import annotations

import torch
from torch import nn

from chronoscore.errors import ConfigError
from chronoscore.models.layers.cell import ConvRecurrentCell, same_conv
from chronoscore.models.layers.vanilla_rnn import LAYER_NORM_EPS

__all__ = ["LSTMCell"]


class LSTMCell(ConvRecurrentCell):
    """Convolutional LSTM; state ``(h, c)``, output ``h``.

    Parameters
    ----------
    in_channels : int
        Channels of the drive x_t.
    channels : int
        Channels of h and c.
    kernel_size : int
        Side of the kernel W (even sides pad as TensorFlow).
    forget_bias : float
        Constant ``b_f`` added to the forget gate's pre-activation.
    bias_init : float
        Starting value of every entry of b (0 in the release unless configured).
    layer_norm : bool
        Normalise a_i, a_j, a_f, a_o and the new memory.
    peephole_size : (int, int) or None
        (H, W) of the peephole weights; None for no peepholes.

    Notes
    -----
    ``conv`` holds W with its 4C output channels in the order (input gate i, candidate
    j, forget gate f, output gate o), as in the release. Parameters:
    ``k²·(C_in + C)·4C + 4C`` (+ ``10C`` with layer norm, + ``3·H·W·C`` with peepholes).
    """

    def __init__(self, in_channels: int, channels: int, kernel_size: int = 3, forget_bias: float = 1.0,
                 bias_init: float = 0.0, layer_norm: bool = False,
                 peephole_size: tuple[int, int] | None = None) -> None:
        super().__init__(in_channels, channels, kernel_size)
        self.forget_bias = float(forget_bias)
        self.conv = same_conv(in_channels + channels, 4 * channels, kernel_size)
        nn.init.constant_(self.conv.bias, float(bias_init))
        self.norms = nn.ModuleList(nn.GroupNorm(1, channels, eps=LAYER_NORM_EPS) for _ in range(5)) \
            if layer_norm else None
        if peephole_size is not None:
            if len(peephole_size) != 2 or min(peephole_size) < 1:
                raise ConfigError(f"peephole_size must be (H, W) of the cell's maps, got {peephole_size!r}.")
            self.peepholes = nn.Parameter(torch.empty(3, channels, *peephole_size))
            nn.init.normal_(self.peepholes, std=(peephole_size[0] * peephole_size[1]) ** -0.5)
        else:
            self.peepholes = None

    def state_channels(self) -> tuple[int, ...]:
        """(h, c) both have C channels."""
        return (self.channels, self.channels)

    def forward(self, input: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor]
                ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """One step: drive (B, C_in, H, W), state (h, c) each (B, C, H, W) -> (h', (h', c'))."""
        hidden, memory = state
        gates = list(self.conv(torch.cat([input, hidden], dim=1)).chunk(4, dim=1))
        if self.norms is not None:
            gates = [norm(gate) for norm, gate in zip(self.norms, gates, strict=False)]
        input_gate, candidate, forget_gate, output_gate = gates
        if self.peepholes is not None:
            forget_gate = forget_gate + self.peepholes[0] * memory
            input_gate = input_gate + self.peepholes[1] * memory
            output_gate = output_gate + self.peepholes[2] * memory
        next_memory = torch.sigmoid(forget_gate + self.forget_bias) * memory \
            + torch.sigmoid(input_gate) * torch.tanh(candidate)
        if self.norms is not None:
            next_memory = self.norms[4](next_memory)
        next_hidden = torch.tanh(next_memory) * torch.sigmoid(output_gate)
        return next_hidden, (next_hidden, next_memory)
