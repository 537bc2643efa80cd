"""A fully connected Recurrent Sparse Memory layer (Rawlinson, Ahmed & Kowadlo 2019).

One step, for input x(t) (B, D) and the traces of the previous step:

.. math::

    z_{j,i} &= w_j^\\top x(t) + u_{j,i}^\\top \\hat\\psi(t-1)
        \\quad (w_j \\text{ shared by the } c \\text{ cells of group } j,\\; u \\text{ cell to cell}) \\\\
    y(t) &= \\tanh(z \\odot M(t)) \\\\
    \\hat x(t+1) &= V \\max_i y_{\\cdot,i}(t) + b

with M, φ and ψ as in :mod:`chronoscore.models.layers.rsm_sparsity`. The decoder
V predicts the *next* input from each group's strongest cell, and the layer learns
from that prediction error alone (:func:`prediction_error`): the recurrent input ψ̂
is detached, so no gradient flows back through time.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

import torch
from torch import nn

from chronoscore.errors import ConfigError, DataFormatError
from chronoscore.models.layers.rsm_sparsity import next_inhibition, next_trace, normalise_trace, winner_mask

__all__ = ["INITIALISATIONS", "Initialisation", "RSMLayer", "RSMLayerOutput", "RSMLayerState", "SparseMemoryLayer",
           "check_rsm_options", "init_rsm_weight", "prediction_error"]

INITIAL_WEIGHT_SD = 0.03
"""Standard deviation of the ``truncated_normal`` initial weights.

Not the release's initialisation: its layer reads ``f_init_sd = r_init_sd = 0.03``
only for initialiser types its Reber definition does not select; the weights get
TensorFlow's default, Glorot-uniform, and the biases zeros (``glorot_uniform``
here). The PyTorch port (numenta/nupic.research) draws every weight and bias from
an untruncated N(0, 0.03²).
"""

Initialisation = Literal["glorot_uniform", "truncated_normal"]
INITIALISATIONS: tuple[Initialisation, ...] = ("glorot_uniform", "truncated_normal")


class RSMLayerState(NamedTuple):
    """What one step hands to the next (both detached).

    Attributes
    ----------
    trace : Tensor (B, G·C, *sites)
        ψ(t), the decaying trace of the output (normalised when read).
    inhibition : Tensor (B, G, C, *sites)
        φ(t), the inhibition trace.
    """

    trace: torch.Tensor
    inhibition: torch.Tensor


class RSMLayerOutput(NamedTuple):
    """One step's results.

    Attributes
    ----------
    memory : Tensor (B, G·C, *sites)
        y(t), cells in group-major order (cell i of group j at j·C + i).
    prediction : Tensor (B, D, *input sites)
        The predicted next input.
    mask : Tensor (B, G, C, *sites)
        M(t), 1.0 at the active cells.
    """

    memory: torch.Tensor
    prediction: torch.Tensor
    mask: torch.Tensor


def check_rsm_options(groups: int, cells: int, k: int, gamma: float, epsilon: float) -> None:
    """Raise :class:`ConfigError` unless the layer's settings are consistent."""
    for name, value in (("groups", groups), ("cells", cells), ("k", k)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"{name} must be a positive integer, got {value!r}.")
    if k > groups:
        raise ConfigError(f"k={k} winning groups cannot exceed groups={groups}; lower k or add groups.")
    if not 0.0 <= gamma <= 1.0:
        raise ConfigError(f"gamma (inhibition decay) must lie in [0, 1], got {gamma}.")
    if not 0.0 <= epsilon < 1.0:
        raise ConfigError(f"epsilon (recurrent trace decay) must lie in [0, 1), got {epsilon}.")


def init_rsm_weight(weight: torch.Tensor, init: Initialisation = "truncated_normal") -> None:
    """Fill ``weight`` in place: Glorot-uniform, or N(0, 0.03²) truncated at two standard deviations.

    Glorot-uniform draws from U(−a, a), ``a = sqrt(6 / (fan_in + fan_out))``, as
    TensorFlow's default dense-layer initialiser does.
    """
    if init == "glorot_uniform":
        nn.init.xavier_uniform_(weight)
    elif init == "truncated_normal":
        nn.init.trunc_normal_(weight, std=INITIAL_WEIGHT_SD, a=-2 * INITIAL_WEIGHT_SD, b=2 * INITIAL_WEIGHT_SD)
    else:
        raise ConfigError(f"init must be one of {', '.join(INITIALISATIONS)}, got {init!r}.")


