"""The horizontal gated recurrent unit (hGRU) of Linsley et al. (2018), and its variants.

One step maps the feedforward drive X and the hidden state H2[t−1] (both (B, C, H, W))
to H2[t]. With ∗ a same-padded convolution, ⊙ the elementwise product, σ the logistic
function, ζ the nonlinearity and per-channel α, μ, κ, ω, γ::

    G1[t] = σ(U1 ∗ H2[t−1] + b1)                          gain gate (1×1 kernel U1)
    C1[t] = W1 ∗ (G1[t] ⊙ H2[t−1])                         horizontal inhibition
    H1[t] = ζ(X − (α ⊙ H2[t−1] + μ) ⊙ C1[t])                inhibition stage
    G2[t] = σ(U2 ∗ H1[t] + b2)                             mix gate (1×1 kernel U2)
    C2[t] = W2 ∗ H1[t]                                     horizontal excitation
    H̃2[t] = ζ(κ ⊙ (H1[t] + γ ⊙ C2[t]) + ω ⊙ H1[t] ⊙ γ ⊙ C2[t])  excitation stage
    H2[t] = η_t · ((1 − G2[t]) ⊙ H2[t−1] + G2[t] ⊙ H̃2[t])      gated update

The excitation stage is written as in the authors' release; ``excitation="paper"``
writes it as in the paper, H̃2 = ζ(κ ⊙ H1 + γ ⊙ C2 + ω ⊙ H1 ⊙ C2) — the same family
of functions parameterised differently, except under lesions: with κ = 0 the release
loses the whole additive term κ(H1 + γC2), the paper form keeps γC2.

In the hGRU W1 = W2 = W, one k×k kernel (15×15) symmetric across channels
(W[i, j] = W[j, i]; see :mod:`chronoscore.models.layers.symmetric_kernel`), and ζ = tanh.
η_t is a learned scalar per step t = 0 … T−1; steps beyond T−1 use η_{T−1}.

Options (the variants of the paper and of C-RBP):

``nonlinearity``
    ζ = tanh, relu or softplus. With a rectifying ζ (relu, softplus) the inhibition
    term is rectified too, H1 = ζ(X − ζ((α ⊙ H2 + μ) ⊙ C1)), so the first stage can
    only subtract from the drive (H1 "constrained to inhibition") and H1, H̃2 and H2
    are non-negative (H2 "constrained to excitation").
``normalization``
    ``"all"``: batch norm on the gate pre-activations (U1 ∗ H2, U2 ∗ H1; the norm's
    shift replaces b1, b2) and on the horizontal inputs C1, C2; ``"horizontal"``: on
    C1, C2 only; ``"none"``. One norm per place, shared by all steps.
``separate_kernels``
    Distinct inhibitory W1 and excitatory W2 kernels.
``symmetric_kernels``
    Keep W1 (and W2) symmetric across channels.
``step_gains``
    Use η_t (False: η_t = 1, a step that does not depend on t).
``lesions``
    Any of α, μ, κ, ω fixed at 0 (buffers, not trainable).
``excitation``
    ``"release"`` or ``"paper"`` (above).
``norm_statistics``
    ``"running"``: batch norms use running statistics in evaluation mode;
    ``"batch"``: the statistics of the batch at hand, also in evaluation (C-RBP's
    release, whose norms keep no running statistics).
``softplus_state``
    Pass the gated update through a softplus, H2 = softplus(η_t · (…)) (C-RBP's release).
``fast``
    The same computation in fewer, faster operations (the default): 1×1 gates as
    matrix products over channels, horizontal convolutions through the FFT for kernels
    of 7×7 and more (direct otherwise; see :mod:`chronoscore.models.layers.checked_fft_conv`),
    the products with per-channel parameters grouped into ``addcmul`` (fewer passes
    over the maps), the gated update as one ``lerp``. Give it channels-last tensors (the hGRU model
    does). Results agree with ``fast=False`` to float rounding. The FFT convolution is
    checked against the direct one on the first non-zero input of each shape, dtype
    and device (within 1e-4 of the largest value, 2e-2 below float32); where they
    differ the cell warns and convolves directly from then on.
``initialisation``
    ``"release"`` (the authors' TensorFlow release): b1 = b2 = −log u with
    u ~ U(1, T − 1) per channel (the "chronos" initialisation of Tallec & Ollivier
    2018: the mix gate starts closed enough to keep H2 for about u steps, and the gain
    gate lets through a fraction 1 / (1 + u) of H2); U1, U2 and W Xavier-uniform, W then symmetrised; α, μ, κ, ω, γ
    Xavier-uniform around 0 as (1, 1, 1, C) tensors, U(±√(6 / (1 + C))); η_t ~ U(0, 1).
    ``"pytorch_port"`` (the authors' PyTorch port, and C-RBP's release): b1 = +log u,
    b2 = −log u; U1, U2 orthogonal; W Xavier-normal, then symmetrised; α = 0.1, μ = 1,
    κ = 0.5, ω = 0.5, γ = 1; η_t = 1.
    Horizontal batch norms start at scale 0.1 in both.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from chronoscore.errors import ConfigError
from chronoscore.models.layers.checked_fft_conv import CheckedFFTConvolution, FastPathWarning, direct_same_conv
from chronoscore.models.layers.pointwise_conv import pointwise_conv
from chronoscore.models.layers.symmetric_kernel import symmetrise_channels, with_symmetric_gradient

__all__ = ["Excitation", "FastPathWarning", "HGRUCell", "Initialisation", "Lesion", "Nonlinearity", "NormStatistics",
           "Normalization"]

Nonlinearity = Literal["tanh", "relu", "softplus"]
Normalization = Literal["none", "horizontal", "all"]
Lesion = Literal["alpha", "mu", "kappa", "omega"]
Excitation = Literal["release", "paper"]
NormStatistics = Literal["running", "batch"]
Initialisation = Literal["release", "pytorch_port"]

_NONLINEARITIES = {"tanh": torch.tanh, "relu": F.relu, "softplus": F.softplus}
_NORMALIZATIONS = ("none", "horizontal", "all")
_PORT_VALUES = {"alpha": 0.1, "mu": 1.0, "kappa": 0.5, "omega": 0.5, "gamma": 1.0}
_LESIONABLE = ("alpha", "mu", "kappa", "omega")
_HORIZONTAL_NORM_SCALE = 0.1
_NORM_EPS = 1e-3


class HGRUCell(nn.Module):
    """One hGRU step: drive X and state H2[t−1] -> H2[t], all (B, C, H, W).

    Parameters
    ----------
    channels : int
        Channels C of the drive and of the state.
    kernel_size : int
        Odd side of the horizontal kernels (15 in the paper).
    n_steps : int
        Steps T the cell is trained for: length of η and range of the chronos gate biases.
    nonlinearity : {"tanh", "relu", "softplus"}
        ζ (see the module docstring).
    normalization : {"none", "horizontal", "all"}
        Where batch norm is applied.
    separate_kernels : bool
        Distinct inhibitory and excitatory horizontal kernels.
    symmetric_kernels : bool
        Keep the horizontal kernels symmetric across channels.
    step_gains : bool
        Learn the per-step gain η_t.
    lesions : collection of {"alpha", "mu", "kappa", "omega"}
        Parameters fixed at zero.
    excitation : {"release", "paper"}
        How the excitation stage is written (see the module docstring).
    initialisation : {"release", "pytorch_port"}
        Initial values (see the module docstring).
    norm_statistics : {"running", "batch"}
        Which statistics the batch norms use in evaluation mode.
    softplus_state : bool
        Softplus after the gated update.
    fast : bool
        Compute through the faster equivalent operations (see the module docstring).

    Notes
    -----
    Parameters: U1, U2 (C² each, plus C biases each unless ``normalization="all"``);
    C²k² per horizontal kernel; C for each of α, μ, κ, ω, γ not lesioned; T for η;
    2C per batch norm.
    """

    def __init__(self, channels: int, kernel_size: int = 15, n_steps: int = 8, *,
                 nonlinearity: Nonlinearity = "tanh", normalization: Normalization = "none",
                 separate_kernels: bool = False, symmetric_kernels: bool = True, step_gains: bool = True,
                 lesions: Collection[Lesion] = (), excitation: Excitation = "release",
                 initialisation: Initialisation = "release", norm_statistics: NormStatistics = "running",
                 softplus_state: bool = False, fast: bool = True) -> None:
        super().__init__()
        _check_options(channels, kernel_size, n_steps, nonlinearity, normalization, lesions)
        _check_choice("excitation", excitation, ("release", "paper"))
        _check_choice("initialisation", initialisation, ("release", "pytorch_port"))
        _check_choice("norm_statistics", norm_statistics, ("running", "batch"))
        self.excitation, self.initialisation = excitation, initialisation
        self.softplus_state, self.running_statistics = bool(softplus_state), norm_statistics == "running"
        self.fast = bool(fast)
        self._checked_convolution = CheckedFFTConvolution("hGRU cell")
        self.channels, self.kernel_size, self.n_steps = channels, kernel_size, n_steps
        self.nonlinearity = nonlinearity
        self.normalization = normalization
        self.symmetric_kernels = bool(symmetric_kernels)
        self.lesions = tuple(sorted(set(lesions)))
        gate_norm = normalization == "all"
        self.gain_gate = nn.Conv2d(channels, channels, 1, bias=not gate_norm)
        self.mix_gate = nn.Conv2d(channels, channels, 1, bias=not gate_norm)
        self.gain_norm = self._norm() if gate_norm else nn.Identity()
        self.mix_norm = self._norm() if gate_norm else nn.Identity()
        self.inhibition_kernel = nn.Parameter(self._initial_kernel())
        self.excitation_kernel = nn.Parameter(self._initial_kernel()) if separate_kernels else None
        horizontal_norm = normalization in ("horizontal", "all")
        self.inhibition_norm = self._horizontal_norm() if horizontal_norm else nn.Identity()
        self.excitation_norm = self._horizontal_norm() if horizontal_norm else nn.Identity()
        release = initialisation == "release"
        bound = math.sqrt(6 / (1 + channels))  # Xavier-uniform of a (1, 1, 1, C) tensor
        for name, value in _PORT_VALUES.items():
            if name in self.lesions:
                self.register_buffer(name, torch.zeros(channels))
            else:
                initial = torch.empty(channels).uniform_(-bound, bound) if release else torch.full((channels,), value)
                setattr(self, name, nn.Parameter(initial))
        gains = torch.rand(n_steps) if release else torch.ones(n_steps)
        self.step_gain = nn.Parameter(gains) if step_gains else None
        self._init_gates()

    def _initial_kernel(self) -> torch.Tensor:
        kernel = torch.empty(self.channels, self.channels, self.kernel_size, self.kernel_size)
        if self.initialisation == "release":
            nn.init.xavier_uniform_(kernel)
        else:
            nn.init.xavier_normal_(kernel)
        return symmetrise_channels(kernel) if self.symmetric_kernels else kernel

    def _norm(self) -> nn.BatchNorm2d:
        return nn.BatchNorm2d(self.channels, eps=_NORM_EPS, track_running_stats=self.running_statistics)

    def _horizontal_norm(self) -> nn.BatchNorm2d:
        norm = self._norm()
        nn.init.constant_(norm.weight, _HORIZONTAL_NORM_SCALE)
        return norm

    def _init_gates(self) -> None:
        """1×1 gate kernels and chronos biases b2 = −log u, b1 = ∓log u, u ~ U(1, T − 1)."""
        release = self.initialisation == "release"
        for gate in (self.gain_gate, self.mix_gate):
            if release:
                nn.init.xavier_uniform_(gate.weight)
            else:
                nn.init.orthogonal_(gate.weight)
        log_u = torch.empty(self.channels).uniform_(1.0, max(self.n_steps - 1.0, 1.0)).log()
        gain_bias = self.gain_norm.bias if self.normalization == "all" else self.gain_gate.bias
        mix_bias = self.mix_norm.bias if self.normalization == "all" else self.mix_gate.bias
        with torch.no_grad():
            gain_bias.copy_(-log_u if release else log_u)
            mix_bias.copy_(-log_u)

    def kernels(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(W1, W2) for one forward pass, each (C, C, k, k); W2 is W1 unless the kernels are separate."""
        inhibition = self._for_this_pass(self.inhibition_kernel)
        excitation = inhibition if self.excitation_kernel is None else self._for_this_pass(self.excitation_kernel)
        return inhibition, excitation

    def _for_this_pass(self, kernel: torch.Tensor) -> torch.Tensor:
        return with_symmetric_gradient(kernel) if self.symmetric_kernels else kernel

    def step_gain_at(self, step: int) -> torch.Tensor | float:
        """η_t for step ``step`` (0-based): η_{min(t, T−1)}, or 1 without step gains."""
        if self.step_gain is None:
            return 1.0
        return self.step_gain[min(step, self.n_steps - 1)]

    def forward(self, drive: torch.Tensor, hidden: torch.Tensor, step: int = 0) -> torch.Tensor:
        """H2[t] (B, C, H, W) from drive X and H2[t−1] (B, C, H, W); ``step`` = t selects η_t."""
        zeta = _NONLINEARITIES[self.nonlinearity]
        inhibition_kernel, excitation_kernel = self.kernels()
        alpha, mu, kappa, omega, gamma = (getattr(self, name).view(-1, 1, 1) for name in _PORT_VALUES)

        gain = torch.sigmoid(self.gain_norm(self._pointwise(hidden, self.gain_gate)))
        inhibition_input = self.inhibition_norm(self._horizontal(gain * hidden, inhibition_kernel))
        if self.fast:  # (μ + α ⊙ H2) in one operation
            inhibition = torch.addcmul(mu, alpha, hidden) * inhibition_input
        else:
            inhibition = (alpha * hidden + mu) * inhibition_input
        if self.nonlinearity != "tanh":
            inhibition = zeta(inhibition)
        suppressed = zeta(drive - inhibition)

        mix = torch.sigmoid(self.mix_norm(self._pointwise(suppressed, self.mix_gate)))
        excitation_input = self.excitation_norm(self._horizontal(suppressed, excitation_kernel))
        candidate = zeta(self._excitation(suppressed, excitation_input, kappa, omega, gamma))
        if self.fast:  # lerp needs one dtype (autocast leaves the three in different ones)
            dtype = torch.promote_types(torch.promote_types(hidden.dtype, candidate.dtype), mix.dtype)
            mixed = torch.lerp(hidden.to(dtype), candidate.to(dtype), mix.to(dtype))
        else:
            mixed = (1 - mix) * hidden + mix * candidate
        updated = self.step_gain_at(step) * mixed
        return F.softplus(updated) if self.softplus_state else updated

    def _excitation(self, suppressed: torch.Tensor, excitation_input: torch.Tensor, kappa: torch.Tensor,
                    omega: torch.Tensor, gamma: torch.Tensor) -> torch.Tensor:
        """The excitation stage before ζ, (B, C, H, W), from H1 and C2 (B, C, H, W) and κ, ω, γ (C, 1, 1).

        The fast path factors the same sum into fewer operations: the release's
        κ(H1 + γC2) + ω(H1 ⊙ γC2) as κH1 + γC2 ⊙ (κ + ωH1), the paper's
        κH1 + γC2 + ωH1 ⊙ C2 as γC2 + H1 ⊙ (κ + ωC2).
        """
        if self.excitation == "release":
            scaled = gamma * excitation_input
            if self.fast:
                return torch.addcmul(kappa * suppressed, scaled, torch.addcmul(kappa, omega, suppressed))
            return kappa * (suppressed + scaled) + omega * (suppressed * scaled)
        if self.fast:
            return torch.addcmul(gamma * excitation_input, suppressed, torch.addcmul(kappa, omega, excitation_input))
        return kappa * suppressed + gamma * excitation_input + omega * suppressed * excitation_input

    def _pointwise(self, maps: torch.Tensor, gate: nn.Conv2d) -> torch.Tensor:
        """A gate's 1×1 convolution of maps (B, C, H, W)."""
        return pointwise_conv(maps, gate.weight, gate.bias) if self.fast else gate(maps)

    def _horizontal(self, maps: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
        """Same-padded horizontal convolution of maps (B, C, H, W) with kernel (C, C, k, k)."""
        if self.fast:
            return self._checked_convolution(maps, kernel)
        return direct_same_conv(maps, kernel)


def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigError(f"unknown {name} {value!r}; choose one of {list(choices)}.")


def _check_options(channels: int, kernel_size: int, n_steps: int, nonlinearity: str, normalization: str,
                   lesions: Collection[str]) -> None:
    for name, value in (("channels", channels), ("kernel_size", kernel_size), ("n_steps", n_steps)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"{name} must be a positive integer, got {value!r}.")
    if kernel_size % 2 == 0:
        raise ConfigError(f"kernel_size must be odd for same padding, got {kernel_size}.")
    if nonlinearity not in _NONLINEARITIES:
        raise ConfigError(f"unknown nonlinearity {nonlinearity!r}; choose one of {list(_NONLINEARITIES)}.")
    if normalization not in _NORMALIZATIONS:
        raise ConfigError(f"unknown normalization {normalization!r}; choose one of {list(_NORMALIZATIONS)}.")
    if isinstance(lesions, str):
        raise ConfigError(f"lesions must be a collection of names such as ('alpha', 'omega'), got {lesions!r}.")
    unknown = sorted(set(lesions) - set(_LESIONABLE))
    if unknown:
        raise ConfigError(f"cannot lesion {unknown}; lesions can fix any of {list(_LESIONABLE)} at zero.")

