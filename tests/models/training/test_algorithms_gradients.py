"""The gradients of tbptt, rbp and crbp against back-propagation through the unrolled steps and
against Jacobians computed independently with torch.autograd.functional."""

import pytest
import torch
import torch.nn.functional as F
from torch.autograd.functional import jacobian

from chronoscore.models.hgru import hgru_seg
from chronoscore.models.training.algorithms import (StepContext, contraction_penalty, crbp_loss_and_backward,
                                                    neumann_series, rbp_loss_and_backward, tbptt_loss_and_backward)

from .toy_fixed_point import ToyFixedPoint, gradients, relative_error, toy_batch


def bptt_gradients(model, images, labels, n_steps, loss_function=F.cross_entropy, cut_before=0):
    """Gradients of the loss after n_steps, back-propagated through every step from ``cut_before`` on."""
    drive = model.drive(images)
    state = model.init_state(drive)
    for step in range(n_steps):
        if step == cut_before:
            state = state._replace(hidden=state.hidden.detach())
        state = model.step(drive, state)
    loss_function(model.readout(state), labels).backward()
    return gradients(model)


@pytest.mark.parametrize(("seed", "batch", "n_inputs", "n_hidden", "dtype"), [
    (0, 4, 12, 8, torch.float64), (1, 1, 5, 17, torch.float64), (2, 3, 30, 6, torch.float32)])
def test_rbp_equals_bptt_of_a_contractive_map_run_to_its_fixed_point(seed, batch, n_inputs, n_hidden, dtype):
    model = ToyFixedPoint(n_inputs, n_hidden, 3, spectral_norm=0.45, seed=seed, dtype=dtype)
    images, labels = toy_batch(batch, n_inputs, 3, seed, dtype)
    expected = bptt_gradients(model, images, labels, 60)
    outcome = rbp_loss_and_backward(model, images, labels, StepContext(n_steps=60), max_iterations=100,
                                    rule="tolerance", tolerance=1e-12)
    assert relative_error(gradients(model), expected) < 1e-4
    assert 10 < outcome.extras["neumann_iterations"] < 100 and outcome.extras["neumann_diverged"] == 0
    # a truncated series (one Jacobian term) is far off: the comparison can fail
    rbp_loss_and_backward(model, images, labels, StepContext(n_steps=60), max_iterations=1)
    assert relative_error(gradients(model), expected) > 1e-3


def test_rbp_equals_bptt_of_a_tiny_hgru_run_to_convergence():
    torch.manual_seed(0)
    model = hgru_seg(input_size=16, n_orientations=2, kernel_size=5, n_steps=3).double().eval()
    images = torch.randn(2, 3, 16, 16, dtype=torch.float64)
    masks = torch.rand(2, 16, 16, generator=torch.Generator().manual_seed(3)) > 0.7
    targets = masks.long()
    expected = bptt_gradients(model, images, targets, 150)
    context = StepContext(n_steps=150)
    outcome = rbp_loss_and_backward(model, images, targets, context, max_iterations=400, rule="tolerance",
                                    tolerance=1e-12, stop_on_growth=False)
    assert relative_error(gradients(model), expected) < 1e-4
    assert outcome.logits.shape == (2, 2, 16, 16)


def test_neumann_series_solves_the_linear_system_and_stops_when_terms_grow():
    generator = torch.Generator().manual_seed(0)
    state = torch.randn(6, dtype=torch.float64, generator=generator).requires_grad_()
    basis, _ = torch.linalg.qr(torch.randn(6, 6, dtype=torch.float64, generator=generator))
    eigenvalues = torch.tensor([0.6, -0.5, 0.3, 0.1, -0.05, 0.0], dtype=torch.float64)
    contractive = basis @ torch.diag(eigenvalues) @ basis.T  # symmetric: the terms shrink monotonically
    gradient = torch.randn(6, dtype=torch.float64, generator=generator)
    solved = neumann_series(contractive @ state, state, gradient, max_iterations=200, rule="tolerance", tolerance=1e-14)
    expected = torch.linalg.solve(torch.eye(6, dtype=torch.float64) - contractive.T, gradient)
    torch.testing.assert_close(solved.solution, expected, rtol=1e-10, atol=1e-12)
    assert not solved.diverged and solved.iterations < 200

    expansive = 2.0 * torch.eye(6, dtype=torch.float64)
    grown = neumann_series(expansive @ state, state, gradient, max_iterations=50, rule="tolerance", tolerance=1e-6)
    assert grown.diverged and grown.iterations == 1
    torch.testing.assert_close(grown.solution, gradient)  # the growing term is not added