def prediction_error(prediction: torch.Tensor, next_input: torch.Tensor,
                     valid: torch.Tensor | None = None) -> torch.Tensor:
    """Mean squared error of a layer's prediction of its next input: the RSM's only loss.

    Parameters
    ----------
    prediction, next_input : Tensor (B, ...)
        Same shape; ``next_input`` is treated as a constant.
    valid : bool Tensor (B,), optional
        Samples to include (e.g. False past the end of a padded sequence); all by default.

    Returns
    -------
    Tensor ()
        Mean over the included samples of each sample's mean squared error; 0 if none is included.
    """
    if prediction.shape != next_input.shape:
        raise DataFormatError(f"prediction {tuple(prediction.shape)} and next input {tuple(next_input.shape)} "
                          "must have the same shape.")
    per_sample = (prediction - next_input.detach()).square().flatten(1).mean(dim=1)
    if valid is None:
        return per_sample.mean()
    weights = valid.to(per_sample.dtype)
    return (per_sample * weights).sum() / weights.sum().clamp(min=1.0)


class SparseMemoryLayer(nn.Module):
    """What the fully connected and convolutional RSM layers share: settings and the step.

    Subclasses create the modules ``feedforward`` (input -> g group drives),
    ``recurrent`` (g·c -> g·c) and ``decoder`` (g -> input), and define
    :meth:`decode`.
    """

    def __init__(self, groups: int, cells: int, k: int, gamma: float, epsilon: float) -> None:
        super().__init__()
        check_rsm_options(groups, cells, k, gamma, epsilon)
        self.groups, self.cells, self.k = groups, cells, k
        self.gamma, self.epsilon = float(gamma), float(epsilon)

    def init_weights(self, init: Initialisation = "truncated_normal") -> None:
        """Weights drawn as ``init`` says (:func:`init_rsm_weight`) and a zero decoder bias."""
        for weight in (self.feedforward.weight, self.recurrent.weight, self.decoder.weight):
            init_rsm_weight(weight, init)
        nn.init.zeros_(self.decoder.bias)

    def decode(self, strongest: torch.Tensor, input: torch.Tensor) -> torch.Tensor:  # pragma: no cover
        """The predicted next input from each group's strongest cell (B, G, *sites)."""
        raise NotImplementedError

    def forward(self, input: torch.Tensor, state: RSMLayerState) -> tuple[RSMLayerOutput, RSMLayerState]:
        """One step: the input and the previous state -> (output, next state)."""
        recurrent_input = normalise_trace(state.trace)
        z = self.feedforward(input).unsqueeze(2) + self.recurrent(recurrent_input).unflatten(1, (self.groups, -1))
        mask = winner_mask(z, state.inhibition, self.k)
        activity = torch.tanh(z * mask)
        memory = activity.flatten(1, 2)
        next_state = RSMLayerState(next_trace(recurrent_input, memory, self.epsilon),
                                   next_inhibition(state.inhibition, mask, self.gamma))
        return RSMLayerOutput(memory, self.decode(activity.amax(dim=2), input), mask), next_state


class RSMLayer(SparseMemoryLayer):
    """Fully connected RSM layer: g groups × c cells reading a D-vector.

    Parameters
    ----------
    n_inputs : int
        D, length of the input vector (and of the predicted next input).
    groups, cells : int
        g groups of c cells each.
    k : int
        Active groups per sample and step.
    gamma : float
        Decay γ of the inhibition trace.
    epsilon : float
        Decay ε of the recurrent trace.
    init : {"glorot_uniform", "truncated_normal"}
        Initial weights: the release's Glorot-uniform (default), or N(0, 0.03²)
        truncated at ±0.06 (see :data:`INITIAL_WEIGHT_SD`); the decoder bias starts at zero.

    Notes
    -----
    A step maps input (B, D) to memory (B, g·c), prediction (B, D) and mask (B, g, c).
    Parameters: ``g·D`` (feedforward, no bias) + ``(g·c)²`` (recurrent, no bias) +
    ``D·g + D`` (decoder), as in the original code (``ff_bias = fb_bias = False``,
    ``decode_bias = True``).
    """

    def __init__(self, n_inputs: int, groups: int, cells: int, k: int, gamma: float, epsilon: float,
                 init: Initialisation = "glorot_uniform") -> None:
        super().__init__(groups, cells, k, gamma, epsilon)
        self.feedforward = nn.Linear(n_inputs, groups, bias=False)
        self.recurrent = nn.Linear(groups * cells, groups * cells, bias=False)
        self.decoder = nn.Linear(groups, n_inputs)
        self.init_weights(init)

    def initial_state(self, batch: int, like: torch.Tensor) -> RSMLayerState:
        """All-zero traces for ``batch`` samples, on ``like``'s device and dtype."""
        trace = like.new_zeros(batch, self.groups * self.cells)
        return RSMLayerState(trace, like.new_zeros(batch, self.groups, self.cells))

    def decode(self, strongest: torch.Tensor, input: torch.Tensor) -> torch.Tensor:
        """Predicted next input (B, D) from each group's strongest cell (B, G)."""
        return self.decoder(strongest)
