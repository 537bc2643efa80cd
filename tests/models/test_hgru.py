"""hGRU family: channel-symmetric kernels under training, lesions, the fixed-point interface,
the segmentation variant, the feedforward control and parameter counts."""

import copy

import pytest
import torch

from chronoscore.errors import ConfigError, DataFormatError
from chronoscore.models.base import TimeResolvedModel
from chronoscore.models.fixed_point import FixedPointModel, RecurrentState
from chronoscore.models.hgru import hgru_seg
from chronoscore.models.parameter_count import count_model_parameters, count_parameters
from chronoscore.models.registry import create_model

from .tiny_models import tiny_kwargs, tiny_model

TINY = tiny_kwargs("hgru")  # 5 channels, 5×5 kernels, 3 steps, 32 px, 10 classes
REGISTERED = ["hgru", "hgru_bn", "hgru_relu", "hgru_lesion_alpha_omega", "hgru_lesion_mu_kappa"]


def images(batch=2, size=16, seed=1):
    return torch.randn(batch, 3, size, size, generator=torch.Generator().manual_seed(seed))


def tiny_seg(seed=0, **overrides):
    torch.manual_seed(seed)
    return hgru_seg(**{**TINY, "n_classes": 2, **overrides}).eval()


def is_channel_symmetric(kernel):
    return torch.equal(kernel, kernel.transpose(0, 1))


def asymmetric_loss(model, batch):
    """Cross-entropy on images with a left-right gradient: its gradient on W is not symmetric."""
    ramp = torch.linspace(-2, 2, batch.shape[-1]).expand_as(batch)
    return torch.nn.functional.cross_entropy(model(batch + ramp), torch.tensor([1, 3]))


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("name", ["hgru", "hgru_relu"])
def test_horizontal_kernels_stay_symmetric_under_training_also_in_a_copy(name, optimizer):
    model = copy.deepcopy(tiny_model(name).train())  # copying drops hooks on parameters, not ours
    kernels = [kernel for kernel in (model.cell.inhibition_kernel, model.cell.excitation_kernel) if kernel is not None]
    before = [kernel.detach().clone() for kernel in kernels]
    assert all(is_channel_symmetric(kernel) for kernel in kernels)
    step = (torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.9, weight_decay=1e-3) if optimizer == "sgd"
            else torch.optim.Adam(model.parameters(), lr=0.05, weight_decay=1e-3))
    for seed in range(3):
        step.zero_grad()
        asymmetric_loss(model, images(seed=seed)).backward()
        step.step()
    for kernel, start in zip(kernels, before, strict=True):
        assert (kernel.detach() - start).abs().max() > 1e-4  # the kernel was trained
        assert is_channel_symmetric(kernel.detach())


def test_without_symmetrisation_the_same_loss_would_break_the_symmetry():
    model = tiny_model("hgru").train()
    model.cell.symmetric_kernels = False  # the raw gradient, no hook
    asymmetric_loss(model, images()).backward()
    gradient = model.cell.inhibition_kernel.grad
    assert (gradient - gradient.transpose(0, 1)).abs().max() > 1e-3 * gradient.abs().max()


@pytest.mark.parametrize("name, lesioned", [("hgru_lesion_alpha_omega", ("alpha", "omega")),
                                            ("hgru_lesion_mu_kappa", ("mu", "kappa"))])
def test_lesioned_parameters_stay_zero_and_untrainable(name, lesioned):
    model = tiny_model(name).train()
    trainable = {key for key, _ in model.named_parameters()}
    kept = {"alpha", "mu", "kappa", "omega", "gamma"} - set(lesioned)
    assert {f"cell.{parameter}" for parameter in kept} <= trainable
    assert not {f"cell.{parameter}" for parameter in lesioned} & trainable
    kept_before = {parameter: getattr(model.cell, parameter).detach().clone() for parameter in kept}
    for optimizer in (torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.9, weight_decay=0.1),
                      torch.optim.Adam(model.parameters(), lr=0.1)):
        for seed in range(2):
            optimizer.zero_grad()
            asymmetric_loss(model, images(seed=seed)).backward()
            optimizer.step()
    for parameter in lesioned:
        value = getattr(model.cell, parameter)
        assert not value.requires_grad and torch.equal(value, torch.zeros_like(value))
        assert f"cell.{parameter}" in model.state_dict()  # saved with the weights
    assert all((getattr(model.cell, key) - start).abs().max() > 1e-4 for key, start in kept_before.items())


def test_a_lesion_computes_the_hgru_with_those_parameters_at_zero():
    lesioned = tiny_model("hgru_lesion_alpha_omega", seed=2)
    intact = tiny_model("hgru", seed=2)
    state = {key: value for key, value in lesioned.state_dict().items()}
    intact.load_state_dict(state)  # alpha, omega (zeros) are buffers there, parameters here
    with torch.no_grad():
        torch.testing.assert_close(lesioned(images()), intact(images()))
        intact.cell.alpha.fill_(0.3)
        assert not torch.allclose(lesioned(images()), intact(images()))


