"""Back-propagation through time: the loss of the model's ``forward`` differentiated through every step."""

from __future__ import annotations

import torch
from torch import nn

from chronoscore.models.training.algorithms.outcome import StepContext, StepOutcome

__all__ = ["bptt_loss_and_backward"]


def bptt_loss_and_backward(model: nn.Module, images: torch.Tensor, labels: torch.Tensor,
                           context: StepContext) -> StepOutcome:
    """Loss of ``model(images)`` and its gradient through the whole unrolled model.

    Parameters
    ----------
    model : nn.Module
        Any model (also a ``DistributedDataParallel`` or compiled wrapper).
    images : Tensor (B, 3, H, W)
    labels : Tensor (B,) or the loss function's target shape
    context : StepContext

    Returns
    -------
    StepOutcome
        Without extras.
    """
    with context.autocast():
        logits = model(images) if context.n_steps is None else model(images, n_steps=context.n_steps)
    loss = context.loss_function(logits, labels)
    context.scale(loss).backward()
    return StepOutcome(loss.detach(), logits.detach(), labels, {})
