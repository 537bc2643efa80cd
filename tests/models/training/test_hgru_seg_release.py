"""C-RBP's segmentation hGRU as released: softplus state, batch statistics at evaluation, 6 steps, focal loss."""

import numpy as np
import pytest
import torch

from chronoscore.errors import ConfigError
from chronoscore.models.hgru import hgru_seg
from chronoscore.models.training.algorithms import StepContext, bptt_loss_and_backward, build_algorithm, focal_loss
from chronoscore.models.training.recipe import AlgorithmOptions


def numpy_focal(logits, targets, gamma):
    """Mean over images (and pixels) of −(1 − p_t)^γ log p_t, p_t the softmax probability of the target."""
    moved = np.moveaxis(logits, 1, -1).reshape(-1, logits.shape[1])
    flat_targets = targets.reshape(-1)
    shifted = moved - moved.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    log_pt = log_p[np.arange(len(flat_targets)), flat_targets]
    return float(np.mean(-((1 - np.exp(log_pt)) ** gamma) * log_pt))


@pytest.mark.parametrize("shape", [(5, 2), (3, 4), (2, 2, 3, 5)])
@pytest.mark.parametrize("gamma", [0.0, 2.0])
def test_focal_loss_matches_numpy(shape, gamma):
    rng = np.random.default_rng(sum(shape))
    logits = rng.normal(size=shape) * 2
    targets = rng.integers(0, shape[1], size=(shape[0], *shape[2:]))
    value = focal_loss(torch.from_numpy(logits), torch.from_numpy(targets), gamma=gamma)
    assert value.item() == pytest.approx(numpy_focal(logits, targets, gamma), rel=1e-6)


def test_the_focal_weight_is_a_constant_for_the_gradient():
    logits = torch.tensor([[1.0, -0.5]], dtype=torch.float64, requires_grad=True)
    focal_loss(logits, torch.tensor([0]), gamma=2.0).backward()
    p = torch.softmax(logits.detach(), dim=1)
    weight = (1 - p[0, 0]) ** 2
    expected = weight * (p - torch.tensor([[1.0, 0.0]], dtype=torch.float64))  # weight × cross-entropy's gradient
    torch.testing.assert_close(logits.grad, expected)


def test_a_recipe_can_train_with_the_focal_loss():
    torch.manual_seed(0)
    model = hgru_seg(n_orientations=2, kernel_size=5)
    images = torch.rand(2, 1, 10, 10)
    targets = torch.randint(0, 2, (2, 10, 10))
    algorithm = build_algorithm("bptt", AlgorithmOptions(loss="focal", focal_gamma=2.0))
    outcome = algorithm.loss_and_backward(model, images, targets, StepContext())
    model.zero_grad()
    plain = bptt_loss_and_backward(model, images, targets, StepContext(loss_function=focal_loss))
    assert outcome.loss.item() == pytest.approx(plain.loss.item(), rel=1e-6)
    cross_entropy = bptt_loss_and_backward(model, images, targets, StepContext())
    assert outcome.loss.item() < cross_entropy.loss.item()
    with pytest.raises(ConfigError, match="algorithm_options.loss"):
        AlgorithmOptions(loss="hinge")


def test_hgru_seg_runs_six_steps_with_a_softplus_state_and_batch_statistics_at_evaluation():
    torch.manual_seed(0)
    model = hgru_seg(n_orientations=2, kernel_size=5).eval()
    assert model.default_steps == 6
    norms = [module for module in model.modules() if isinstance(module, torch.nn.BatchNorm2d)]
    assert len(norms) == 3 and all(not norm.track_running_stats for norm in norms)
    images = torch.rand(4, 1, 12, 12, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        states = model.forward_timesteps(images)["hgru"]
        together = model(images)
        alone = model(images[:1])
    assert states.shape[0] == 6 and (states > 0).all()  # the softplus itself: test_hgru_equations
    assert not torch.allclose(together[:1], alone, atol=1e-4)  # the batch's statistics, also in eval