@pytest.mark.parametrize("build", [lambda: tiny_model("hgru"), lambda: tiny_model("hgru_bn"), tiny_seg],
                         ids=["hgru", "hgru_bn", "hgru_seg"])
@pytest.mark.parametrize("n_steps", [1, 5])
def test_forward_is_readout_after_n_steps_of_step_from_init_state(build, n_steps):
    model = build()
    assert isinstance(model, FixedPointModel) and isinstance(model, TimeResolvedModel)
    batch = images()
    with torch.no_grad():
        drive = model.drive(batch)
        state = model.init_state(drive)
        assert state.step == 0 and torch.equal(state.hidden, model.init_state(drive).hidden)  # repeats in eval
        for _ in range(n_steps):
            state = model.step(drive, state)
        assert state.step == n_steps
        torch.testing.assert_close(model(batch, n_steps=n_steps), model.readout(state), rtol=0, atol=0)
        recorded = model.forward_timesteps(batch, n_steps=n_steps)
    torch.testing.assert_close(recorded["hgru"][-1], state.hidden, rtol=0, atol=0)
    assert torch.equal(recorded["drive"], drive.expand(n_steps, *drive.shape))


def test_the_step_is_one_map_from_the_last_trained_step_on():
    model = tiny_model("hgru")  # T = 3
    with torch.no_grad():
        model.cell.step_gain.copy_(torch.tensor([0.5, 0.8, 1.1]))
        drive = model.drive(images())
        hidden = torch.rand(drive.shape)
        after = {step: model.step(drive, RecurrentState(hidden, step)).hidden for step in (0, 1, 2, 3, 10)}
    assert not torch.allclose(after[0], after[1])
    assert torch.equal(after[2], after[3]) and torch.equal(after[2], after[10])
    seg = tiny_seg()
    with torch.no_grad():
        assert torch.equal(seg.step(drive, RecurrentState(hidden, 0)).hidden,
                           seg.step(drive, RecurrentState(hidden, 6)).hidden)


def test_rbp_can_take_vector_jacobian_products_of_the_step():
    model = tiny_seg().train()
    drive = model.drive(images())
    hidden = torch.rand(drive.shape, requires_grad=True)
    new = model.step(drive, RecurrentState(hidden, 8)).hidden
    vector = torch.randn(new.shape)
    (product,) = torch.autograd.grad(new, hidden, vector, retain_graph=True)
    assert product.shape == hidden.shape and torch.isfinite(product).all() and product.abs().sum() > 0
    kernel_gradient = torch.autograd.grad(new, model.cell.excitation_kernel, vector)[0]
    assert kernel_gradient.abs().sum() > 0


def test_hgru_seg_scores_every_pixel_and_records_every_step():
    model = tiny_seg()
    batch = images(size=20)
    logits = model(batch)
    assert logits.shape == (2, 2, 20, 20) and torch.isfinite(logits).all()
    torch.nn.functional.cross_entropy(logits, torch.randint(0, 2, (2, 20, 20))).backward()
    assert model.gabor.weight.grad.abs().sum() > 0
    with torch.no_grad():
        recorded = model.forward_timesteps(batch)
    assert {area: tuple(value.shape) for area, value in recorded.items()} == {
        "drive": (3, 2, 5, 20, 20), "hgru": (3, 2, 5, 20, 20)}
    assert (recorded["hgru"] >= 0).all()  # softplus stages and a convex update keep H2 non-negative
    assert torch.equal(tiny_seg(seed=4)(batch), tiny_seg(seed=4)(batch))


def test_the_large_kernel_control_runs_once_and_keeps_the_image_size():
    model = tiny_model("ff_large_kernels")
    with torch.no_grad():
        recorded = model.forward_timesteps(images(size=32))
    assert list(recorded) == ["drive", "conv1", "conv2", "conv3", "conv4", "conv5"]
    assert tuple(recorded["drive"].shape) == (1, 2, 5, 32, 32)
    assert all(tuple(recorded[f"conv{index}"].shape) == (1, 2, 3, 32, 32) for index in range(1, 6))
    with pytest.raises(ConfigError, match="one step"):
        model(images(), n_steps=2)


def test_a_variant_s_settings_are_defaults_that_can_be_overridden():
    plain = create_model("hgru_relu", **TINY, normalization="none")
    assert plain.cell.normalization == "none" and plain.cell.nonlinearity == "relu"
    assert plain.cell.excitation_kernel is not None and isinstance(plain.cell.gain_norm, torch.nn.Identity)


