"""The Neumann series of recurrent back-propagation: ``v = Σ_k (Jᵀ)^k g ≈ (I − Jᵀ)⁻¹ g``.

At a fixed point ``h* = F(x, h*)`` the gradient of a loss L(h*) with respect to
anything θ that F depends on is ``vᵀ ∂F/∂θ`` with ``v = (I − Jᵀ)⁻¹ g``,
``g = ∂L/∂h*`` and ``J = ∂F/∂h`` at h* (implicit differentiation; Almeida 1987,
Pineda 1987). When F contracts (spectral radius of J below 1) the inverse is the
convergent series ``g + Jᵀg + (Jᵀ)²g + …``, each term one vector-Jacobian product
of a single step — no graph of the other steps is needed (Liao et al. 2018's
Neumann-RBP).
"""

from __future__ import annotations

from typing import NamedTuple

import torch

__all__ = ["NeumannSolution", "neumann_series"]


class NeumannSolution(NamedTuple):
    """The summed series and how it ended.

    Attributes
    ----------
    solution : Tensor, shaped like the state
        v, the sum of the terms kept.
    iterations : int
        Vector-Jacobian products computed.
    diverged : bool
        The series stopped because a term grew (or was not finite); that term is not in v.
    """

    solution: torch.Tensor
    iterations: int
    diverged: bool


def neumann_series(output: torch.Tensor, state: torch.Tensor, gradient: torch.Tensor, *, max_iterations: int,
                   tolerance: float, stop_on_growth: bool = True) -> NeumannSolution:
    """Sum ``g + Jᵀg + (Jᵀ)²g + …`` for ``J = ∂output/∂state``.

    Parameters
    ----------
    output : Tensor
        F(x, h), computed with a graph from ``state``.
    state : Tensor
        h, a tensor that requires grad, shaped like ``output``.
    gradient : Tensor
        g = ∂L/∂output.
    max_iterations : int
        Most terms after g (vector-Jacobian products).
    tolerance : float
        Stop once a term's norm is at most ``tolerance`` × the norm of the sum.
    stop_on_growth : bool
        Stop, without adding it, at the first term whose norm exceeds the previous
        term's: the series diverges (or is transiently growing) there.

    Returns
    -------
    NeumannSolution
        The graph of ``output`` is kept for further use.
    """
    total, term = gradient, gradient
    previous_norm = _norm(term)
    for iteration in range(1, max_iterations + 1):
        (term,) = torch.autograd.grad(output, state, grad_outputs=term, retain_graph=True)
        norm = _norm(term)
        if not torch.isfinite(norm) or (stop_on_growth and norm > previous_norm):
            return NeumannSolution(total, iteration, True)
        total = total + term
        if norm <= tolerance * _norm(total):
            return NeumannSolution(total, iteration, False)
        previous_norm = norm
    return NeumannSolution(total, max_iterations, False)


def _norm(tensor: torch.Tensor) -> torch.Tensor:
    return torch.linalg.vector_norm(tensor.float())
