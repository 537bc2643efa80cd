"""The Neumann series of recurrent back-propagation: ``v = Σ_k (Jᵀ)^k g ≈ (I − Jᵀ)⁻¹ g``.

At a fixed point ``h* = F(x, h*)`` the gradient of a loss L(h*) with respect to
anything θ that F depends on is ``vᵀ ∂F/∂θ`` with ``v = (I − Jᵀ)⁻¹ g``,
``g = ∂L/∂h*`` and ``J = ∂F/∂h`` at h* (implicit differentiation; Almeida 1987,
Pineda 1987). When F contracts (spectral radius of J below 1) the inverse is the
convergent series ``g + Jᵀg + (Jᵀ)²g + …``, each term one vector-Jacobian product
of a single step — no graph of the other steps is needed (Liao et al. 2018's
Neumann-RBP).

Two rules decide where the series stops; with both the term that triggers the stop
is left out of v, and a term that is not finite always stops it.

``"release"`` (C-RBP's release, Linsley et al. 2020; 15 terms there)
    stop at the first term v_k with ‖Σ‖ > ``norm_cap`` (1) once v_k is added
    (``capped``), ‖v_k‖ > ‖v_{k−1}‖ (``grew``) or ‖v_k‖ < 1e-9 (``vanished``).
    Norms are over the whole batch; ‖v_0‖ = ‖g‖.
``"tolerance"`` (chronoscore's earlier rule)
    stop once ‖v_k‖ ≤ ``tolerance`` · ‖Σ‖ (``tolerance``, the term is kept) or, with
    ``stop_on_growth``, at a term that grew (``grew``).

A series that uses every term stops with ``max_iterations``.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from chronoscore.models.training.recipe import NeumannRule

__all__ = ["NeumannSolution", "STOP_REASONS", "neumann_series"]

STOP_REASONS: tuple[str, ...] = ("max_iterations", "tolerance", "capped", "grew", "vanished", "not_finite")
"""Why a series stopped (:attr:`NeumannSolution.stop`)."""

_VANISHING_NORM = 1e-9


class NeumannSolution(NamedTuple):
    """The summed series and how it ended.

    Attributes
    ----------
    solution : Tensor, shaped like the state
        v, the sum of the terms kept.
    iterations : int
        Vector-Jacobian products computed.
    stop : str
        One of :data:`STOP_REASONS`.
    """

    solution: torch.Tensor
    iterations: int
    stop: str

    @property
    def diverged(self) -> bool:
        """The series stopped because a term grew or was not finite; that term is not in v."""
        return self.stop in ("grew", "not_finite")


def neumann_series(output: torch.Tensor, state: torch.Tensor, gradient: torch.Tensor, *, max_iterations: int,
                   rule: NeumannRule = "release", tolerance: float = 1e-4, stop_on_growth: bool = True,
                   norm_cap: float = 1.0) -> NeumannSolution:
    """Sum ``g + Jᵀg + (Jᵀ)²g + …`` for ``J = ∂output/∂state`` until ``rule`` stops it.

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
    rule : {"release", "tolerance"}
        The stopping rule (see the module docstring).
    tolerance, stop_on_growth
        Of the ``"tolerance"`` rule.
    norm_cap : float
        Of the ``"release"`` rule: the largest ‖Σ‖ kept (1; scale it with a loss scaler's factor).

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
        candidate = total + term
        stop = _stop_reason(rule, norm, previous_norm, _norm(candidate), tolerance, stop_on_growth, norm_cap)
        if stop == "tolerance":
            return NeumannSolution(candidate, iteration, stop)
        if stop is not None:
            return NeumannSolution(total, iteration, stop)
        total, previous_norm = candidate, norm
    return NeumannSolution(total, max_iterations, "max_iterations")


def _stop_reason(rule: NeumannRule, norm: torch.Tensor, previous_norm: torch.Tensor, total_norm: torch.Tensor,
                 tolerance: float, stop_on_growth: bool, norm_cap: float) -> str | None:
    """Why the series stops at a term of norm ``norm`` (None: it goes on)."""
    if not torch.isfinite(norm):
        return "not_finite"
    if rule == "release":
        if total_norm > norm_cap:
            return "capped"
        if norm > previous_norm:
            return "grew"
        return "vanished" if norm < _VANISHING_NORM else None
    if stop_on_growth and norm > previous_norm:
        return "grew"
    return "tolerance" if norm <= tolerance * total_norm else None


def _norm(tensor: torch.Tensor) -> torch.Tensor:
    return torch.linalg.vector_norm(tensor.float())
