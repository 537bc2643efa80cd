"""Recurrent back-propagation (Almeida 1987, Pineda 1987) at the last state of a fixed-point model.

For images x, with F the model's ``step``:

1. ``X = drive(x)`` (with a graph), then T − 1 steps from ``init_state(X)``
   without a graph, giving h;
2. one step with a graph from h (detached, requiring grad): ``h* = F(X, h)``;
3. the readout's loss L of h*; its backward gives the readout's gradients and
   ``g = ∂L/∂h*``;
4. ``v = Σ_k (Jᵀ)^k g`` with ``J = ∂F/∂h`` at (X, h) by vector-Jacobian products
   (:func:`~chronoscore.models.training.algorithms.neumann.neumann_series`);
5. v back-propagated through the one step into F's parameters and, through X,
   into the drive's.

When the recurrence has converged (h = h*) this is the exact gradient of L at the
fixed point, with the memory of one step instead of T. A penalty on the step's
Jacobian (C-RBP, :mod:`~chronoscore.models.training.algorithms.crbp`) is added to
the same backward pass.

Extras, per batch (``metrics.csv`` averages them over each logged window, so the
indicators become the fraction of batches): ``neumann_iterations`` (vector-Jacobian
products used), and which rule stopped the series — ``neumann_diverged`` (1 when a
term grew or was not finite; a ``RuntimeWarning`` says so), ``neumann_capped`` (1 when
‖Σ‖ passed the release's cap of 1) and ``neumann_vanished`` (1 when a term fell below
1e-9); a batch with none of them ran all terms or met the tolerance.

Per-step gains η_t (the hGRU's ``step_gains``): only the last step runs with a graph,
so only η_{T−1} receives a gradient; the others keep their initial values. Train such
models with shared gains (``step_gains: false``) under rbp and crbp, as C-RBP's
release does (its hGRU has no η).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import torch
from torch import nn

from chronoscore.models.fixed_point import RecurrentState
from chronoscore.models.training.algorithms.neumann import neumann_series
from chronoscore.models.training.algorithms.outcome import StepContext, StepOutcome, fixed_point_steps
from chronoscore.models.training.recipe import NeumannRule

__all__ = ["JacobianPenalty", "NEUMANN_EXTRAS", "rbp_loss_and_backward"]

NEUMANN_EXTRAS = ("neumann_iterations", "neumann_diverged", "neumann_capped", "neumann_vanished")
"""The per-batch extras of rbp and crbp that describe the Neumann series."""

JacobianPenalty = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
"""``penalty(output, state) -> Tensor ()``, differentiable, of one step ``output = F(X, state)``."""


def rbp_loss_and_backward(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, context: StepContext, *,
                          max_iterations: int = 15, rule: NeumannRule = "release", tolerance: float = 1e-4,
                          stop_on_growth: bool = True, penalty: JacobianPenalty | None = None) -> StepOutcome:
    """Loss at the last of T steps and its recurrent back-propagation gradient (see the module docstring).

    Parameters
    ----------
    model : FixedPointModel
    images : Tensor (B, 3, H, W), or (B, 1, H, W) with ``data.input: unit_gray``
    labels : Tensor (B,) or the loss function's target shape
    context : StepContext
        ``n_steps`` is T (the model's default if None).
    max_iterations, rule, tolerance, stop_on_growth
        Of the Neumann series (:func:`~chronoscore.models.training.algorithms.neumann.neumann_series`); the
        release's cap ‖Σ‖ ≤ 1 applies to the unscaled gradient.
    penalty : callable, optional
        A penalty of the last step whose gradient is added (C-RBP); reported as the
        ``penalty`` extra.

    Returns
    -------
    StepOutcome
    """
    steps = fixed_point_steps(model, context.n_steps)
    with context.autocast():
        drive = model.drive(images)
        state = model.init_state(drive)
        with torch.no_grad():
            for _ in range(steps - 1):
                state = model.step(drive, state)
        previous = state.hidden.detach().requires_grad_()
        last = model.step(drive, RecurrentState(previous, state.step))
        settled = last.hidden.detach().requires_grad_()
        logits = model.readout(RecurrentState(settled, last.step))
    loss = context.loss_function(logits, labels)
    context.scale(loss).backward()
    gradient = settled.grad if settled.grad is not None else torch.zeros_like(settled)
    loss_scale = float(context.scale(torch.ones((), device=gradient.device)))
    series = neumann_series(last.hidden, previous, gradient, max_iterations=max_iterations, rule=rule,
                            tolerance=tolerance, stop_on_growth=stop_on_growth, norm_cap=loss_scale)
    if series.diverged:
        warnings.warn("the Neumann series of recurrent back-propagation diverged: the step is not contractive at "
                      "the last state, so the gradient is truncated. Run more steps, or use algorithm crbp to "
                      "keep the recurrence contractive.", RuntimeWarning, stacklevel=2)
    outputs, output_gradients = [last.hidden], [series.solution.to(last.hidden.dtype)]
    extras = dict(zip(NEUMANN_EXTRAS, map(torch.tensor, (float(series.iterations), float(series.diverged),
                                                          float(series.stop == "capped"),
                                                          float(series.stop == "vanished")))))
    if penalty is not None:
        value = penalty(last.hidden, previous)
        outputs.append(context.scale(value))
        output_gradients.append(None)
        extras["penalty"] = value.detach()
    torch.autograd.backward(outputs, output_gradients)
    return StepOutcome(loss.detach(), logits.detach(), labels, extras)
