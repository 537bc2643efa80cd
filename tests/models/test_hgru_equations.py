"""One hGRU step against the paper's equations, recomputed here from the module's own parameters.

The reference below writes the equations of :mod:`chronoscore.models.hgru` with other
tools than the module (convolutions as unfold + matrix products, 1×1 convolutions as
einsums, batch norm and the nonlinearities written out), on parameters set to random
values so that a swapped or missing term changes the result.
"""

import math

import pytest
import torch
import torch.nn.functional as F

from chronoscore.models.fixed_point import RecurrentState
from chronoscore.models.hgru import hgru_seg
from chronoscore.models.registry import create_model

from .tiny_models import tiny_kwargs

# name -> (ζ, rectified inhibition, batch norm on gates, on horizontal inputs, separate kernels, η_t,
#          excitation written as the release κ(H1 + γC2) + ω(H1 · γC2))
VARIANTS = {
    "hgru": ("tanh", False, False, False, False, True, True),
    "hgru_bn": ("tanh", False, True, True, False, True, True),
    "hgru_relu": ("relu", True, True, True, True, True, True),
    "hgru_lesion_alpha_omega": ("tanh", False, False, False, False, True, True),
    "hgru_lesion_mu_kappa": ("tanh", False, False, False, False, True, True),
    "hgru_seg": ("softplus", True, False, True, True, False, False),
}
ZETA = {
    "tanh": lambda x: (torch.exp(2 * x) - 1) / (torch.exp(2 * x) + 1),
    "relu": lambda x: torch.where(x > 0, x, torch.zeros_like(x)),
    "softplus": lambda x: torch.log(1 + torch.exp(x)),
}


def sigmoid(x):
    return 1 / (1 + torch.exp(-x))


