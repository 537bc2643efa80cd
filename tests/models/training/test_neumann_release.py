"""C-RBP's stopping rule of the Neumann series, against the rule written out in numpy."""

import numpy as np
import pytest
import torch

from chronoscore.models.training.algorithms import contraction_penalty, neumann_series


def numpy_release_series(matrix, gradient, terms=15):
    """Σ_k (Aᵀ)^k g, stopping before the term that makes ‖Σ‖ > 1, grows, or is below 1e-9."""
    total, term = gradient.copy(), gradient.copy()
    for iteration in range(1, terms + 1):
        new_term = matrix.T @ term
        new_total = total + new_term
        new_norm, old_norm = np.linalg.norm(new_term), np.linalg.norm(term)
        if np.linalg.norm(new_total) > 1:
            return total, iteration, "capped"
        if new_norm > old_norm:
            return total, iteration, "grew"
        if new_norm < 1e-9:
            return total, iteration, "vanished"
        total, term = new_total, new_term
    return total, terms, "max_iterations"


def run(matrix, gradient, **kwargs):
    state = torch.zeros(len(gradient), dtype=torch.float64, requires_grad=True)
    output = torch.from_numpy(matrix) @ state
    return neumann_series(output, state, torch.from_numpy(gradient), max_iterations=15, **kwargs)


def contraction(rng, size, radius):
    matrix = rng.normal(size=(size, size))
    return radius * matrix / np.abs(np.linalg.eigvals(matrix)).max()


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("case", ["max_iterations", "capped", "grew", "vanished"])
def test_the_release_rule_matches_numpy(seed, case):
    rng = np.random.default_rng(seed)
    size = 6 + seed
    if case == "max_iterations":  # a strong contraction and a small gradient: all 15 terms
        matrix, gradient = 0.5 * np.eye(size) + contraction(rng, size, 0.1), rng.normal(size=size) * 0.05
    elif case == "capped":  # slowly decaying terms of a large gradient: the sum passes 1
        direction = rng.normal(size=size)
        matrix, gradient = 0.9 * np.eye(size), 0.3 * direction / np.linalg.norm(direction)
    elif case == "grew":  # an expansion on a tiny gradient
        matrix, gradient = 1.5 * np.eye(size), rng.normal(size=size) * 1e-3
    else:  # nilpotent: (Aᵀ)² g = 0
        matrix = np.zeros((size, size))
        matrix[0, 1] = 0.5
        gradient = rng.normal(size=size) * 0.01
    expected, iterations, stop = numpy_release_series(matrix, gradient)
    solved = run(matrix, gradient)
    assert stop == case
    assert (solved.stop, solved.iterations) == (stop, iterations)
    np.testing.assert_allclose(solved.solution.numpy(), expected, rtol=1e-12, atol=1e-15)
    assert solved.diverged == (case == "grew")


def test_the_capped_term_is_left_out_where_the_tolerance_rule_would_keep_going():
    size = 5
    matrix, gradient = 0.9 * np.eye(size), np.full(size, 0.3 / np.sqrt(size))
    capped = run(matrix, gradient)
    assert capped.stop == "capped" and torch.linalg.vector_norm(capped.solution) <= 1
    tolerance = run(matrix, gradient, rule="tolerance", tolerance=1e-12)
    assert tolerance.stop == "max_iterations" and torch.linalg.vector_norm(tolerance.solution) > 1


@pytest.mark.parametrize("shape", [(2, 3, 4, 4), (1, 5, 3, 7)])
def test_the_penalty_sums_or_averages_the_squared_excesses(shape):
    generator = torch.Generator().manual_seed(sum(shape))
    weight = torch.rand(shape, generator=generator, dtype=torch.float64) * 2
    state = torch.rand(shape, generator=generator, dtype=torch.float64, requires_grad=True)
    output = weight * state  # 1ᵀJ = weight, elementwise
    excess = np.clip(weight.numpy() - 0.95, 0, None) ** 2
    total = contraction_penalty(output, state, weight=3.0, tau=0.95, reduction="sum")
    mean = contraction_penalty(output, state, weight=3.0, tau=0.95)
    assert total.item() == pytest.approx(3.0 * excess.sum(), rel=1e-12)
    assert mean.item() == pytest.approx(3.0 * excess.mean(), rel=1e-12)
