"""What the Recurrent Sparse Memory models share: unrolling over a sequence, the classifier, the local loss.

An RSM model consumes a *sequence* of inputs, one per step. A still input (an image
batch) is shown unchanged at every one of ``n_steps`` steps. Each step the model
updates its memory from the current input and its own previous output, and predicts
the next input; that prediction error is the memory's only training signal, applied
at every step with no gradient through time (see :mod:`chronoscore.models.rsm_training`
and :mod:`chronoscore.models.rsm_release_training`). A classifier reads the memory,
detached, so its loss never reaches the memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import torch
from torch import nn

from chronoscore.errors import ConfigError, DataFormatError
from chronoscore.models.base import TimeResolvedModel
from chronoscore.models.layers.rsm_layer import prediction_error

__all__ = ["CLASSIFIERS", "CLASSIFIER_INIT_SD", "ClassifierKind", "SequenceMemoryModel", "SumNormalised",
           "check_positive_int"]

ClassifierKind = Literal["linear", "mlp"]
CLASSIFIERS: tuple[ClassifierKind, ...] = ("linear", "mlp")

CLASSIFIER_INIT_SD = 0.03
"""SD of the ``linear`` classifier's initial weights and biases (``predictor_init_sd`` of the release)."""

SUM_NORM_EPSILON = 1e-11
"""Added to the memory's sum before the ``linear`` classifier divides by it (``predictor_norm_eps`` of the release)."""


class SumNormalised(nn.Module):
    """``x / (Σ x + 1e-11)``, summing over the features (last dim) of each sample: (..., F) -> (..., F)."""

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return features / (features.sum(dim=-1, keepdim=True) + SUM_NORM_EPSILON)


