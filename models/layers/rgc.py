"""The reciprocal gated cell (RGC) of Nayebi et al. (2018), as in the authors' release.

The state has two halves: a memory ("cell") state c with C_c channels and an output
state h with C channels. Each half is gated by itself (a time constant τ) and by the
other half (a cross gate g): the output gates what enters the memory and the memory
gates what enters the output. With x the layer's drive (its convolution, after ELU),
u the layer's input (before that convolution), fb the resized and concatenated
feedback maps, ⊛ a TensorFlow-"SAME" convolution (depth-separable where the options
say so), f = ELU and G the gate non-linearity (sigmoid or tanh):

.. math::

    \\tau^c &= \\sigma(W_{cc} \\circledast c + b_{cc}), &
    g^c &= G(W_{hc} \\circledast h + b_{hc}) \\\\
    \\tau^h &= \\sigma(W_{hh} \\circledast h + b_{hh}), &
    g^h &= G(W_{ch} \\circledast c + b_{ch} + [W_{uh} \\circledast u]) \\\\
    d^c &= W_{xc} \\circledast x + b_{xc} \\\\
    d^h &= [W_{xh} \\circledast x + b_{xh} \\text{ or } x] + [P(u)] + [W_{f} \\circledast fb + b_f] \\\\
    c' &= f\\big((o_\\tau + m_\\tau \\tau^c) \\odot c + (o_g + m_g g^c) \\odot d^c\\big) \\\\
    h' &= f\\big((o_\\tau + m_\\tau \\tau^h) \\odot h + (o_g + m_g g^h) \\odot d^h\\big)

Terms in brackets are options. P(u) is u itself when it has C channels, else a
bias-free 1×1 convolution (the release's ``out_residual``); W_uh is its
``residual_to_out_gate`` (bias-free, as in the release); W_f is a 1×1 convolution with
bias (the release's feedback entering the output, ``feedback_entry="out"``). The
output is h'.

The two cells of the release are two settings of these options (see
:data:`SHALLOW_RGC_OPTIONS` and :data:`MEDIAN_RGC_OPTIONS`): the shallow models' cell
(3×3 kernels, sigmoid gates, o = 1, m = −1, the drive bypassing to the output,
W_uh, and — through a bug in the release's convolution helper — no biases in any of
its convolutions), and the searched "median" cell of the intermediate model (C_c =
64, 7×7 depth-separable τ and g kernels with bias, a 2×2 W_xc, a 3×3 W_xh, P(u),
feedback, G = tanh, o_τ = −m_τ = 0.922, o_g = −m_g = 0.701). The release's τ/g bias
constants (4.147, 2.777 in the median configuration) are added only on its full-kernel
path, so they never act in either released model and are not parameters here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import torch
from torch import nn
from torch.nn import functional as F

from chronoscore.errors import ConfigError
from chronoscore.models.layers.cell import ConvRecurrentCell, same_conv

__all__ = ["ReciprocalGatedCell", "SHALLOW_RGC_OPTIONS", "MEDIAN_RGC_OPTIONS"]

GateNonlinearity = Literal["sigmoid", "tanh"]

SHALLOW_RGC_OPTIONS: Mapping[str, object] = {
    "kernel_size": 3, "conv_bias": False, "residual_to_out_gate": True}
"""The shallow release's cell (``rgc_shallow.json``): memory as wide as the output."""

MEDIAN_RGC_OPTIONS: Mapping[str, object] = {
    "cell_channels": 64, "kernel_size": 7, "separable": True, "input_kernel_size": 2, "in_out_kernel_size": 3,
    "out_residual": True, "gate_nonlinearity": "tanh", "conv_bias": True,
    "tau_offset": 0.9219348064291611, "tau_multiplier": -0.9219348064291611,
    "gate_offset": 0.7006566684988862, "gate_multiplier": -0.7006566684988862}
"""The release's median cell (``median_rgcell_cfg.py``); ``cell_channels`` at width 1."""


