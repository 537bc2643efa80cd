"""Contractor recurrent back-propagation (C-RBP; Linsley et al. 2020, "Stable and expressive recurrent
vision models", NeurIPS).

RBP's gradient (:mod:`~chronoscore.models.training.algorithms.rbp`) is exact only if
the recurrence reaches a fixed point, which it does when the step F contracts.
C-RBP adds to the task loss a penalty that pushes the Jacobian of the last step
towards contraction (the paper's Lipschitz-constant penalty)::

    penalty = λ · mean_j( relu( (1ᵀ J)_j − τ )² ),    J = ∂F/∂h at the last step,
    (or λ · Σ_j with ``penalty_reduction="sum"``)

``(1ᵀ J)_j = Σ_i ∂F_i/∂h_j``, the column sums of J, computed as one
vector-Jacobian product with a vector of ones (not a random vector), with a
graph (``create_graph=True``) so that the penalty's own gradient trains F's
parameters (and the drive's). Defaults λ = 10, τ = 0.9 with the mean, as in the
authors' Pathfinder release (which averages the squared excesses over all units of
the batch and adds 10 × that to the loss). Their panoptic-segmentation release sums
them instead, with τ = 0.95: ``penalty_reduction="sum", penalty_tau=0.95`` (λ then
scales with the number of units, so a sum needs a much smaller λ for the same pull).
"""

from __future__ import annotations

from functools import partial

import torch
from torch import nn

from chronoscore.errors import ConfigError
from chronoscore.models.training.algorithms.outcome import StepContext, StepOutcome
from chronoscore.models.training.algorithms.rbp import rbp_loss_and_backward
from chronoscore.models.training.recipe import NeumannRule, PenaltyReduction

__all__ = ["contraction_penalty", "crbp_loss_and_backward"]


def contraction_penalty(output: torch.Tensor, state: torch.Tensor, *, weight: float = 10.0,
                        tau: float = 0.9, reduction: PenaltyReduction = "mean") -> torch.Tensor:
    """``weight · mean(relu(1ᵀJ − tau)²)`` (or the sum) for ``J = ∂output/∂state``, differentiable.

    Parameters
    ----------
    output : Tensor (B, ...)
        One step F(X, state), computed with a graph from ``state``.
    state : Tensor (B, ...)
        Its input h, requiring grad.
    weight, tau : float
        λ and τ.
    reduction : {"mean", "sum"}
        Over all units of the batch: the Pathfinder release's mean or the panoptic release's sum.

    Returns
    -------
    Tensor ()
        In float32, or float64 for a float64 state.
    """
    (column_sums,) = torch.autograd.grad(output, state, grad_outputs=torch.ones_like(output), retain_graph=True,
                                         create_graph=True)
    column_sums = column_sums.to(torch.promote_types(column_sums.dtype, torch.float32))
    excess = torch.relu(column_sums - tau).square()
    return weight * (excess.sum() if reduction == "sum" else excess.mean())


def crbp_loss_and_backward(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, context: StepContext, *,
                           max_iterations: int = 15, rule: NeumannRule = "release", tolerance: float = 1e-4,
                           stop_on_growth: bool = True, penalty_weight: float = 10.0, penalty_tau: float = 0.9,
                           penalty_reduction: PenaltyReduction = "mean") -> StepOutcome:
    """RBP's gradient of the task loss plus the gradient of :func:`contraction_penalty` of the last step.

    Parameters
    ----------
    model : FixedPointModel
    images : Tensor (B, 3, H, W), or (B, 1, H, W) with ``data.input: unit_gray``
    labels : Tensor (B,) or the loss function's target shape
    context : StepContext
    max_iterations, rule, tolerance, stop_on_growth
        Of the Neumann series.
    penalty_weight, penalty_tau : float
        λ and τ of the penalty.
    penalty_reduction : {"mean", "sum"}
        How the penalty reduces over units.

    Returns
    -------
    StepOutcome
        Extras of :func:`~chronoscore.models.training.algorithms.rbp.rbp_loss_and_backward` and
        ``penalty`` (its value, λ included).
    """
    if penalty_reduction not in ("mean", "sum"):
        raise ConfigError(f"unknown penalty_reduction {penalty_reduction!r}; choose 'mean' or 'sum'.")
    penalty = partial(contraction_penalty, weight=penalty_weight, tau=penalty_tau, reduction=penalty_reduction)
    return rbp_loss_and_backward(model, images, labels, context, max_iterations=max_iterations, rule=rule,
                                 tolerance=tolerance, stop_on_growth=stop_on_growth, penalty=penalty)