def penalty_from_the_full_jacobian(step, state, weight, tau):
    """λ · mean(relu(1ᵀJ − τ)²) with J from torch.autograd.functional.jacobian (differentiable)."""
    full = jacobian(step, state, create_graph=True)  # (*output shape, *state shape)
    column_sums = full.sum(dim=tuple(range(state.ndim)))
    return weight * torch.relu(column_sums - tau).square().mean()


@pytest.mark.parametrize(("scale", "positive"), [(0.1, False), (1.5, True)])
def test_contraction_penalty_matches_the_full_jacobian(scale, positive):
    generator = torch.Generator().manual_seed(1)
    matrix = (scale * torch.randn(4, 4, dtype=torch.float64, generator=generator)
              + (2 * scale) * torch.eye(4, dtype=torch.float64)).requires_grad_()
    state = 0.1 * torch.randn(2, 4, dtype=torch.float64, generator=generator)

    def step(hidden):
        return torch.tanh(hidden @ matrix.T + 0.05)

    leaf = state.clone().requires_grad_()
    penalty = contraction_penalty(step(leaf), leaf, weight=10.0, tau=0.9)
    expected = penalty_from_the_full_jacobian(step, state, 10.0, 0.9)
    assert (penalty.item() > 0) == positive
    torch.testing.assert_close(penalty, expected, rtol=1e-10, atol=0)
    if positive:  # its gradient trains the step's weights
        (actual_gradient,) = torch.autograd.grad(penalty, matrix)
        (expected_gradient,) = torch.autograd.grad(expected, matrix)
        torch.testing.assert_close(actual_gradient, expected_gradient, rtol=1e-10, atol=1e-14)


def test_crbp_adds_the_penalty_gradient_to_the_rbp_gradient():
    model = ToyFixedPoint(6, 5, 3, spectral_norm=0.2, seed=4)
    with torch.no_grad():  # an expanding step (W ≈ 1.2 I) on a weak drive: h stays small, 1ᵀJ ≈ 1.2 > τ
        model.recurrent.add_(1.2 * torch.eye(5, dtype=torch.float64))
        model.encoder.mul_(0.01)
        model.bias.zero_()
    images, labels = toy_batch(3, 6, 3, 4)
    context = StepContext(n_steps=8)
    rbp_loss_and_backward(model, images, labels, context, max_iterations=5, rule="tolerance", stop_on_growth=False)
    rbp = gradients(model)
    outcome = crbp_loss_and_backward(model, images, labels, context, max_iterations=5, rule="tolerance",
                                     stop_on_growth=False, penalty_weight=10.0, penalty_tau=0.9)
    crbp = gradients(model)

    drive = model.drive(images)
    state = model.init_state(drive)
    for _ in range(7):
        state = model.step(drive, state)
    previous = state.hidden.detach()
    penalty = penalty_from_the_full_jacobian(lambda hidden: model.step(drive, state._replace(hidden=hidden)).hidden,
                                             previous, 10.0, 0.9)
    penalty.backward()
    penalty_gradient = gradients(model)
    assert outcome.extras["penalty"].item() == pytest.approx(penalty.item(), rel=1e-10)
    assert penalty.item() > 0
    for name, value in penalty_gradient.items():
        torch.testing.assert_close(crbp[name] - rbp[name], value, rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("window", [6, 9])
def test_tbptt_with_a_window_of_all_steps_is_bptt(window):
    model = ToyFixedPoint(8, 6, 3, spectral_norm=0.9, seed=5)
    images, labels = toy_batch(4, 8, 3, 5)
    expected = bptt_gradients(model, images, labels, 6)
    tbptt_loss_and_backward(model, images, labels, StepContext(n_steps=6), window=window)
    assert relative_error(gradients(model), expected) < 1e-12


@pytest.mark.parametrize("window", [1, 3])
def test_tbptt_flows_through_the_last_window_steps_only(window):
    model = ToyFixedPoint(8, 6, 3, spectral_norm=0.9, seed=6)
    images, labels = toy_batch(4, 8, 3, 6)
    truncated = bptt_gradients(model, images, labels, 6, cut_before=6 - window)
    full = bptt_gradients(model, images, labels, 6)
    tbptt_loss_and_backward(model, images, labels, StepContext(n_steps=6), window=window)
    actual = gradients(model)
    assert relative_error(actual, truncated) < 1e-12
    assert relative_error(actual, full) > 1e-3
