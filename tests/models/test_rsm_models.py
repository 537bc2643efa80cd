"""The ``rsm`` and ``convrsm`` models: inputs, sparsity over time, no gradient across steps, parameter counts."""

import pytest
import torch
from torch.func import functional_call
from torch.nn import functional

from chronoscore.errors import ConfigError, DataFormatError
from chronoscore.models.parameter_count import count_model_parameters, count_parameters
from chronoscore.models.rsm import RSM
from chronoscore.models.rsm_conv import ConvRSM
from chronoscore.models.rsm_training import train_rsm_on_sequences

from .tiny_models import tiny_kwargs, tiny_model


def randn(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


def active_cells(memory, groups, cells):
    """memory (..., G·C[, h, w]) -> bool (..., G, C[, h, w]) of the cells with non-zero output."""
    return memory.unflatten(2, (groups, cells)) != 0


def test_rsm_defaults_are_the_embedded_reber_settings():
    model = RSM()
    layer = model.layer
    assert (layer.groups, layer.cells, layer.k, layer.gamma, layer.epsilon) == (200, 6, 25, 0.98, 0.0)
    assert model.n_inputs == 7 and model.n_classes == 7
    assert [type(part).__name__ for part in model.classifier] == ["SumNormalised", "Linear", "Linear"]
    assert model.classifier[1].out_features == 500
    assert model.areas == ("memory", "prediction")


def test_convrsm_defaults_are_the_bouncing_balls_settings():
    model = ConvRSM()
    settings = [(layer.groups, layer.cells, layer.k, layer.gamma, layer.epsilon, layer.feedforward.kernel_size[0],
                 layer.stride) for layer in model.layers]
    assert settings == [(64, 8, 3, 0.0, 0.0, 5, 2), (128, 8, 5, 0.0, 0.0, 3, 2)]
    assert [pool.kernel_size for pool in model.pools] == [2]
    assert model.input_size == 34


def test_rsm_keeps_k_groups_and_one_cell_per_group_active_at_every_step():
    groups, cells, k = 12, 4, 3
    model = RSM(n_inputs=6, groups=groups, cells=cells, k=k, gamma=0.98, classifier_hidden=8)
    with torch.no_grad():
        memory = model.forward_timesteps(randn(40, 5, 6))["memory"]
    active = active_cells(memory, groups, cells)
    assert torch.all(active.sum(dim=3) <= 1)
    assert torch.all(active.any(dim=3).sum(dim=2) == k)


def test_convrsm_keeps_k_groups_and_one_cell_per_group_active_at_every_position_and_step():
    model = tiny_model("convrsm")
    with torch.no_grad():
        outputs = model.forward_timesteps(randn(12, 2, 3, 16, 16))
    for index, layer in enumerate(model.layers, start=1):
        driven = outputs[f"memory{index}"][index - 1:]  # layer l first gets input at step l − 1; before, z = 0
        active = active_cells(driven, layer.groups, layer.cells)  # (T, B, G, C, h, w)
        assert torch.all(active.sum(dim=3) <= 1)
        assert torch.all(active.any(dim=3).sum(dim=2) == layer.k)


def test_no_gradient_reaches_an_earlier_step():
    model = RSM(n_inputs=5, groups=6, cells=3, k=2, gamma=0.5, epsilon=0.5, classifier_hidden=4).double()
    with torch.no_grad():  # a strong recurrence, so that step 1 clearly depends on step 0
        model.layer.recurrent.weight.normal_(0.0, 3.0, generator=torch.Generator().manual_seed(1))
    before = {name: parameter.detach().clone().requires_grad_() for name, parameter in model.layer.named_parameters()}
    now = {name: parameter.detach().clone().requires_grad_() for name, parameter in model.layer.named_parameters()}
    inputs = randn(3, 4, 5).double()
    first, second = inputs[0].clone().requires_grad_(), inputs[1].clone().requires_grad_()
    state = model.initial_state(first)
    output, state = functional_call(model.layer, before, (first, state))
    output, _ = functional_call(model.layer, now, (second, state))
    loss = model.local_loss(output.prediction, inputs[2])
    earlier = torch.autograd.grad(loss, [first, *before.values()], allow_unused=True)
    assert all(grad is None or torch.all(grad == 0) for grad in earlier)
    current = torch.autograd.grad(loss, [second, *now.values()])
    assert all(grad.abs().sum() > 0 for grad in current)
    with torch.no_grad():  # ... although step 1's values do depend on step 0
        other_state = model.initial_state(first)
        _, other_state = model.layer(first + 1.0, other_state)
        other, _ = model.layer(second, other_state)
    assert not torch.allclose(other.memory, output.memory)


def test_no_gradient_reaches_an_earlier_step_of_the_conv_stack():
    model = tiny_model("convrsm")
    frames = randn(3, 2, 3, 16, 16)
    first, second = frames[0].clone().requires_grad_(), frames[1].clone().requires_grad_()
    state = model.initial_state(first)
    _, state = model.step(first, state)
    outputs, _ = model.step(second, state)
    loss = model.step_loss(outputs, frames[2])
    grad_first, grad_second = torch.autograd.grad(loss, [first, second], allow_unused=True)
    assert grad_first is None or torch.all(grad_first == 0)
    assert grad_second.abs().sum() > 0


def test_convrsm_upper_layer_reads_the_previous_steps_pooled_memory_and_predicts_the_current_one():
    model = tiny_model("convrsm")
    frames = randn(3, 2, 3, 16, 16)
    changed = frames.clone()
    changed[1] += 1.0
    with torch.no_grad():
        original, altered = model.forward_timesteps(frames), model.forward_timesteps(changed)
    assert torch.equal(original["memory2"][1], altered["memory2"][1])  # frame 1 reaches layer 2 at step 2
    assert not torch.equal(original["memory2"][2], altered["memory2"][2])
    outputs = {area: activity[1] for area, activity in original.items()}
    pooled = functional.max_pool2d(outputs["memory1"], 2, 2, ceil_mode=True)
    expected = ((outputs["prediction1"] - frames[2]) ** 2).mean() + ((outputs["prediction2"] - pooled) ** 2).mean()
    torch.testing.assert_close(model.step_loss(outputs, frames[2]), expected)


def test_the_classifier_reads_a_detached_memory():
    model = tiny_model("rsm")
    model(torch.randn(2, 3, 4, 4)).sum().backward()
    assert all(parameter.grad is None for parameter in model.layer.parameters())
    assert all(parameter.grad is not None for parameter in model.classifier.parameters())


@pytest.mark.parametrize("name", ["rsm", "convrsm"])
def test_a_still_image_is_shown_at_every_step(name):
    model = tiny_model(name)
    images = randn(2, 3, tiny_kwargs(name)["input_size"], tiny_kwargs(name)["input_size"], seed=2)
    with torch.no_grad():
        still = model.forward_timesteps(images, n_steps=4)
        repeated = model.forward_timesteps(torch.stack([images] * 4))
    for area in model.areas:
        assert still[area].shape[:2] == (4, 2)
        torch.testing.assert_close(still[area], repeated[area], rtol=0, atol=0)
    if name == "rsm":
        with torch.no_grad():
            vectors = model.forward_timesteps(torch.stack([images.flatten(1)] * 4))
        torch.testing.assert_close(vectors["memory"], still["memory"], rtol=0, atol=0)


def test_rsm_decoder_predicts_from_each_groups_strongest_cell():
    model = RSM(n_inputs=5, groups=4, cells=3, k=2, classifier_hidden=4)
    with torch.no_grad():
        outputs = model.forward_timesteps(randn(6, 3, 5))
    strongest = outputs["memory"].unflatten(2, (4, 3)).amax(dim=3)
    expected = strongest @ model.layer.decoder.weight.T + model.layer.decoder.bias
    torch.testing.assert_close(outputs["prediction"], expected)


@pytest.mark.parametrize("name, inputs, error", [
    ("rsm", torch.zeros(3, 2, 5), DataFormatError),  # 5 values per step, the model reads 48
    ("rsm", torch.zeros(2, 3, 5, 5), DataFormatError),  # 75 values per image
    ("rsm", torch.zeros(3, 2, 48, dtype=torch.long), DataFormatError),
    ("rsm", torch.zeros(2, 2, 2, 3, 4, 4), DataFormatError),
    ("convrsm", torch.zeros(2, 1, 16, 16), DataFormatError),
    ("convrsm", torch.zeros(4, 2, 3, 16, 16), ConfigError),  # a 4-step sequence with n_steps=3
])
def test_malformed_inputs_raise(name, inputs, error):
    model = tiny_model(name)
    with pytest.raises(error):
        model.forward_timesteps(inputs, n_steps=3)


@pytest.mark.parametrize("options", [{"input_size": 4, "n_inputs": 7}, {"n_steps": 0},
                                     {"classifier_hidden": 0}, {"k": 9, "groups": 8}])
def test_rsm_settings_are_checked(options):
    with pytest.raises(ConfigError):
        RSM(**options)


def test_convrsm_needs_one_value_per_layer():
    with pytest.raises(ConfigError):
        ConvRSM(groups=(4, 4, 4), cells=(2, 2), k=(1, 1))
    with pytest.raises(ConfigError):
        ConvRSM(pools=(2, 2))


def rsm_parameters(n_inputs, groups, cells, hidden, n_classes):
    layer = groups * n_inputs + (groups * cells) ** 2 + groups * n_inputs + n_inputs
    return layer + groups * cells * hidden + hidden + hidden * n_classes + n_classes


def convrsm_parameters(in_channels, groups, cells, fields, hidden, n_classes):
    total, below = 0, in_channels
    for g, c, f in zip(groups, cells, fields, strict=True):
        total += g * below * f * f + (g * c) ** 2 + below * g * f * f + below
        below = g * c
    return total + below * hidden + hidden + hidden * n_classes + n_classes


def test_parameter_counts_follow_the_closed_form():
    assert count_model_parameters("rsm") == rsm_parameters(7, 200, 6, 500, 7)
    assert count_parameters(tiny_model("rsm")) == rsm_parameters(48, 8, 3, 16, 10)
    assert count_model_parameters("convrsm") == convrsm_parameters(3, (64, 128), (8, 8), (5, 3), 500, 1000)
    assert count_parameters(tiny_model("convrsm")) == convrsm_parameters(3, (4, 6), (3, 2), (5, 3), 8, 10)


def test_training_without_labels_changes_the_memory_and_not_the_classifier():
    model = RSM(n_inputs=4, groups=6, cells=2, k=2, classifier_hidden=4)
    cycle = torch.eye(4)[torch.tensor([0, 1, 2, 3] * 3)]  # (12, 4): a repeating sequence of one-hot symbols
    classifier = [parameter.detach().clone() for parameter in model.classifier.parameters()]
    decoder = model.layer.decoder.weight.detach().clone()
    history = train_rsm_on_sequences(model, cycle.unsqueeze(1).repeat(1, 3, 1), epochs=30, lr=0.02)
    assert history.prediction_loss[-1] < 0.5 * history.prediction_loss[0]
    assert history.classifier_loss == []
    assert all(torch.equal(old, new) for old, new in zip(classifier, model.classifier.parameters(), strict=True))
    assert not torch.equal(decoder, model.layer.decoder.weight)


def test_training_checks_its_inputs():
    model = RSM(n_inputs=4, groups=6, cells=2, k=2, classifier_hidden=4)
    with pytest.raises(DataFormatError):
        train_rsm_on_sequences(model, torch.zeros(1, 3, 4), epochs=1, lr=0.01)
    with pytest.raises(DataFormatError):
        train_rsm_on_sequences(model, torch.zeros(5, 3, 4), epochs=1, lr=0.01, labels=torch.zeros(5, 2).long())
    with pytest.raises(DataFormatError):
        train_rsm_on_sequences(model, torch.zeros(5, 3, 4), epochs=1, lr=0.01, lengths=torch.tensor([5, 5]))
