"""Contractor recurrent back-propagation (C-RBP; Linsley et al. 2020, "Stable and expressive recurrent
vision models", NeurIPS).

RBP's gradient (:mod:`~chronoscore.models.training.algorithms.rbp`) is exact only if
the recurrence reaches a fixed point, which it does when the step F contracts.
C-RBP adds to the task loss a penalty that pushes the Jacobian of the last step
towards contraction (the paper's Lipschitz-constant penalty)::

    penalty = λ · mean_j( relu( (1ᵀ J)_j − τ )² ),    J = ∂F/∂h at the last step,

``(1ᵀ J)_j = Σ_i ∂F_i/∂h_j``, the column sums of J, computed as one
vector-Jacobian product with a vector of ones (not a random vector), with a
graph (``create_graph=True``) so that the penalty's own gradient trains F's
parameters (and the drive's). Defaults λ = 10, τ = 0.9.

Where this differs from the paper's release: the authors' code sums the squared
excesses over all units; this averages them (so λ does not scale with the image
size and batch) — chronoscore's definition; λ = 10 with a mean is a weaker penalty
than with their sum.
"""

from __future__ import annotations

from functools import partial

import torch
from torch import nn

from chronoscore.models.training.algorithms.outcome import StepContext, StepOutcome
from chronoscore.models.training.algorithms.rbp import rbp_loss_and_backward

__all__ = ["contraction_penalty", "crbp_loss_and_backward"]


def contraction_penalty(output: torch.Tensor, state: torch.Tensor, *, weight: float = 10.0,
                        tau: float = 0.9) -> torch.Tensor:
    """``weight · mean(relu(1ᵀJ − tau)²)`` for ``J = ∂output/∂state``, differentiable.

    Parameters
    ----------
    output : Tensor (B, ...)
        One step F(X, state), computed with a graph from ``state``.
    state : Tensor (B, ...)
        Its input h, requiring grad.
    weight, tau : float
        λ and τ.

    Returns
    -------
    Tensor ()
        In float32, or float64 for a float64 state.
    """
    (column_sums,) = torch.autograd.grad(output, state, grad_outputs=torch.ones_like(output), retain_graph=True,
                                         create_graph=True)
    column_sums = column_sums.to(torch.promote_types(column_sums.dtype, torch.float32))
    return weight * torch.relu(column_sums - tau).square().mean()


def crbp_loss_and_backward(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, context: StepContext, *,
                           max_iterations: int = 20, tolerance: float = 1e-4, stop_on_growth: bool = True,
                           penalty_weight: float = 10.0, penalty_tau: float = 0.9) -> StepOutcome:
    """RBP's gradient of the task loss plus the gradient of :func:`contraction_penalty` of the last step.

    Parameters
    ----------
    model : FixedPointModel
    images : Tensor (B, 3, H, W)
    labels : Tensor (B,) or the loss function's target shape
    context : StepContext
    max_iterations, tolerance, stop_on_growth
        Of the Neumann series.
    penalty_weight, penalty_tau : float
        λ and τ of the penalty.

    Returns
    -------
    StepOutcome
        Extras ``neumann_iterations``, ``neumann_diverged`` and ``penalty`` (its value, λ included).
    """
    penalty = partial(contraction_penalty, weight=penalty_weight, tau=penalty_tau)
    return rbp_loss_and_backward(model, images, labels, context, max_iterations=max_iterations,
                                 tolerance=tolerance, stop_on_growth=stop_on_growth, penalty=penalty)
