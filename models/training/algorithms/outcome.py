"""What every learning algorithm shares: the settings it is called with and what it returns.

An algorithm is a function ``loss_and_backward(model, images, labels, context, **options)
-> StepOutcome``: it computes the batch's loss and leaves the parameters' gradients
in their ``.grad`` (scaled by ``context.scale``), without touching the optimiser;
an algorithm that updates within a batch calls ``context.apply_update`` instead.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from chronoscore.errors import ConfigError
from chronoscore.models.fixed_point import FixedPointModel

__all__ = ["LossFunction", "StepContext", "StepOutcome", "cross_entropy_loss", "fixed_point_steps", "focal_loss",
           "require_fixed_point_model"]

LossFunction = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
"""``loss(logits, targets) -> Tensor ()``, the mean loss of a batch."""


def cross_entropy_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of logits in at least float32: (B, n_classes) with (B,) classes, or (B, n, H, W) with (B, H, W)."""
    return F.cross_entropy(logits.to(torch.promote_types(logits.dtype, torch.float32)), targets)


def focal_loss(logits: torch.Tensor, targets: torch.Tensor, gamma: float = 2.0) -> torch.Tensor:
    """Focal loss (Lin et al. 2017) as in C-RBP's release: mean of −(1 − p_t)^γ · log p_t.

    p_t is the softmax probability of the target class, per image or per pixel; as in
    the release the weight (1 − p_t)^γ is a constant for the gradient (computed from
    detached probabilities). Shapes as :func:`cross_entropy_loss`.
    """
    log_probabilities = F.log_softmax(logits.to(torch.promote_types(logits.dtype, torch.float32)), dim=1)
    target_log_probability = log_probabilities.gather(1, targets.unsqueeze(1)).squeeze(1)
    weight = (1 - target_log_probability.detach().exp()) ** gamma
    return -(weight * target_log_probability).mean()


def _unscaled(loss: torch.Tensor) -> torch.Tensor:
    return loss


@dataclass(frozen=True)
class StepContext:
    """What the trainer hands an algorithm besides the model and the batch.

    Attributes
    ----------
    n_steps : int, optional
        Recurrent steps to run; None: the model's default (``default_steps``).
    loss_function : LossFunction
        Mean loss of the model's output against the targets.
    scale : callable
        Applied to a loss before back-propagating it (the fp16 gradient scaler's
        ``scale``; the identity otherwise).
    autocast : callable
        Returns the context the forward computations run in (mixed precision).
    apply_update : callable, optional
        Makes one optimiser update from the gradients in ``.grad`` (with the
        trainer's gradient averaging, clipping and scaler) and clears them; given to
        algorithms that update within a batch (``local`` with ``update_every: step``).
    """

    n_steps: int | None = None
    loss_function: LossFunction = cross_entropy_loss
    scale: Callable[[torch.Tensor], torch.Tensor] = _unscaled
    autocast: Callable[[], contextlib.AbstractContextManager] = field(default=contextlib.nullcontext)
    apply_update: Callable[[], None] | None = None


class StepOutcome(NamedTuple):
    """One batch's results, all detached.

    Attributes
    ----------
    loss : Tensor ()
        The task loss (without penalties).
    logits : Tensor (N, n_classes, ...)
        Model outputs the loss and the accuracy are computed from.
    labels : Tensor (N, ...)
        Their targets.
    extras : dict of str to Tensor ()
        Diagnostics of the algorithm (e.g. ``neumann_iterations``).
    """

    loss: torch.Tensor
    logits: torch.Tensor
    labels: torch.Tensor
    extras: dict[str, torch.Tensor]


def require_fixed_point_model(model: nn.Module, algorithm: str) -> None:
    """Raise :class:`ConfigError` unless ``model`` has the fixed-point interface ``algorithm`` needs."""
    if not isinstance(model, FixedPointModel):
        raise ConfigError(f"algorithm {algorithm} needs a model split into drive, init_state, step and readout "
                          f"(chronoscore.models.fixed_point.FixedPointModel, e.g. the hGRU family); "
                          f"{type(model).__name__} is not. Use algorithm: bptt for this model.")


def fixed_point_steps(model: nn.Module, n_steps: int | None) -> int:
    """``n_steps``, or the model's ``default_steps`` when it is None."""
    steps = getattr(model, "default_steps", None) if n_steps is None else n_steps
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ConfigError(f"the number of recurrent steps must be a positive integer, got {steps!r}; pass "
                          "n_steps or give the model a default_steps.")
    return steps