class ReciprocalGatedCell(ConvRecurrentCell):
    """Reciprocal gated cell; state ``(h, c)``, output ``h`` (see the module docstring).

    Parameters
    ----------
    in_channels : int
        Channels of the drive x (the layer's convolution).
    channels : int
        Channels C of the output state h.
    kernel_size : int
        Side of the τ and g kernels (W_cc, W_hc, W_hh, W_ch and W_uh).
    cell_channels : int, optional
        Channels C_c of the memory c (default: ``channels``).
    input_kernel_size : int, optional
        Side of W_xc (default: ``kernel_size``); even sides pad as TensorFlow.
    in_out_kernel_size : int or None
        Side of W_xh; None adds x itself (needs ``in_channels == channels``).
    separable : bool
        τ and g kernels depth-separable (depthwise k×k, then pointwise 1×1 with bias).
    gate_nonlinearity : {"sigmoid", "tanh"}
        G, the non-linearity of the cross gates (τ always uses the sigmoid).
    tau_offset, tau_multiplier, gate_offset, gate_multiplier : float
        o_τ, m_τ, o_g, m_g.
    conv_bias : bool
        Biases in W_xc and the τ and g convolutions (W_xh always has one, W_uh never).
    out_residual : bool
        Add P(u) to the output drive; needs ``layer_input_channels``.
    residual_to_out_gate : bool
        Add W_uh ⊛ u to the output gate; needs ``layer_input_channels``.
    layer_input_channels : int
        Channels of u (0 when neither option uses it).
    feedback_channels : int
        Channels of the concatenated feedback maps (0: no feedback).

    Notes
    -----
    Modules: ``input_to_cell`` (W_xc), ``cell_tau`` (W_cc), ``cell_gate`` (W_hc),
    ``out_tau`` (W_hh), ``out_gate`` (W_ch), ``input_to_out`` (W_xh or None),
    ``residual_projection`` (P or None), ``residual_to_gate`` (W_uh or None),
    ``feedback`` (W_f or None). Biases start at zero, as in the release.
    """

    def __init__(self, in_channels: int, channels: int, kernel_size: int = 3, *, cell_channels: int | None = None,
                 input_kernel_size: int | None = None, in_out_kernel_size: int | None = None,
                 separable: bool = False, gate_nonlinearity: GateNonlinearity = "sigmoid",
                 tau_offset: float = 1.0, tau_multiplier: float = -1.0,
                 gate_offset: float = 1.0, gate_multiplier: float = -1.0, conv_bias: bool = True,
                 out_residual: bool = False, residual_to_out_gate: bool = False,
                 layer_input_channels: int = 0, feedback_channels: int = 0) -> None:
        if in_out_kernel_size is None and in_channels != channels:
            raise ConfigError(f"without in_out_kernel_size the drive bypasses to the output, so in_channels "
                              f"({in_channels}) must equal channels ({channels}).")
        if gate_nonlinearity not in ("sigmoid", "tanh"):
            raise ConfigError(f"gate_nonlinearity must be 'sigmoid' or 'tanh', got {gate_nonlinearity!r}.")
        if (out_residual or residual_to_out_gate) and layer_input_channels < 1:
            raise ConfigError("out_residual and residual_to_out_gate read the layer's input; give "
                              "layer_input_channels (the ConvRNN layer does).")
        super().__init__(in_channels, channels, kernel_size)
        self.cell_channels = channels if cell_channels is None else int(cell_channels)
        self.tau_offset, self.tau_multiplier = float(tau_offset), float(tau_multiplier)
        self.gate_offset, self.gate_multiplier = float(gate_offset), float(gate_multiplier)
        self.gate_nonlinearity = gate_nonlinearity
        memory = self.cell_channels
        self.input_to_cell = same_conv(in_channels, memory, input_kernel_size or kernel_size, bias=conv_bias)
        gate = {"bias": conv_bias, "separable": separable}
        self.cell_tau = same_conv(memory, memory, kernel_size, **gate)
        self.cell_gate = same_conv(channels, memory, kernel_size, **gate)
        self.out_tau = same_conv(channels, channels, kernel_size, **gate)
        self.out_gate = same_conv(memory, channels, kernel_size, **gate)
        self.input_to_out = None if in_out_kernel_size is None else same_conv(in_channels, channels,
                                                                              in_out_kernel_size)
        self.out_residual = bool(out_residual)
        self.residual_projection = (nn.Conv2d(layer_input_channels, channels, 1, bias=False)
                                    if out_residual and layer_input_channels != channels else None)
        self.residual_to_gate = (same_conv(layer_input_channels, channels, kernel_size, bias=False)
                                 if residual_to_out_gate else None)
        self.feedback = nn.Conv2d(feedback_channels, channels, 1) if feedback_channels else None
        for module in self.modules():
            if isinstance(module, nn.Conv2d) and module.bias is not None:
                nn.init.zeros_(module.bias)

    def state_channels(self) -> tuple[int, ...]:
        """(h, c) have C and C_c channels."""
        return (self.channels, self.cell_channels)

    def _gate(self, preactivation: torch.Tensor) -> torch.Tensor:
        squashed = torch.tanh(preactivation) if self.gate_nonlinearity == "tanh" else torch.sigmoid(preactivation)
        return self.gate_offset + self.gate_multiplier * squashed

    def _tau(self, preactivation: torch.Tensor) -> torch.Tensor:
        return self.tau_offset + self.tau_multiplier * torch.sigmoid(preactivation)

    def forward(self, input: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor], *,
                layer_input: torch.Tensor | None = None, feedback: torch.Tensor | None = None
                ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """One step.

        Parameters
        ----------
        input : Tensor
            The drive x (B, C_in, H, W).
        state : (Tensor, Tensor)
            h (B, C, H, W) and c (B, C_c, H, W).
        layer_input : Tensor, optional
            u (B, C_u, H, W); needed with ``out_residual`` or ``residual_to_out_gate``.
        feedback : Tensor, optional
            The feedback maps resized to (H, W) and concatenated, (B, C_f, H, W).

        Returns
        -------
        output, (h', c')
            The output is h' (B, C, H, W).
        """
        hidden, memory = state
        next_memory = F.elu(self._tau(self.cell_tau(memory)) * memory
                            + self._gate(self.cell_gate(hidden)) * self.input_to_cell(input))
        drive = input if self.input_to_out is None else self.input_to_out(input)
        if self.out_residual:
            drive = drive + (layer_input if self.residual_projection is None else self.residual_projection(layer_input))
        if self.feedback is not None and feedback is not None:
            drive = drive + self.feedback(feedback)
        gate = self.out_gate(memory)
        if self.residual_to_gate is not None:
            gate = gate + self.residual_to_gate(layer_input)
        next_hidden = F.elu(self._tau(self.out_tau(hidden)) * hidden + self._gate(gate) * drive)
        return next_hidden, (next_hidden, next_memory)
