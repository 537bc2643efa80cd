"""The time-decay cell: the simplest local recurrence of Nayebi et al. (2018).

The layer leakily integrates its drive, its state scaled between steps by one learned
number λ per layer, as in the release (``memory`` with ``trainable=True``):

.. math::

    h_{t+1} = \\lambda\\, h_t + x_t

λ is unconstrained and starts at ``initial_decay`` (0 in the release, so the cell
starts feedforward). The output is the new state.
"""

from __future__ import annotations

import torch
from torch import nn

from chronoscore.errors import ConfigError
from chronoscore.models.layers.cell import ConvRecurrentCell

__all__ = ["TimeDecayCell"]


class TimeDecayCell(ConvRecurrentCell):
    """Leaky integrator ``h' = λ·h + x`` with one learned scalar λ.

    Parameters
    ----------
    in_channels : int
        Channels of the drive x_t; must equal ``channels``.
    channels : int
        Channels of h.
    kernel_size : int
        Unused (the cell has no convolution); accepted so all cells share one signature.
    initial_decay : float
        Starting value of λ.

    Notes
    -----
    Parameters: 1 (``decay``, shape (1,)).
    """

    def __init__(self, in_channels: int, channels: int, kernel_size: int = 3, initial_decay: float = 0.0) -> None:
        if in_channels != channels:
            raise ConfigError(f"the time-decay cell adds its drive to its state, so in_channels ({in_channels}) "
                              f"must equal channels ({channels}).")
        super().__init__(in_channels, channels, kernel_size)
        self.decay = nn.Parameter(torch.full((1,), float(initial_decay)))

    def forward(self, input: torch.Tensor, state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One step: drive (B, C, H, W), state (B, C, H, W) -> (output, next state), both (B, C, H, W)."""
        hidden = self.decay * state + input
        return hidden, hidden
