"""The hGRU's initial values and state as released, and T steps against numpy written out here."""

import math

import numpy as np
import pytest
import torch

from chronoscore.models.fixed_point import RecurrentState
from chronoscore.models.registry import create_model


def build(seed=0, **kwargs):
    torch.manual_seed(seed)
    return create_model("hgru", **{"n_orientations": 2, "kernel_size": 5, "n_steps": 4, **kwargs})


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("orientations", [2, 12])
def test_release_values_are_drawn_around_zero_with_xavier_bounds(seed, orientations):
    cell = build(seed, n_orientations=orientations).cell
    channels = 2 * orientations + 1
    bound = math.sqrt(6 / (1 + channels))  # a (1, 1, 1, C) tensor: fan_in 1, fan_out C
    for name in ("alpha", "mu", "kappa", "omega", "gamma"):
        values = getattr(cell, name).detach().numpy()
        assert np.abs(values).max() <= bound and values.min() < 0 < values.max()
    eta = cell.step_gain.detach().numpy()
    assert eta.shape == (4,) and eta.min() >= 0 and eta.max() < 1 and eta.std() > 0
    kernel = cell.inhibition_kernel.detach().numpy()
    kernel_bound = math.sqrt(6 / (2 * channels * 25))  # Xavier-uniform of (k, k, C, C)
    assert np.abs(kernel).max() <= kernel_bound and np.abs(kernel).max() > 0.6 * kernel_bound
    np.testing.assert_array_equal(kernel, kernel.transpose(1, 0, 2, 3))
    gate = cell.gain_gate.weight.detach().numpy()
    assert np.abs(gate).max() <= math.sqrt(3 / channels)


def test_the_pytorch_port_option_keeps_the_earlier_values():
    cell = build(initialisation="pytorch_port").cell
    expected = {"alpha": 0.1, "mu": 1.0, "kappa": 0.5, "omega": 0.5, "gamma": 1.0}
    for name, value in expected.items():
        assert torch.equal(getattr(cell, name).detach(), torch.full((5,), value))
    assert torch.equal(cell.step_gain.detach(), torch.ones(4))
    weight = cell.gain_gate.weight.detach()[:, :, 0, 0]
    torch.testing.assert_close(weight @ weight.T, torch.eye(5))  # orthogonal


def test_the_initial_state_is_small_uniform_noise_fresh_in_training_repeated_in_evaluation():
    model = build()
    drive = torch.zeros(3, 5, 8, 6)
    bound = math.sqrt(6 / (3 * 8 * (6 + 5)))  # Xavier-uniform of the (B, H, W, C) state
    model.train()
    first, second = model.init_state(drive).hidden, model.init_state(drive).hidden
    assert first.abs().max() <= bound and first.abs().max() > 0.8 * bound and not torch.equal(first, second)
    model.eval()
    assert torch.equal(model.init_state(drive).hidden, model.init_state(drive).hidden)
    assert torch.equal(build(initial_state="zeros").init_state(drive).hidden, torch.zeros_like(drive))


def numpy_same_conv(maps, kernel):
    """Same-padded cross-correlation: maps (B, C, H, W), kernel (O, C, k, k)."""
    half = kernel.shape[-1] // 2
    padded = np.pad(maps, ((0, 0), (0, 0), (half, half), (half, half)))
    height, width = maps.shape[2:]
    out = np.zeros((maps.shape[0], kernel.shape[0], height, width))
    for dy in range(kernel.shape[2]):
        for dx in range(kernel.shape[3]):
            out += np.einsum("oc,bchw->bohw", kernel[:, :, dy, dx], padded[:, :, dy:dy + height, dx:dx + width])
    return out


def numpy_hgru(params, drive, hidden, steps):
    """The release's hGRU (tanh, one kernel W, η_t) for ``steps`` steps, in numpy float64."""
    def per_channel(name):
        return params[name].reshape(1, -1, 1, 1)

    def gate(maps, name):
        weight, bias = params[name + ".weight"][:, :, 0, 0], params[name + ".bias"]
        return 1 / (1 + np.exp(-(np.einsum("oc,bchw->bohw", weight, maps) + bias.reshape(1, -1, 1, 1))))

    kernel = params["inhibition_kernel"]
    alpha, mu, kappa, omega, gamma = (per_channel(name) for name in ("alpha", "mu", "kappa", "omega", "gamma"))
    for step in range(steps):
        g1 = gate(hidden, "gain_gate")
        c1 = numpy_same_conv(hidden * g1, kernel)
        h1 = np.tanh(drive - (alpha * hidden + mu) * c1)
        g2 = gate(h1, "mix_gate")
        e = gamma * numpy_same_conv(h1, kernel)
        h2_hat = np.tanh(kappa * (h1 + e) + omega * (h1 * e))
        # the release: g2' ⊙ H2 + (1 − g2') ⊙ Ĥ2 with g2' = 1 − g2
        hidden = params["step_gain"][step] * ((1 - g2) * hidden + g2 * h2_hat)
    return hidden


@pytest.mark.parametrize("seed", [0, 3])
@pytest.mark.parametrize("name", ["hgru", "hgru_lesion_mu_kappa", "hgru_lesion_alpha_omega"])
def test_t_steps_match_numpy(seed, name):
    torch.manual_seed(seed)
    model = create_model(name, n_orientations=2, kernel_size=5, n_steps=4).double().eval()
    params = {key: value.detach().numpy() for key, value in model.cell.state_dict().items()}
    rng = np.random.default_rng(seed)
    drive = rng.uniform(0, 2, size=(2, 5, 7, 9))
    start = rng.uniform(-0.1, 0.1, size=drive.shape)
    state = RecurrentState(torch.from_numpy(start), 0)
    with torch.no_grad():
        for _ in range(4):
            state = model.step(torch.from_numpy(drive), state)
    np.testing.assert_allclose(state.hidden.numpy(), numpy_hgru(params, drive, start, 4), rtol=1e-9, atol=1e-12)


def test_the_mu_kappa_lesion_removes_the_whole_additive_term():
    """With κ = μ = 0 and α = ω = 0 nothing excites H2: the release's γC2 goes with κ;
    the paper form keeps it."""
    torch.manual_seed(0)
    release = create_model("hgru_lesion_mu_kappa", n_orientations=2, kernel_size=5, n_steps=4).double().eval()
    paper = create_model("hgru_lesion_mu_kappa", n_orientations=2, kernel_size=5, n_steps=4,
                         excitation="paper").double().eval()
    paper.load_state_dict(release.state_dict())
    drive = torch.rand(2, 5, 7, 7, dtype=torch.float64)
    hidden = torch.rand(2, 5, 7, 7, dtype=torch.float64)
    with torch.no_grad():
        for model in (release, paper):
            model.cell.omega.zero_()
            model.cell.alpha.zero_()
            model.cell.step_gain.fill_(1.0)
        mix = torch.sigmoid(release.cell.mix_gate(torch.tanh(drive)))  # C1 is scaled by μ = 0: H1 = tanh(X)
        kept = release.step(drive, RecurrentState(hidden, 0)).hidden
        torch.testing.assert_close(kept, (1 - mix) * hidden, rtol=1e-12, atol=1e-12)
        assert not torch.allclose(paper.step(drive, RecurrentState(hidden, 0)).hidden, kept, atol=1e-6)
