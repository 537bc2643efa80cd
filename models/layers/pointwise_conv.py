"""A 1×1 convolution as a matrix product over the channel axis of channels-last maps.

``F.conv2d`` with a 1×1 kernel is a product of the (pixels × C) matrix of a
channels-last tensor with the (C × O) kernel, and ``F.linear`` computes it without
the convolution machinery. For the hGRU's gates (9–25 channels) the BLAS product of a
tall matrix with a tiny one is itself slow: on one CPU thread (MKL) 73,728 pixels × 9
channels take 1.9 ms. :func:`pointwise_conv` therefore multiplies two pixels at once on
the CPU: the (pixels / 2 × 2C) matrix of pixel pairs times the block-diagonal
(2C × 2O) matrix diag(Wᵀ, Wᵀ), 0.57 ms for the same product; the backward pass does the
same for the input's gradient and takes the kernel's gradient from the two diagonal
blocks of one (2O × 2C) product (0.60 ms against 1.05 ms). Each output sums its
pixel's C products plus C exact zeros, so the numbers are those of ``F.linear`` to
float rounding, with one exception the code checks for: an infinite value times a
zero of the other block is NaN, so where the sum of a pair product is not finite (an
inf or NaN in it, or an overflow of the sum) it is computed again pixel by pixel. An odd pixel count, a non-CPU device, CPU autocast or maps that
are not channels-last go through ``F.linear``.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

__all__ = ["pointwise_conv"]


def pointwise_conv(maps: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    """``F.conv2d(maps, weight, bias)`` for a 1×1 ``weight`` (O, C, 1, 1); maps (B, C, H, W) -> (B, O, H, W).

    The result is channels-last in memory (a permuted view of the matrix product).
    """
    pixels = maps.permute(0, 2, 3, 1)                                            # (B, H, W, C)
    matrix = weight[:, :, 0, 0]                                                  # (O, C)
    batch, height, width, channels = pixels.shape
    if (maps.device.type != "cpu" or _cpu_autocast() or not pixels.is_contiguous()
            or (batch * height * width) % 2):
        return F.linear(pixels, matrix, bias).permute(0, 3, 1, 2)
    rows = _PairedPixelLinear.apply(pixels.reshape(-1, channels), matrix, bias)   # (B·H·W, O)
    return rows.view(batch, height, width, -1).permute(0, 3, 1, 2)


def _cpu_autocast() -> bool:
    """Whether CPU autocast is on (its lower precision is F.linear's to choose)."""
    try:
        return torch.is_autocast_enabled("cpu")
    except TypeError:  # torch < 2.4 takes no device type
        return torch.is_autocast_cpu_enabled()


def _paired_product(rows: torch.Tensor, matrix: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
    """rows (N, C) @ matrix (C, D) (+ bias (D,)) -> (N, D), N even, two rows at a time (see the module docstring)."""
    count, channels = rows.shape
    paired_rows, paired_matrix = rows.reshape(count // 2, 2 * channels), torch.block_diag(matrix, matrix)
    if bias is None:
        pairs = torch.mm(paired_rows, paired_matrix)
    else:
        pairs = torch.addmm(torch.cat([bias, bias]), paired_rows, paired_matrix)
    if math.isfinite(float(pairs.sum())):  # any inf or NaN makes the sum non-finite
        return pairs.view(count, matrix.shape[1])
    return torch.mm(rows, matrix) if bias is None else torch.addmm(bias, rows, matrix)


class _PairedPixelLinear(torch.autograd.Function):
    """``F.linear(rows, weight, bias)`` for rows (N, C), N even, with products of pixel pairs both ways."""

    @staticmethod
    def forward(ctx, rows: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
        ctx.save_for_backward(rows, weight)
        ctx.has_bias = bias is not None
        return _paired_product(rows, weight.t(), bias)

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor):
        rows, weight = ctx.saved_tensors
        outputs, channels = weight.shape
        grad_output = grad_output.contiguous()
        grad_rows = _paired_product(grad_output, weight) if ctx.needs_input_grad[0] else None
        grad_weight = grad_bias = None
        if ctx.needs_input_grad[1]:
            blocks = torch.mm(grad_output.view(-1, 2 * outputs).t(), rows.view(-1, 2 * channels))  # (2O, 2C)
            grad_weight = blocks[:outputs, :channels] + blocks[outputs:, channels:]
        if ctx.has_bias and ctx.needs_input_grad[2]:
            grad_bias = grad_output.sum(0)
        return grad_rows, grad_weight, grad_bias
