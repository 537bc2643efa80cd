"""Training a Recurrent Sparse Memory with local, immediate credit assignment.

The memory never back-propagates through time. At every step t of a sequence::

    outputs, state = model.step(inputs[t], state)        # memory and its prediction of inputs[t + 1]
    loss = model.step_loss(outputs, inputs[t + 1])       # model.local_loss per layer
    loss = loss + cross_entropy(model.classify(outputs), labels[t])   # optional; classify detaches the memory
    optimizer.zero_grad(); loss.backward(); optimizer.step()

``state`` is detached by the layers, so step t's loss reaches only the weights as used
at step t and the input of step t; the weights change after every step, as in the
original code (one optimiser update per time step of a batch of parallel streams).
The classifier's loss trains the classifier alone.

:func:`local_step_losses` yields these per-step losses; :func:`train_rsm_on_sequences`
updates the weights after each one, and the trainer's ``local`` algorithm
(:mod:`chronoscore.models.training.algorithms.local`) either does the same
(``update_every: step``) or averages them over the steps of a batch before one
update. :mod:`chronoscore.models.rsm_release_training` trains on endless streams
of strings instead, as the authors' release does.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

import torch
from torch.nn import functional

from chronoscore.errors import DataFormatError
from chronoscore.models.rsm_base import SequenceMemoryModel, check_positive_int

__all__ = ["IGNORE_LABEL", "LocalStepLoss", "RSMTrainingHistory", "local_step_losses", "train_rsm_on_sequences"]

IGNORE_LABEL = -1
"""Label value of steps without a classification target."""


class LocalStepLoss(NamedTuple):
    """The local losses of one step t.

    Attributes
    ----------
    step : int
        t, counted from 0.
    loss : Tensor ()
        What step t trains on: the prediction error (if t has a next input) plus the
        classifier's cross-entropy (if some sample has a label at t); with its graph.
    prediction_loss : Tensor () or None
        The memory's prediction error of input t + 1 (None at the last step).
    classifier_loss : Tensor () or None
        The classifier's cross-entropy (None without a label at t).
    logits : Tensor (B, n_classes) or None
        The classifier's scores after step t (None without a label at t).
    learns : bool
        Some sample has a next input or a label at step t (else ``loss`` is a zero
        with no gradient to give, and an update from it would only move the
        optimiser's momentum).
    """

    step: int
    loss: torch.Tensor
    prediction_loss: torch.Tensor | None
    classifier_loss: torch.Tensor | None
    logits: torch.Tensor | None
    learns: bool = True


def local_step_losses(model: SequenceMemoryModel, inputs: torch.Tensor, has_next: torch.Tensor,
                      labels: torch.Tensor | None = None) -> Iterator[LocalStepLoss]:
    """Run ``model`` over a sequence from an empty memory and yield each step's local losses.

    The generator advances the memory one step per item; whatever the caller does
    with a step's loss (e.g. update the weights) happens before the next step runs.
    Steps with nothing to learn (the last step without a label) are run but not yielded.

    Parameters
    ----------
    model : SequenceMemoryModel
    inputs : Tensor (T, B, ...)
        Per-step inputs, as ``model.input_sequence`` returns them.
    has_next : bool Tensor (T, B)
        Whether sample b has an input at step t + 1 (its prediction counts).
    labels : int64 Tensor (T, B), optional
        Class the classifier should output after step t, or :data:`IGNORE_LABEL`.
    """
    state = model.initial_state(inputs[0])
    steps = inputs.shape[0]
    for step in range(steps):
        outputs, state = model.step(inputs[step], state)
        prediction_loss = None
        if step + 1 < steps:
            prediction_loss = model.step_loss(outputs, inputs[step + 1], has_next[step])
        classifier_loss = logits = None
        if labels is not None and (labels[step] != IGNORE_LABEL).any():
            logits = model.classify(outputs)
            classifier_loss = functional.cross_entropy(logits, labels[step].to(inputs.device),
                                                       ignore_index=IGNORE_LABEL)
        parts = [part for part in (prediction_loss, classifier_loss) if part is not None]
        if parts:
            learns = classifier_loss is not None or bool(has_next[step].any())
            yield LocalStepLoss(step, sum(parts[1:], parts[0]), prediction_loss, classifier_loss, logits, learns)


@dataclass
class RSMTrainingHistory:
    """Mean losses per epoch (over the steps with a target).

    Attributes
    ----------
    prediction_loss : list of float
        The memory's local next-input prediction error.
    classifier_loss : list of float
        The classifier's cross-entropy (empty without labels).
    """

    prediction_loss: list[float] = field(default_factory=list)
    classifier_loss: list[float] = field(default_factory=list)


def train_rsm_on_sequences(model: SequenceMemoryModel, sequences: torch.Tensor, epochs: int, lr: float,
                           labels: torch.Tensor | None = None,
                           lengths: torch.Tensor | None = None) -> RSMTrainingHistory:
    """Train ``model`` on a batch of sequences, one Adam update per time step.

    Every epoch runs the whole batch from an empty memory, step by step, as the
    module docstring shows.

    Parameters
    ----------
    model : SequenceMemoryModel
        An ``rsm`` or ``convrsm`` model; trained in place.
    sequences : Tensor (T, B, ...)
        B sequences, time first, in any layout ``model.forward_timesteps`` accepts for a
        sequence (e.g. (T, B, D) one-hot symbols); zero-padded past each one's length.
    epochs : int
        Passes over the batch.
    lr : float
        Adam learning rate (the original used 0.0005).
    labels : int64 Tensor (T, B), optional
        Class the classifier should output after step t (e.g. the index of symbol t + 1),
        or -1 for none. Without labels the classifier is not trained.
    lengths : int Tensor (B,), optional
        Steps of each sequence; the prediction of step t counts only if t + 1 < length.
        All T by default.

    Returns
    -------
    RSMTrainingHistory
    """
    check_positive_int("epochs", epochs)
    inputs = model.input_sequence(sequences)
    steps, batch = inputs.shape[:2]
    if steps < 2:
        raise DataFormatError(f"sequences need at least 2 steps (a step and the input it predicts), got {steps}.")
    lengths = torch.full((batch,), steps) if lengths is None else torch.as_tensor(lengths)
    if lengths.shape != (batch,):
        raise DataFormatError(f"lengths must hold one length per sequence ({batch}), got shape {tuple(lengths.shape)}.")
    if labels is not None and tuple(labels.shape) != (steps, batch):
        raise DataFormatError(f"labels must be (T, B) = {(steps, batch)}, got {tuple(labels.shape)}.")
    has_next = torch.arange(steps).unsqueeze(1) + 1 < lengths.to("cpu").unsqueeze(0)
    has_next = has_next.to(inputs.device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = RSMTrainingHistory()
    for _ in range(epochs):
        prediction_losses, classifier_losses = [], []
        for losses in local_step_losses(model, inputs, has_next, labels):
            if losses.prediction_loss is not None and has_next[losses.step].any():
                prediction_losses.append(losses.prediction_loss.item())
            if losses.classifier_loss is not None:
                classifier_losses.append(losses.classifier_loss.item())
            optimizer.zero_grad()
            losses.loss.backward()
            optimizer.step()
        history.prediction_loss.append(sum(prediction_losses) / len(prediction_losses))
        if classifier_losses:
            history.classifier_loss.append(sum(classifier_losses) / len(classifier_losses))
    return history
