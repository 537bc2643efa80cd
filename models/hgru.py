"""The hGRU of Linsley et al. (2018) and its variants, with the fixed-point interface of C-RBP.

Registered models (constructor flags of one :class:`HGRU` class, not copies):

===========================  ==================================================================
``hgru``                     Gabor drive → hGRU (tanh, one symmetric 15×15 kernel W, η_t) → readout
``hgru_bn``                  batch norm on the gate pre-activations and the horizontal inputs
``hgru_relu``                ReLU ζ, inhibition rectified, two kernels W1, W2, batch norm as ``hgru_bn``
``hgru_lesion_alpha_omega``  α = ω = 0 (no multiplicative inhibition / excitation), not trainable
``hgru_lesion_mu_kappa``     μ = κ = 0 (no additive inhibition, no κ(H1 + γC2)), not trainable
===========================  ==================================================================

The variant's settings are defaults: ``create_model("hgru_relu", normalization="none")``
builds the ReLU variant without batch norm.

:func:`hgru_seg` (not registered: its per-pixel output (B, 2, H, W) is not the
(B, n_classes) of the registry's models) builds the hGRU used for Pathfinder
segmentation with C-RBP (Linsley et al. 2020). The feedforward control with large
kernels is ``ff_large_kernels`` in :mod:`chronoscore.models.hgru_controls`.

The computation
---------------
The drive is X = (G ∗ I + b)², a trainable bank G of 25 7×7 filters with a learned
bias b — the authors' bank, regenerated from its parameters: 12 orientations × 2 phases
(0° and −116.62°) + 1 luminance filter (:mod:`chronoscore.models.layers.gabor`) —
applied to the grey image I, one channel in [0, 1] with a black background as the
release was trained (``input_convention = "unit_gray"``; RGB input is averaged over
its channels). The state starts at small random H2[0] (as released) and for t = 1 … T (T = 8 by default)::

    G1[t] = σ(U1 ∗ H2[t−1] + b1)
    C1[t] = W ∗ (G1[t] ⊙ H2[t−1])
    H1[t] = tanh(X − (α ⊙ H2[t−1] + μ) ⊙ C1[t])
    G2[t] = σ(U2 ∗ H1[t] + b2)
    C2[t] = W ∗ H1[t]
    H̃2[t] = tanh(κ ⊙ (H1[t] + γ ⊙ C2[t]) + ω ⊙ H1[t] ⊙ γ ⊙ C2[t])
    H2[t] = η_t · ((1 − G2[t]) ⊙ H2[t−1] + G2[t] ⊙ H̃2[t])

(:mod:`chronoscore.models.layers.hgru_cell` gives the variants' equations), and the
logits are BN → 1×1 conv (2 maps) → global max pool → BN → linear of H2[T]. Areas:
``drive`` (X, repeated at every step: it does not change) and ``hgru`` (H2[t]),
each (T, B, 25, H, W).

Where the code differs from the paper
-------------------------------------
- H2[0] is small uniform noise as released, but in evaluation mode the same noise at
  every call (so that scores repeat); ``initial_state="zeros"`` starts from 0.
- The Gabor bank is generated from its parameters, not loaded from the authors' file
  (the filters agree to 1e-7); ``gabor_bank="zero_mean", gabor_bias=False`` gives the
  earlier chronoscore front end.
- Initial values are the release's (``initialisation="release"``; see
  :mod:`chronoscore.models.layers.hgru_cell`); the release's mix gate weights the old
  state instead of the candidate, so its mix bias +log u is our −log u.
  ``initialisation="pytorch_port"`` gives the earlier values (gain bias +log u,
  α = 0.1, μ = 1, κ = 0.5, ω = 0.5, γ = 1, η_t = 1, orthogonal gates, Xavier-normal W).
- Steps beyond T reuse η_{T−1} (the paper only runs T steps).
- Symmetry of W is kept by symmetrising its gradient in a backward hook (the release
  overrides the convolution's gradient), with the same effect.
- The excitation is written as the release computes it, κ(H1 + γC2) + ω(H1 · γC2), so
  that the μ/κ lesion removes γC2 too; ``excitation="paper"`` gives κH1 + γC2 + ωH1C2.
- ``hgru_bn``: the norms' learned shift replaces b1, b2 and starts at their chronos
  values (the release adds the bias, then subtracts the batch mean, which removes it);
  one norm per place shared by all steps, with running statistics in eval mode.
- ``hgru_relu`` rectifies the inhibition term as the authors' PyTorch port does
  (H1 = relu(X − relu((αH2 + μ)C1))), and normalises as ``hgru_bn``, as the release's
  ReLU model (``hgru_bn_relu``) does.
- ``hgru_seg`` is C-RBP's release: T = 6, H2 passed through a softplus after the
  gated update, batch norms that use the batch's statistics also at evaluation, the
  paper's form of the excitation, the PyTorch port's initial values and H2[0] = 0; its
  kernels are not kept symmetric. Its Gabor bias starts at 0 (the release's at
  PyTorch's default, uniform in ±1/7) and the readout's 1×1 convolution keeps PyTorch's
  default initialisation (the release draws it Xavier-normal, with equal biases for
  both classes that do not change the softmax). Train it with the focal loss
  (``algorithm_options.loss: focal``).

The fixed-point interface (C-RBP)
---------------------------------
:class:`HGRU` implements :class:`~chronoscore.models.fixed_point.FixedPointModel`:

``drive(images) -> X``
    (B, 25, H, W) from images (B, 1, H, W) or (B, 3, H, W);
``init_state(X) -> RecurrentState(hidden=0, step=0)``;
``step(X, state) -> RecurrentState(H2[t], t)``
    one hGRU step from ``state = (H2[t−1], t − 1)``;
``readout(state) -> logits``
    (B, n_classes), or (B, n_classes, H, W) for ``hgru_seg``;

and ``forward(images, n_steps)`` is ``readout`` after ``n_steps`` steps from
``init_state``. ``hgru_seg`` has no η_t, so its step is the same map at every t, as
RBP requires; the other variants become stationary from step T on.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Collection, Iterator, Sequence
from typing import Literal

import torch

from chronoscore.errors import ConfigError
from chronoscore.models.base import TimeResolvedModel
from chronoscore.models.fixed_point import RecurrentState
from chronoscore.models.layers.gabor import GaborBank, GaborDrive
from chronoscore.models.layers.hgru_cell import (Excitation, HGRUCell, Initialisation, Lesion, Nonlinearity,
                                                 Normalization, NormStatistics)
from chronoscore.models.layers.hgru_readout import PathfinderReadout, SegmentationReadout
from chronoscore.models.registry import register_model

__all__ = [
    "HGRU",
    "InitialState",
    "ReadoutKind",
    "hgru",
    "hgru_bn",
    "hgru_relu",
    "hgru_lesion_alpha_omega",
    "hgru_lesion_mu_kappa",
    "hgru_seg",
]

ReadoutKind = Literal["classify", "segment"]
InitialState = Literal["random", "zeros"]


class HGRU(TimeResolvedModel):
    """Gabor drive, one hGRU layer unrolled for T steps, and a readout.

    Parameters
    ----------
    input_size : int
        Side in pixels of the images the model is meant for (150, Pathfinder's). The
        model is fully convolutional and runs on any size.
    n_orientations : int
        Orientations of the Gabor bank; channels C = 2 · n_orientations + 1 (25).
    gabor_size : int
        Side of the Gabor filters (7).
    gabor_bank : {"release", "zero_mean"}
        The authors' bank (default) or the earlier zero-mean one
        (:class:`~chronoscore.models.layers.gabor.GaborDrive`).
    gabor_bias : bool
        Learn a bias per Gabor filter before squaring (True, as released).
    kernel_size : int
        Side of the horizontal kernels (15).
    n_steps : int
        Steps T unrolled by default (8).
    n_classes : int
        Outputs of the readout (2: path connected or not).
    nonlinearity, normalization, separate_kernels, symmetric_kernels, step_gains, lesions, excitation, initialisation,
    norm_statistics, softplus_state, fast
        The cell's variant, initial values and speed path (see
        :class:`~chronoscore.models.layers.hgru_cell.HGRUCell`); ``norm_statistics``
        applies to the per-pixel readout's batch norm too.
    initial_state : {"random", "zeros"}
        H2[0]: small uniform noise as released (Xavier-uniform of the state's
        (B, H, W, C) shape, U(±√(6 / (B · H · (W + C))))), or zeros. Fresh noise per
        call in training mode; in evaluation mode the same noise each call (drawn from
        a generator seeded with 0), so outputs repeat.
    readout : {"classify", "segment"}
        Image-level :class:`PathfinderReadout` or per-pixel :class:`SegmentationReadout`.
    readout_pooled_norm : bool
        Whether the image-level readout batch-normalises its pooled maps (True, as in
        the paper); only for ``readout="classify"``.
    step_ms : float
        Milliseconds per step.
    """

    input_convention = "unit_gray"

    def __init__(self, *, input_size: int = 150, n_orientations: int = 12, gabor_size: int = 7,
                 gabor_bank: GaborBank = "release", gabor_bias: bool = True,
                 kernel_size: int = 15, n_steps: int = 8, n_classes: int = 2, nonlinearity: Nonlinearity = "tanh",
                 normalization: Normalization = "none", separate_kernels: bool = False,
                 symmetric_kernels: bool = True, step_gains: bool = True, lesions: Collection[Lesion] = (),
                 excitation: Excitation = "release", initialisation: Initialisation = "release",
                 initial_state: InitialState = "random", norm_statistics: NormStatistics = "running",
                 softplus_state: bool = False, fast: bool = True, readout: ReadoutKind = "classify",
                 readout_pooled_norm: bool = True, step_ms: float = 10.0) -> None:
        for name, value in (("input_size", input_size), ("n_steps", n_steps), ("n_classes", n_classes)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{name} must be a positive integer, got {value!r}.")
        if readout not in ("classify", "segment"):
            raise ConfigError(f"unknown readout {readout!r}; choose 'classify' or 'segment'.")
        if initial_state not in ("random", "zeros"):
            raise ConfigError(f"unknown initial_state {initial_state!r}; choose 'random' or 'zeros'.")
        if readout == "segment" and readout_pooled_norm is not True:
            raise ConfigError("readout_pooled_norm applies to the image-level readout only (readout='classify').")
        super().__init__(("drive", "hgru"), default_steps=n_steps, step_ms=step_ms)
        self.input_size, self.n_classes, self.initial_state = input_size, n_classes, initial_state
        self.gabor = GaborDrive(gabor_size, n_orientations, bank=gabor_bank, bias=gabor_bias)
        channels = self.gabor.out_channels
        self.cell = HGRUCell(channels, kernel_size, n_steps, nonlinearity=nonlinearity,
                             normalization=normalization, separate_kernels=separate_kernels,
                             symmetric_kernels=symmetric_kernels, step_gains=step_gains, lesions=lesions,
                             excitation=excitation, initialisation=initialisation, norm_statistics=norm_statistics,
                             softplus_state=softplus_state, fast=fast)
        self.head = (PathfinderReadout(channels, n_classes, pooled_norm=readout_pooled_norm)
                     if readout == "classify"
                     else SegmentationReadout(channels, n_classes, running_statistics=self.cell.running_statistics))

    def drive(self, images: torch.Tensor) -> torch.Tensor:
        """Feedforward drive X (B, C, H, W) of images (B, 1 or 3, H, W); channels-last in memory when ``fast``."""
        drive = self.gabor(images)
        return drive.contiguous(memory_format=torch.channels_last) if self.cell.fast else drive

    def init_state(self, drive: torch.Tensor) -> RecurrentState:
        """H2[0] shaped like the drive (B, C, H, W) (see ``initial_state``), at step 0."""
        if self.initial_state == "zeros":
            return RecurrentState(torch.zeros_like(drive), 0)
        batch, channels, height, width = drive.shape
        bound = math.sqrt(6 / (batch * height * (width + channels)))
        generator = None if self.training else torch.Generator(device=drive.device).manual_seed(0)
        noise = torch.empty(drive.shape, dtype=drive.dtype, device=drive.device).uniform_(-bound, bound,
                                                                                           generator=generator)
        return RecurrentState(torch.empty_like(drive).copy_(noise), 0)  # in the drive's memory layout

    def step(self, drive: torch.Tensor, state: RecurrentState) -> RecurrentState:
        """One hGRU step: (H2[t−1], t − 1) -> (H2[t], t)."""
        return RecurrentState(self.cell(drive, state.hidden, state.step), state.step + 1)

    def readout(self, state: RecurrentState) -> torch.Tensor:
        """Class scores of a state: (B, n_classes), or (B, n_classes, H, W) for the per-pixel readout."""
        return self.head(state.hidden)

    def trajectory(self, drive: torch.Tensor, n_steps: int) -> Iterator[RecurrentState]:
        """The states after steps 1 … ``n_steps`` from ``init_state(drive)``, one at a time."""
        state = self.init_state(drive)
        for _ in range(n_steps):
            state = self.step(drive, state)
            yield state

    def forward(self, images: torch.Tensor, n_steps: int | None = None) -> torch.Tensor:
        """Class scores after T steps for images (B, 1 or 3, H, W); see :meth:`readout` for the shape."""
        steps = self.resolve_steps(n_steps)
        final = deque(self.trajectory(self.drive(images), steps), maxlen=1)[0]
        return self.readout(final)

    def forward_timesteps(self, images: torch.Tensor, n_steps: int | None = None,
                          areas: Sequence[str] | None = None) -> dict[str, torch.Tensor]:
        """{"drive": X repeated T times (a view), "hgru": H2[1 … T]}, each (T, B, C, H, W)."""
        steps, wanted = self.resolve_steps(n_steps), self.resolve_areas(areas)
        drive = self.drive(images)
        hidden = [state.hidden for state in self.trajectory(drive, steps)] if "hgru" in wanted else []
        return {area: drive.unsqueeze(0).expand(steps, *drive.shape) if area == "drive" else torch.stack(hidden)
                for area in wanted}


@register_model
def hgru(**kwargs) -> HGRU:
    """The hGRU of Linsley et al. (2018): tanh, one channel-symmetric 15×15 kernel, 8 steps."""
    return HGRU(**kwargs)


@register_model
def hgru_bn(**kwargs) -> HGRU:
    """hGRU with batch norm on the gate pre-activations and the horizontal inputs C1, C2."""
    return HGRU(**{"normalization": "all", **kwargs})


@register_model
def hgru_relu(**kwargs) -> HGRU:
    """hGRU-BN with ReLU: inhibition rectified, H2 ≥ 0, separate kernels W1 and W2."""
    return HGRU(**{"nonlinearity": "relu", "separate_kernels": True, "normalization": "all", **kwargs})


@register_model
def hgru_lesion_alpha_omega(**kwargs) -> HGRU:
    """hGRU without its multiplicative (quadratic) interactions: α = ω = 0, fixed."""
    return HGRU(**{"lesions": ("alpha", "omega"), **kwargs})


@register_model
def hgru_lesion_mu_kappa(**kwargs) -> HGRU:
    """hGRU without its additive (linear) interactions: μ = κ = 0, fixed (the release's κ(H1 + γC2) vanishes)."""
    return HGRU(**{"lesions": ("mu", "kappa"), **kwargs})


@register_model
def hgru_seg(**kwargs) -> HGRU:
    """C-RBP's hGRU for Pathfinder segmentation: softplus, separate kernels, no η, 6 steps, logits (B, 2, H, W)."""
    return HGRU(**{"nonlinearity": "softplus", "separate_kernels": True, "symmetric_kernels": False,
                   "normalization": "horizontal", "step_gains": False, "readout": "segment", "excitation": "paper",
                   "initialisation": "pytorch_port", "initial_state": "zeros", "n_steps": 6,
                   "norm_statistics": "batch", "softplus_state": True, **kwargs})
