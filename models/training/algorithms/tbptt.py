"""Truncated back-propagation through time for a loss read out after the last step.

The model runs its T steps from ``init_state(drive(images))``; the first
``T − window`` run without a graph, so the gradient of the final readout flows
back through the last ``window`` steps only (into the parameters and the drive
as used in those steps). With ``window ≥ T`` this is full BPTT through the same
steps. Needs the fixed-point interface (:mod:`chronoscore.models.fixed_point`),
which splits a model into its steps.
"""

from __future__ import annotations

import torch
from torch import nn

from chronoscore.models.training.algorithms.outcome import StepContext, StepOutcome, fixed_point_steps

__all__ = ["tbptt_loss_and_backward"]


def tbptt_loss_and_backward(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, context: StepContext, *,
                            window: int) -> StepOutcome:
    """Loss after T steps and its gradient through the last ``window`` of them.

    Parameters
    ----------
    model : FixedPointModel
    images : Tensor (B, 3, H, W)
    labels : Tensor (B,) or the loss function's target shape
    context : StepContext
        ``n_steps`` is T (the model's default if None).
    window : int
        Steps the gradient flows through.

    Returns
    -------
    StepOutcome
        Without extras.
    """
    steps = fixed_point_steps(model, context.n_steps)
    with context.autocast():
        drive = model.drive(images)
        state = model.init_state(drive)
        with torch.no_grad():
            for _ in range(max(0, steps - window)):
                state = model.step(drive, state)
        for _ in range(min(steps, window)):
            state = model.step(drive, state)
        logits = model.readout(state)
    loss = context.loss_function(logits, labels)
    context.scale(loss).backward()
    return StepOutcome(loss.detach(), logits.detach(), labels, {})