def convolve_same(maps, kernel):
    """Same-padded cross-correlation of maps (B, C, H, W) with kernel (O, C, k, k) via unfold."""
    batch, _, height, width = maps.shape
    columns = F.unfold(maps, kernel.shape[-1], padding=kernel.shape[-1] // 2)  # (B, C·k², H·W)
    return (kernel.reshape(kernel.shape[0], -1) @ columns).reshape(batch, -1, height, width)


def pointwise(maps, conv):
    out = torch.einsum("oc,bchw->bohw", conv.weight[:, :, 0, 0], maps)
    return out if conv.bias is None else out + conv.bias.view(1, -1, 1, 1)


def normalised(maps, norm, applied):
    """Batch norm in eval mode when ``applied`` (running statistics, or the batch's if it keeps none), else ``maps``."""
    if not applied:
        return maps
    if norm.running_mean is None:  # the batch's mean and biased variance per channel
        count = maps.shape[0] * maps.shape[2] * maps.shape[3]
        mean = maps.sum(dim=(0, 2, 3)) / count
        variance = ((maps - mean.view(1, -1, 1, 1)) ** 2).sum(dim=(0, 2, 3)) / count
    else:
        mean, variance = norm.running_mean, norm.running_var
    scale = norm.weight / torch.sqrt(variance + norm.eps)
    return (maps - mean.view(1, -1, 1, 1)) * scale.view(1, -1, 1, 1) + norm.bias.view(1, -1, 1, 1)


def channel(vector):
    return vector.view(1, -1, 1, 1)


def hand_step(cell, variant, drive, hidden, step):
    zeta_name, rectified, gate_norm, horizontal_norm, separate, has_eta, release_form = variant
    zeta = ZETA[zeta_name]
    w_inhibit = cell.inhibition_kernel
    w_excite = cell.excitation_kernel if separate else cell.inhibition_kernel
    alpha, mu, kappa, omega, gamma = (channel(getattr(cell, name)) for name in ("alpha", "mu", "kappa", "omega",
                                                                              "gamma"))
    g1 = sigmoid(normalised(pointwise(hidden, cell.gain_gate), cell.gain_norm, gate_norm))
    c1 = normalised(convolve_same(g1 * hidden, w_inhibit), cell.inhibition_norm, horizontal_norm)
    inhibition = (alpha * hidden + mu) * c1
    h1 = zeta(drive - (zeta(inhibition) if rectified else inhibition))
    g2 = sigmoid(normalised(pointwise(h1, cell.mix_gate), cell.mix_norm, gate_norm))
    c2 = normalised(convolve_same(h1, w_excite), cell.excitation_norm, horizontal_norm)
    if release_form:
        candidate = zeta(kappa * h1 + kappa * gamma * c2 + omega * gamma * h1 * c2)
    else:
        candidate = zeta(kappa * h1 + gamma * c2 + omega * h1 * c2)
    eta = cell.step_gain[min(step, cell.n_steps - 1)] if has_eta else 1.0
    updated = eta * (hidden * (1 - g2) + candidate * g2)
    return ZETA["softplus"](updated) if variant is VARIANTS["hgru_seg"] else updated  # C-RBP: softplus state


def randomised_model(name, seed=0):
    torch.manual_seed(seed)
    kwargs = tiny_kwargs("hgru")
    model = hgru_seg(**kwargs) if name == "hgru_seg" else create_model(name, **kwargs)
    model = model.double().eval()
    generator = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for parameter in model.cell.parameters():
            parameter.copy_(0.5 * parameter + 0.4 * torch.randn(parameter.shape, generator=generator,
                                                              dtype=parameter.dtype))
        for module in model.cell.modules():
            if isinstance(module, torch.nn.BatchNorm2d) and module.track_running_stats:
                module.running_mean.normal_(0, 0.3, generator=generator)
                module.running_var.uniform_(0.5, 2.0, generator=generator)
    return model


@pytest.mark.parametrize("name", list(VARIANTS))
@pytest.mark.parametrize("step", [1, 7])
def test_one_step_follows_the_equations(name, step):
    model = randomised_model(name)
    generator = torch.Generator().manual_seed(5)
    images = torch.randn(2, 3, 12, 12, generator=generator, dtype=torch.float64)
    with torch.no_grad():
        drive = model.drive(images)
        hidden = torch.rand(drive.shape, generator=generator, dtype=torch.float64)
        produced = model.step(drive, RecurrentState(hidden, step))
        expected = hand_step(model.cell, VARIANTS[name], drive, hidden, step)
    assert produced.step == step + 1
    assert produced.hidden.shape == hidden.shape
    # torch's softplus returns x above 20, where log(1 + eˣ) differs by < e⁻²⁰ ≈ 2e-9
    tolerance = 1e-8 if name == "hgru_seg" else 1e-10
    torch.testing.assert_close(produced.hidden, expected, rtol=tolerance, atol=tolerance)
    assert (produced.hidden - hidden).abs().max() > 1e-3  # the step does something


def test_the_reference_detects_a_swapped_term():
    """The comparison can fail: exchanging κ and ω in the reference changes the result."""
    model = randomised_model("hgru")
    images = torch.randn(1, 3, 10, 10, dtype=torch.float64)
    with torch.no_grad():
        drive = model.drive(images)
        hidden = torch.rand(drive.shape, dtype=torch.float64)
        produced = model.step(drive, RecurrentState(hidden, 0)).hidden
        paper_form = hand_step(model.cell, VARIANTS["hgru"][:-1] + (False,), drive, hidden, 0)
        model.cell.kappa, model.cell.omega = model.cell.omega, model.cell.kappa
        swapped = hand_step(model.cell, VARIANTS["hgru"], drive, hidden, 0)
    assert not torch.allclose(produced, swapped, rtol=1e-6, atol=1e-6)
    assert not torch.allclose(produced, paper_form, rtol=1e-6, atol=1e-6)


def test_chronos_gate_biases_lie_in_the_log_range_with_the_release_s_signs():
    torch.manual_seed(0)
    cell = create_model("hgru").cell  # T = 8: u ~ U(1, 7); release: b1 = b2 = −log u
    gain, mix = cell.gain_gate.bias.detach(), cell.mix_gate.bias.detach()
    assert gain.max() <= 0 and gain.min() >= -math.log(7)
    assert gain.std() > 0.1  # drawn, not constant
    torch.testing.assert_close(mix, gain)
    port = create_model("hgru", initialisation="pytorch_port").cell  # b1 = +log u, b2 = −log u
    assert port.gain_gate.bias.min() >= 0 and port.gain_gate.bias.max() <= math.log(7)
    torch.testing.assert_close(port.mix_gate.bias.detach(), -port.gain_gate.bias.detach())
    normalized = create_model("hgru_bn").cell  # the norms' shifts take the biases' place
    assert normalized.gain_gate.bias is None and normalized.gain_norm.bias.min() >= -math.log(7)
    torch.testing.assert_close(normalized.mix_norm.bias.detach(), normalized.gain_norm.bias.detach())
