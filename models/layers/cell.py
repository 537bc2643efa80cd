"""What every convolutional recurrent cell shares: the cell interface and a same-padding conv.

A cell maps a feedforward drive ``x_t`` (B, C_in, H, W) and its state to an output
(B, C, H, W) and the next state. The spatial size never changes inside a cell: every
convolution pads so that its output has the size of its input (TensorFlow's "same"
padding, as in the ConvRNN release).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from chronoscore.errors import ConfigError

__all__ = ["CellState", "ConvRecurrentCell", "TensorFlowSameConv2d", "same_conv", "tensorflow_same_padding"]

CellState = torch.Tensor | tuple[torch.Tensor, ...]
"""One state tensor (B, C, H, W), or a tuple of them for cells with several state halves."""


def tensorflow_same_padding(size: int, kernel_size: int, stride: int) -> tuple[int, int]:
    """TensorFlow's "SAME" padding (before, after) of one spatial dimension.

    The output has ceil(size / stride) positions; the total padding is what that
    needs, and an odd total puts the extra row or column after (bottom/right).
    """
    outputs = -(-size // stride)
    total = max((outputs - 1) * stride + kernel_size - size, 0)
    return total // 2, total - total // 2


class TensorFlowSameConv2d(nn.Conv2d):
    """A convolution padded as TensorFlow's "SAME": asymmetric for even kernels and strided inputs.

    Holds the same parameters as :class:`torch.nn.Conv2d` (built with ``padding=0``);
    each call zero-pads its input (B, C, H, W) by :func:`tensorflow_same_padding` first.
    """

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        """(B, C_in, H, W) -> (B, C_out, ceil(H / stride), ceil(W / stride))."""
        top, bottom = tensorflow_same_padding(input.shape[-2], self.kernel_size[0], self.stride[0])
        left, right = tensorflow_same_padding(input.shape[-1], self.kernel_size[1], self.stride[1])
        return super().forward(F.pad(input, (left, right, top, bottom)))


def _plain_or_tensorflow_conv(in_channels: int, out_channels: int, kernel_size: int, stride: int, bias: bool,
                              groups: int = 1) -> nn.Conv2d:
    if kernel_size % 2 == 1 and stride == 1:  # symmetric padding: the plain convolution gives the same values
        return nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2, bias=bias, groups=groups)
    return TensorFlowSameConv2d(in_channels, out_channels, kernel_size, stride=stride, bias=bias, groups=groups)


def same_conv(in_channels: int, out_channels: int, kernel_size: int, *, stride: int = 1,
              bias: bool = True, separable: bool = False) -> nn.Module:
    """A 2-d convolution padded as TensorFlow's "SAME" (the ConvRNN release's padding).

    Parameters
    ----------
    in_channels, out_channels : int
        Channels of the input (B, in_channels, H, W) and of the output.
    kernel_size : int
        Side of the square kernel. Odd kernels at stride 1 pad ``kernel_size // 2`` on
        every side (a plain :class:`torch.nn.Conv2d`); even kernels and strided
        convolutions pad as TensorFlow does, the extra row/column at the bottom/right
        (:class:`TensorFlowSameConv2d`).
    stride : int
        Output size is ceil(H / stride) × ceil(W / stride).
    bias : bool
        Whether the (last) convolution adds a learned bias per output channel.
    separable : bool
        Depth-separable: a depthwise k×k convolution (one kernel per input channel,
        no bias) followed by a pointwise 1×1 convolution (with the bias), k²·C_in +
        C_in·C_out weights instead of k²·C_in·C_out.
    """
    if kernel_size < 1 or stride < 1:
        raise ConfigError(f"kernel_size and stride must be positive integers, got {kernel_size} and {stride}.")
    if not separable:
        return _plain_or_tensorflow_conv(in_channels, out_channels, kernel_size, stride, bias)
    return nn.Sequential(
        _plain_or_tensorflow_conv(in_channels, in_channels, kernel_size, stride, False, groups=in_channels),
        nn.Conv2d(in_channels, out_channels, 1, bias=bias),
    )


class ConvRecurrentCell(nn.Module):
    """Base class of the convolutional recurrent cells.

    Subclasses implement ``forward(input, state) -> (output, state)`` for one time
    step and list the shapes of their state halves in :meth:`state_channels`.

    Parameters
    ----------
    in_channels : int
        Channels C_in of the feedforward drive x_t.
    channels : int
        Channels C of the cell's output.
    kernel_size : int
        Odd side of the cell's convolution kernels.
    """

    def __init__(self, in_channels: int, channels: int, kernel_size: int = 3) -> None:
        super().__init__()
        if in_channels < 1 or channels < 1:
            raise ConfigError(f"a cell needs at least one channel, got in_channels={in_channels}, "
                              f"channels={channels}.")
        self.in_channels = int(in_channels)
        self.channels = int(channels)
        self.kernel_size = int(kernel_size)

    def state_channels(self) -> tuple[int, ...]:
        """Channels of each state half, in the order :meth:`init_state` returns them."""
        return (self.channels,)

    def init_state(self, input: torch.Tensor) -> CellState:
        """Zero state for a drive ``input`` (B, C_in, H, W), on its device and dtype.

        Returns one tensor (B, C, H, W) for single-state cells, else a tuple with one
        tensor (B, C_k, H, W) per entry of :meth:`state_channels`.
        """
        batch, _, height, width = input.shape
        zeros = tuple(input.new_zeros(batch, channels, height, width) for channels in self.state_channels())
        return zeros[0] if len(zeros) == 1 else zeros

    def forward(self, input: torch.Tensor, state: CellState) -> tuple[torch.Tensor, CellState]:  # pragma: no cover
        """One step: drive (B, C_in, H, W) and state -> output (B, C, H, W) and next state."""
        raise NotImplementedError
