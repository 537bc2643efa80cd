"""One layer of a ConvRNN: convolution, local recurrent cell, feedback entry, residual block, pooling.

A layer computes, from its input u (the image or the layer below) and the outputs
f_j of the layers that feed back to it (all from the previous step)::

    x = ELU(conv(u))                      # linear instead where the base says so
    fb = concat_j resize(f_j)             # bilinear, align_corners=True, to x's size
    y, state = cell(x, state)             # RGC: cell(x, state, u, fb), fb enters its output drive
                                          # other cells: x + F ⊛ fb first (F: 1×1 with bias)
    y = ELU(conv'(y) + shortcut(u))       # residual blocks only
    output = maxpool(y)                   # pooling layers only (TensorFlow "SAME": ceil)

Feedback sources are concatenated in the release's order (by the name ``conv<n>`` as
text: conv10 before conv6). Every convolution pads as TensorFlow's "SAME".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import torch
from torch import nn
from torch.nn import functional as F

from chronoscore.errors import ConfigError
from chronoscore.models.convrnn_bases import LayerSpec, scaled_channels
from chronoscore.models.layers.cell import CellState, ConvRecurrentCell, same_conv
from chronoscore.models.layers.gru import GRUCell
from chronoscore.models.layers.intersection_rnn import IntersectionRNNCell
from chronoscore.models.layers.lstm import LSTMCell
from chronoscore.models.layers.rgc import ReciprocalGatedCell
from chronoscore.models.layers.time_decay import TimeDecayCell
from chronoscore.models.layers.ugrnn import UGRNNCell
from chronoscore.models.layers.vanilla_rnn import VanillaRNNCell

__all__ = ["CellName", "CELL_TYPES", "ConvRNNLayer"]

CellName = Literal["rgc", "vanilla", "lstm", "gru", "ugrnn", "intersection", "time_decay"]

CELL_TYPES: Mapping[str, type[ConvRecurrentCell]] = {
    "rgc": ReciprocalGatedCell,
    "vanilla": VanillaRNNCell,
    "lstm": LSTMCell,
    "gru": GRUCell,
    "ugrnn": UGRNNCell,
    "intersection": IntersectionRNNCell,
    "time_decay": TimeDecayCell,
}


def _build_cell(name: str, in_channels: int, options: Mapping[str, object]) -> ConvRecurrentCell:
    if name not in CELL_TYPES:
        raise ConfigError(f"unknown cell {name!r}; choose one of {sorted(CELL_TYPES)}.")
    options = dict(options)
    channels = options.pop("channels")
    try:
        return CELL_TYPES[name](in_channels, channels, **options)
    except TypeError as error:
        raise ConfigError(f"cell {name!r} does not take the options {sorted(options)}: {error}") from error


def _ceil_divide(size: int, divisor: int) -> int:
    return -(-size // divisor)


class ConvRNNLayer(nn.Module):
    """One layer of a ConvRNN base (see the module docstring for its computation).

    Parameters
    ----------
    in_channels : int
        Channels of the layer's input u.
    spec : LayerSpec
        Kernel, stride, pooling, residual block and whether a cell sits here.
    width : float
        Multiplier of ``spec.channels`` and of the cell's ``channels`` and
        ``cell_channels`` options.
    cell : str or None
        Cell name (a key of :data:`CELL_TYPES`) for recurrent layers; None for none.
    cell_options : mapping
        Keyword arguments of the cell; ``channels`` (the cell's output channels at
        width 1, default ``spec.channels``) and ``peepholes`` (LSTM peepholes shaped
        like ``cell_size``) are read here.
    feedback_channels : sequence of int
        Channels of each layer that feeds back to this one, in concatenation order.
    linear_drive : bool
        No ELU after the layer's convolution.
    cell_size : (int, int)
        Spatial size (H, W) of the cell's maps (needed for peepholes).
    """

    def __init__(self, in_channels: int, spec: LayerSpec, width: float, cell: str | None = None,
                 cell_options: Mapping[str, object] | None = None, feedback_channels: Sequence[int] = (),
                 linear_drive: bool = False, cell_size: tuple[int, int] = (1, 1)) -> None:
        super().__init__()
        channels = scaled_channels(spec.channels, width)
        self.conv = same_conv(in_channels, channels, spec.kernel_size, stride=spec.stride)
        self.linear_drive = bool(linear_drive)
        self.cell = None
        self.feedback = None
        out_channels = channels
        if cell is not None and spec.recurrent:
            options = dict(cell_options or {})
            options["channels"] = scaled_channels(int(options.get("channels", spec.channels)), width)
            if "cell_channels" in options:
                options["cell_channels"] = scaled_channels(int(options["cell_channels"]), width)
            if options.pop("peepholes", False):
                options["peephole_size"] = tuple(cell_size)
            if cell == "rgc":
                options.update(layer_input_channels=in_channels, feedback_channels=sum(feedback_channels))
            elif feedback_channels:
                self.feedback = nn.Conv2d(sum(feedback_channels), channels, 1)
            self.cell = _build_cell(cell, channels, options)
            out_channels = self.cell.channels
        elif feedback_channels:
            raise ConfigError(f"feedback can only enter a layer with a cell, not {spec.area}.")
        self.out_channels = out_channels
        self.block_conv = same_conv(out_channels, out_channels, 3) if spec.residual_block else None
        needs_projection = spec.residual_block and (in_channels != out_channels or spec.stride != 1)
        self.shortcut = nn.Conv2d(in_channels, out_channels, 1, stride=spec.stride, bias=False) \
            if needs_projection else nn.Identity()
        self.pool = nn.MaxPool2d(2, 2, ceil_mode=True) if spec.pool else nn.Identity()
        self._stride, self._pools = spec.stride, spec.pool

    def drive_size(self, height: int, width: int) -> tuple[int, int]:
        """Spatial size (H', W') of the drive and the cell's maps for an input of (height, width)."""
        return _ceil_divide(height, self._stride), _ceil_divide(width, self._stride)

    def output_size(self, height: int, width: int) -> tuple[int, int]:
        """Spatial size (H', W') of the output for an input of size (height, width)."""
        height, width = self.drive_size(height, width)
        return (_ceil_divide(height, 2), _ceil_divide(width, 2)) if self._pools else (height, width)

    def forward(self, input: torch.Tensor, feedback: Sequence[torch.Tensor] = (),
                state: CellState | None = None) -> tuple[torch.Tensor, CellState | None]:
        """One step of the layer.

        Parameters
        ----------
        input : Tensor
            (B, C_in, H, W) from the image or the layer below.
        feedback : sequence of Tensor
            One map (B, C_j, H_j, W_j) per feedback source, in the order of
            ``feedback_channels``.
        state : state or None
            The cell's state; None starts from the cell's zero state.

        Returns
        -------
        output : Tensor
            (B, C, H', W').
        state : state or None
            The cell's next state (None without a cell).
        """
        drive = self.conv(input)
        if not self.linear_drive:
            drive = F.elu(drive)
        sources = None
        if feedback:
            sources = torch.cat([source if source.shape[-2:] == drive.shape[-2:] else
                                 F.interpolate(source, size=drive.shape[-2:], mode="bilinear", align_corners=True)
                                 for source in feedback], dim=1)
        if self.cell is not None:
            state = self.cell.init_state(drive) if state is None else state
            if isinstance(self.cell, ReciprocalGatedCell):
                drive, state = self.cell(drive, state, layer_input=input, feedback=sources)
            else:
                if self.feedback is not None and sources is not None:
                    drive = drive + self.feedback(sources)
                drive, state = self.cell(drive, state)
        if self.block_conv is not None:
            drive = F.elu(self.block_conv(drive) + self.shortcut(input))
        return self.pool(drive), state