@pytest.mark.parametrize("name", ["hgru", "ff_large_kernels"])
def test_the_readout_without_pooled_norm_is_max_pooled_maps_through_a_linear_layer(name):
    torch.manual_seed(0)
    model = create_model(name, **tiny_kwargs(name), readout_pooled_norm=False).eval()
    head = model.head
    assert not any(isinstance(module, torch.nn.BatchNorm1d) for module in model.modules())
    assert head.project.bias is not None  # the bias the pooled batch norm would have removed
    maps = torch.randn(3, head.norm.num_features, 8, 8)
    with torch.no_grad():
        head.norm.running_mean.uniform_(-1, 1)
        normalised = (maps - head.norm.running_mean[:, None, None]) / torch.sqrt(
            head.norm.running_var[:, None, None] + head.norm.eps)
        pooled = torch.einsum("mc,bchw->bmhw", head.project.weight[:, :, 0, 0], normalised).amax(dim=(2, 3))
        expected = (pooled + head.project.bias) @ head.classifier.weight.T + head.classifier.bias
        torch.testing.assert_close(head(maps), expected, rtol=1e-5, atol=1e-5)
    with_norm = create_model(name, **tiny_kwargs(name))
    assert count_parameters(with_norm) - count_parameters(model) == 2 * 2 - 2  # BN(2) out, a bias of 2 in


def test_bad_settings_and_inputs_raise_clear_errors():
    with pytest.raises(ConfigError, match="image-level readout only"):
        create_model("hgru_seg", readout_pooled_norm=False)
    with pytest.raises(ConfigError, match="pooled_norm must be true or false"):
        create_model("hgru", readout_pooled_norm="no")
    with pytest.raises(ConfigError, match="cannot lesion"):
        create_model("hgru", lesions=("beta",))
    with pytest.raises(ConfigError, match="nonlinearity"):
        create_model("hgru", nonlinearity="sigmoid")
    with pytest.raises(ConfigError, match="odd"):
        create_model("hgru", kernel_size=4)
    with pytest.raises(ConfigError, match="n_steps"):
        create_model("hgru", n_steps=0)
    with pytest.raises(DataFormatError, match="B, 3, H, W"):
        tiny_model("hgru")(torch.randn(2, 16, 16))


# ---- parameter counts ----------------------------------------------------------------------

def hgru_parameters(channels=25, kernel=15, steps=8, n_classes=2, gabor=7, *, kernels=1, gate_norm=False,
                    horizontal_norm=False, lesions=0, eta=True, readout="classify"):
    drive = channels * gabor * gabor + channels  # the Gabor bank and its biases
    gates = 2 * channels * channels + (0 if gate_norm else 2 * channels)
    horizontal = kernels * channels * channels * kernel * kernel
    per_channel = (5 - lesions) * channels
    norms = (4 if gate_norm else 2 if horizontal_norm else 0) * 2 * channels
    if readout == "classify":  # BN(C), 1×1 conv C→2 without bias, BN(2), linear 2→n
        head = 2 * channels + 2 * channels + 2 * 2 + 2 * n_classes + n_classes
    else:  # BN(C), 1×1 conv C→n with bias
        head = 2 * channels + channels * n_classes + n_classes
    return drive + gates + horizontal + per_channel + (steps if eta else 0) + norms + head


def large_kernel_parameters(filters=9, kernel=20, layers=5, n_classes=2, channels=25, gabor=7):
    convs = kernel * kernel * (channels * filters + (layers - 1) * filters * filters)
    head = 2 * filters + 2 * filters + 2 * 2 + 2 * n_classes + n_classes
    return channels * gabor * gabor + channels + convs + layers * 2 * filters + head


# Parameters at the defaults (25 channels, 15×15 kernels, 8 steps, 2 classes), written out.
DEFAULT_COUNTS = {
    "hgru": hgru_parameters(),  # 143,418, the release's count
    "hgru_bn": hgru_parameters(gate_norm=True),
    "hgru_relu": hgru_parameters(gate_norm=True, kernels=2),
    "hgru_lesion_alpha_omega": hgru_parameters(lesions=2),
    "hgru_lesion_mu_kappa": hgru_parameters(lesions=2),
    "ff_large_kernels": large_kernel_parameters(),  # 220,986
}


def test_the_hgru_count_is_the_closed_form_formula():
    assert hgru_parameters() == 1225 + 25 + 1300 + 140625 + 125 + 8 + 50 + 50 + 4 + 6 == 143418
    assert count_model_parameters("hgru") == 143418
    assert count_parameters(tiny_model("hgru")) == hgru_parameters(5, 5, 3, 10)


@pytest.mark.parametrize("name", list(DEFAULT_COUNTS))
def test_every_registered_model_has_its_closed_form_count(name):
    assert count_model_parameters(name) == DEFAULT_COUNTS[name]


def test_hgru_seg_count_and_the_paper_s_ordering():
    with torch.device("meta"):
        seg = count_parameters(hgru_seg())
    assert seg == hgru_parameters(kernels=2, horizontal_norm=True, eta=False, readout="segment")
    assert DEFAULT_COUNTS["hgru"] < DEFAULT_COUNTS["ff_large_kernels"]  # fewer than its feedforward control