def check_positive_int(name: str, value: object) -> int:
    """``value`` if it is a positive int, else :class:`ConfigError`."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{name} must be a positive integer, got {value!r}.")
    return value


class SequenceMemoryModel(TimeResolvedModel):
    """Base of :class:`~chronoscore.models.rsm.RSM` and :class:`~chronoscore.models.rsm_conv.ConvRSM`.

    Subclasses create ``self.classifier`` *first* in their constructor (see Notes),
    then their layers, and implement :meth:`input_sequence`, :meth:`initial_state`,
    :meth:`step`, :meth:`step_loss` and :meth:`classifier_features`.

    Parameters
    ----------
    areas : sequence of str
        Recordable outputs, in the order :meth:`step` produces them.
    n_steps : int
        Steps a still input is shown for when ``n_steps`` is None.
    step_ms : float
        Milliseconds per step.

    Notes
    -----
    The classifier is the only part a loss on the logits trains (the memory learns from
    its local prediction error), so it is created first: ``next(model.parameters())``
    is then a parameter the logits reach.
    """

    classifier: nn.Module

    def __init__(self, areas: Sequence[str], n_steps: int, step_ms: float) -> None:
        if isinstance(step_ms, bool) or not isinstance(step_ms, (int, float)) or not step_ms > 0:
            raise ConfigError(f"step_ms must be a positive number, got {step_ms!r}.")
        super().__init__(areas, default_steps=check_positive_int("n_steps", n_steps), step_ms=step_ms)

    @staticmethod
    def make_classifier(n_features: int, hidden: int, n_classes: int, kind: ClassifierKind = "mlp") -> nn.Sequential:
        """The classifier ``n_features -> hidden -> n_classes``.

        ``linear``: the release's Reber predictor — the memory divided by its sum
        (:class:`SumNormalised`), then two linear layers with no nonlinearity between
        them, weights and biases drawn from N(0, 0.03²). ``mlp``: the memory as it is,
        then a leaky ReLU between the layers, PyTorch's default initialisation.
        """
        hidden, n_classes = check_positive_int("classifier_hidden", hidden), check_positive_int("n_classes", n_classes)
        if kind == "mlp":
            return nn.Sequential(nn.Linear(n_features, hidden), nn.LeakyReLU(), nn.Linear(hidden, n_classes))
        if kind != "linear":
            raise ConfigError(f"classifier must be one of {', '.join(CLASSIFIERS)}, got {kind!r}.")
        classifier = nn.Sequential(SumNormalised(), nn.Linear(n_features, hidden), nn.Linear(hidden, n_classes))
        for parameter in classifier.parameters():
            nn.init.normal_(parameter, std=CLASSIFIER_INIT_SD)
        return classifier

    def input_sequence(self, inputs: torch.Tensor, n_steps: int | None = None) -> torch.Tensor:  # pragma: no cover
        """``inputs`` as one tensor (T, B, ...) of per-step inputs; still inputs repeated ``n_steps`` times."""
        raise NotImplementedError

    def initial_state(self, first_input: torch.Tensor) -> object:  # pragma: no cover
        """The empty memory for a batch like ``first_input`` (one step's input)."""
        raise NotImplementedError

    def step(self, input: torch.Tensor, state: object) -> tuple[dict[str, torch.Tensor], object]:  # pragma: no cover
        """One step: this step's input and the previous state -> ({area: activity}, next state)."""
        raise NotImplementedError

    def step_loss(self, outputs: dict[str, torch.Tensor], next_input: torch.Tensor,
                  valid: torch.Tensor | None = None) -> torch.Tensor:  # pragma: no cover
        """Sum over layers of :meth:`local_loss` for one step's ``outputs``."""
        raise NotImplementedError

    def classifier_features(self, outputs: dict[str, torch.Tensor]) -> torch.Tensor:  # pragma: no cover
        """The vector (B, F) the classifier reads from one step's ``outputs``."""
        raise NotImplementedError

    @staticmethod
    def local_loss(prediction: torch.Tensor, next_input: torch.Tensor,
                   valid: torch.Tensor | None = None) -> torch.Tensor:
        """Local, immediate loss of one layer at one step: mean squared error of its next-input prediction.

        Parameters
        ----------
        prediction : Tensor (B, ...)
            A layer's prediction made at step t.
        next_input : Tensor (B, ...)
            What that layer actually receives next (a constant for the loss).
        valid : bool Tensor (B,), optional
            Samples to include; all by default.
        """
        return prediction_error(prediction, next_input, valid)

    def classify(self, outputs: dict[str, torch.Tensor]) -> torch.Tensor:
        """Class scores (B, n_classes) from one step's outputs; the memory is detached first."""
        return self.classifier(self.classifier_features(outputs).detach())

    def forward_timesteps(self, inputs: torch.Tensor, n_steps: int | None = None,
                          areas: Sequence[str] | None = None) -> dict[str, torch.Tensor]:
        """Each requested area at every step: {area: (T, B, ...)}, from a fresh (empty) memory."""
        wanted = self.resolve_areas(areas)
        recorded: dict[str, list[torch.Tensor]] = {area: [] for area in wanted}
        for outputs in self._unroll(inputs, n_steps):
            for area in wanted:
                recorded[area].append(outputs[area])
        return {area: torch.stack(steps) for area, steps in recorded.items()}

    def forward(self, inputs: torch.Tensor, n_steps: int | None = None) -> torch.Tensor:
        """Class scores (B, n_classes) read from the memory after the last step."""
        for outputs in self._unroll(inputs, n_steps):
            last = outputs
        return self.classify(last)

    def _unroll(self, inputs: torch.Tensor, n_steps: int | None):
        """Yield each step's outputs for ``inputs``, starting from an empty memory."""
        sequence = self.input_sequence(inputs, n_steps)
        state = self.initial_state(sequence[0])
        for input in sequence:
            outputs, state = self.step(input, state)
            yield outputs

    def sequence_or_still(self, inputs: torch.Tensor, n_steps: int | None, still_ndim: int) -> torch.Tensor:
        """(T, B, ...) from a sequence (``still_ndim + 1`` dims) or a still batch (``still_ndim`` dims).

        A still batch is repeated ``n_steps`` times (``default_steps`` if None); a
        sequence sets T itself, so ``n_steps`` must then be None or T.
        """
        if not isinstance(inputs, torch.Tensor) or not inputs.is_floating_point():
            kind = inputs.dtype if isinstance(inputs, torch.Tensor) else type(inputs).__name__
            raise DataFormatError(f"inputs must be a floating-point tensor, got {kind}; convert with .float().")
        if inputs.ndim == still_ndim:
            return inputs.unsqueeze(0).expand(self.resolve_steps(n_steps), *inputs.shape)
        if inputs.ndim != still_ndim + 1:
            raise DataFormatError(f"inputs must have {still_ndim} dims (a still batch) or {still_ndim + 1} "
                                  f"(a sequence, time first), got shape {tuple(inputs.shape)}.")
        if inputs.shape[0] < 1 or (n_steps is not None and n_steps != inputs.shape[0]):
            raise ConfigError(f"a sequence of {inputs.shape[0]} steps sets the number of steps; "
                              f"pass n_steps=None (got {n_steps}).")
        return inputs
