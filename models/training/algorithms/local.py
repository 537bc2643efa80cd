"""Local, immediate learning of the Recurrent Sparse Memory (Rawlinson et al. 2019) in the trainer.

The memory never back-propagates through time: at each step its only loss is the
error of its prediction of the next input, and a classifier reading the detached
memory learns from its own cross-entropy (:func:`chronoscore.models.rsm_training.local_step_losses`,
shared with :func:`~chronoscore.models.rsm_training.train_rsm_on_sequences`). Two kinds of batch:

Still images ``(B, 3, H, W)`` with class labels ``(B,)``
    each shown for T steps; the next input is the same image, the classifier is
    trained on the label after every step, and the reported logits are those after
    the last step (as the model's ``forward`` gives them).
Symbol sequences ``(B, T, D)`` with per-step labels ``(B, T)``
    (:mod:`chronoscore.models.training.sequence_data`, e.g. embedded Reber strings
    and the index of each next symbol, -1 where there is none); a step whose input
    is all zero is padding, and predicting it does not count.

With ``update_every: batch`` (the default) the trainer makes one optimiser update
per batch from the mean of the steps' losses; with ``update_every: step`` the
algorithm makes one update after every time step (``context.apply_update``), as
:func:`~chronoscore.models.rsm_training.train_rsm_on_sequences` and the authors'
release do, with the trainer's one optimiser persisting across steps and batches.
The credit assignment is as local either way (no gradient crosses a step).

Extra: ``prediction_loss``, the memory's mean prediction error over the steps.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

import torch
from torch import nn

from chronoscore.errors import ConfigError
from chronoscore.models.rsm_base import SequenceMemoryModel
from chronoscore.models.rsm_training import IGNORE_LABEL, LocalStepLoss, local_step_losses
from chronoscore.models.training.algorithms.outcome import StepContext, StepOutcome

__all__ = ["local_evaluation_logits", "local_loss_and_backward", "require_sequence_memory_model"]


def require_sequence_memory_model(model: nn.Module) -> None:
    """Raise :class:`ConfigError` unless ``model`` is a Recurrent Sparse Memory."""
    if not isinstance(model, SequenceMemoryModel):
        raise ConfigError(f"algorithm local trains a Recurrent Sparse Memory (models rsm, convrsm); "
                          f"{type(model).__name__} is not one. Use algorithm: bptt for this model.")


def local_loss_and_backward(model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor,
                            context: StepContext, update_every: Literal["batch", "step"] = "batch") -> StepOutcome:
    """The steps' local losses, back-propagated within each step only.

    Parameters
    ----------
    model : SequenceMemoryModel
    inputs : Tensor (B, 3, H, W) or (B, T, ...)
        Still images, or sequences (batch first).
    labels : int64 Tensor (B,) or (B, T)
        A class per image, or per step (-1: none).
    context : StepContext
        ``n_steps``: steps a still image is shown (the model's default if None);
        ``apply_update``: the trainer's optimiser update (needed for ``step``).
    update_every : {"batch", "step"}
        ``batch``: back-propagate the mean of the steps' losses once, for the
        trainer's one update; ``step``: back-propagate each step's loss as soon as
        the step has run and update (``context.apply_update``) before the next step,
        skipping steps where no sample has a next input or a label (padding).

    Returns
    -------
    StepOutcome
        Loss, logits and labels of the classifier (after the last step for still
        images; at every labelled step for sequences) and the ``prediction_loss`` extra.
    """
    if update_every == "step" and context.apply_update is None:
        raise ConfigError("local updates every step need the trainer's optimiser update (context.apply_update).")
    losses = []
    with context.autocast():
        for step in _step_losses(model, inputs, labels, context.n_steps):
            losses.append(step)
            if update_every == "step" and step.learns:
                context.scale(step.loss).backward()
                context.apply_update()
    if update_every == "batch":
        context.scale(sum(step.loss for step in losses) / len(losses)).backward()
    logits, targets = _classified(losses, labels)
    predictions = [step.prediction_loss.detach() for step in losses if step.prediction_loss is not None]
    extras = {"prediction_loss": torch.stack(predictions).mean()} if predictions else {}
    return StepOutcome(context.loss_function(logits, targets).detach(), logits.detach(), targets, extras)


def local_evaluation_logits(model: nn.Module, inputs: torch.Tensor,
                            labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Classifier scores (N, n_classes) and their labels (N,) for evaluation (see :func:`local_loss_and_backward`)."""
    if labels.ndim == 1:
        return model(inputs), labels
    return _classified(list(_step_losses(model, inputs, labels, None)), labels)


def _step_losses(model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor,
                 n_steps: int | None) -> Iterator[LocalStepLoss]:
    """The steps' local losses, one step run per item (see :func:`local_step_losses`)."""
    if labels.ndim == 1:
        sequence = model.input_sequence(inputs, n_steps)
        step_labels = labels.unsqueeze(0).expand(sequence.shape[0], -1)
        has_next = torch.ones(step_labels.shape, dtype=torch.bool, device=sequence.device)
    else:
        sequence = model.input_sequence(inputs.transpose(0, 1))
        step_labels = labels.transpose(0, 1)
        present = sequence.flatten(2).ne(0).any(dim=2)
        has_next = torch.cat([present[1:], torch.zeros_like(present[:1])])
    return local_step_losses(model, sequence, has_next, step_labels)


def _classified(losses: list[LocalStepLoss], labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The classifier's scores and labels: after the last step (images) or at each labelled step (sequences)."""
    scored = [step for step in losses if step.logits is not None]
    if labels.ndim == 1:
        return scored[-1].logits, labels
    logits = torch.cat([step.logits[labels[:, step.step] != IGNORE_LABEL] for step in scored])
    targets = torch.cat([labels[:, step.step][labels[:, step.step] != IGNORE_LABEL] for step in scored])
    return logits, targets
