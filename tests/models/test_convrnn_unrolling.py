"""Biological unrolling of the ConvRNNs: delays, presentation, feedback timing, state, readouts, checks."""

import copy

import pytest
import torch

from chronoscore.errors import ConfigError, DataFormatError
from chronoscore.models.convrnn import ConvRNN

from .tiny_models import tiny_images, tiny_model

DEPTH_MODELS = ["convrnn_shallow_rgc", "convrnn_shallow_lstm", "convrnn_intermediate_rgc",
                "convrnn_intermediate_time_decay"]


@pytest.mark.parametrize("name", DEPTH_MODELS)
def test_layer_l_is_silent_before_step_l_minus_1_and_active_from_then_on(name):
    model = tiny_model(name, undriven="silent")
    steps = len(model.areas) + 2
    with torch.no_grad():
        activity = model.forward_timesteps(tiny_images(name), n_steps=steps)
    for layer, area in enumerate(model.areas, start=1):
        assert activity[area].shape[0] == steps
        for step in range(steps):
            active = bool(activity[area][step].abs().sum() > 0)
            assert active == (step >= layer - 1), (area, step)


@pytest.mark.parametrize("name", DEPTH_MODELS)
def test_by_default_every_layer_runs_from_step_0_and_the_image_reaches_layer_l_at_step_l_minus_1(name):
    model = tiny_model(name)
    assert model.undriven == "run"
    steps = len(model.areas) + 2
    with torch.no_grad():
        first = model.forward_timesteps(tiny_images(name, seed=1), n_steps=steps)
        second = model.forward_timesteps(tiny_images(name, seed=2), n_steps=steps)
    for layer, area in enumerate(model.areas, start=1):
        if layer > 1:  # biases drive the layer before the image arrives, the same for any image
            assert first[area][0].abs().sum() > 0, area
        for step in range(layer - 1):
            assert torch.equal(first[area][step], second[area][step]), (area, step)
        assert not torch.equal(first[area][layer - 1], second[area][layer - 1]), area


@pytest.mark.parametrize("name", DEPTH_MODELS)
def test_a_frame_perturbed_at_step_s_reaches_layer_l_at_step_s_plus_l_minus_1(name):
    model = tiny_model(name)
    steps, perturbed_step = len(model.areas) + 3, 2
    frames = model.presentation(tiny_images(name), steps)
    changed = list(frames)
    changed[perturbed_step] = tiny_images(name, seed=9)
    with torch.no_grad():
        original, perturbed = model.run_frames(frames), model.run_frames(changed)
    for layer, area in enumerate(model.areas, start=1):
        arrival = perturbed_step + layer - 1
        for step in range(min(arrival, steps)):
            assert torch.equal(original[area][step], perturbed[area][step]), (area, step)
        if arrival < steps:
            assert not torch.equal(original[area][arrival], perturbed[area][arrival]), area


def feedback_weights(model):
    return [layer.cell.feedback.weight for layer in model.layers if layer.cell is not None
            and getattr(layer.cell, "feedback", None) is not None]


def test_feedback_from_layer_8_reaches_layer_5_one_step_after_layer_8_is_driven():
    model = tiny_model("convrnn_intermediate_rgc", undriven="silent")
    without_feedback = copy.deepcopy(model)
    with torch.no_grad():
        for weight in feedback_weights(without_feedback):
            weight.zero_()
        images, steps = tiny_images("convrnn_intermediate_rgc"), 11
        with_fb = model.forward_timesteps(images, steps, areas=["V4_conv5"])["V4_conv5"]
        without_fb = without_feedback.forward_timesteps(images, steps, areas=["V4_conv5"])["V4_conv5"]
    # layer 8 is first driven at step 7, so its feedback first changes layer 5 at step 8
    assert torch.equal(with_fb[:8], without_fb[:8])
    assert not torch.equal(with_fb[8], without_fb[8])


def test_by_default_feedback_carries_bias_driven_activity_from_step_1():
    model = tiny_model("convrnn_intermediate_rgc")
    without_feedback = copy.deepcopy(model)
    with torch.no_grad():
        for weight in feedback_weights(without_feedback):
            weight.zero_()
        images = tiny_images("convrnn_intermediate_rgc")
        with_fb = model.forward_timesteps(images, 3, areas=["V4_conv5"])["V4_conv5"]
        without_fb = without_feedback.forward_timesteps(images, 3, areas=["V4_conv5"])["V4_conv5"]
    assert torch.equal(with_fb[0], without_fb[0])  # at step 0 every feedback source is still zero
    assert not torch.equal(with_fb[1], without_fb[1])  # layer 8 ran at step 0 on its biases


def test_feedback_edges_default_on_for_the_intermediate_rgc_only():
    def feedback_sources(model):
        return [len(sources) for sources in model.feedback_sources]

    expected = [0, 0, 0, 0, 1, 2, 1, 0, 1, 0]  # 8→5; 9→6, 7→6; 10→7; 10→9
    assert feedback_sources(tiny_model("convrnn_intermediate_rgc")) == expected
    assert model_sources(tiny_model("convrnn_intermediate_rgc"))[5] == (6, 8)  # conv7, conv9: by name, as released
    assert feedback_sources(tiny_model("convrnn_intermediate_lstm")) == [0] * 10
    lstm_with_feedback = tiny_model("convrnn_intermediate_lstm", feedback=True)
    assert feedback_sources(lstm_with_feedback) == expected
    assert [layer.feedback is not None for layer in lstm_with_feedback.layers] == [bool(n) for n in expected]
    assert feedback_sources(tiny_model("convrnn_intermediate_rgc", feedback=False)) == [0] * 10
    assert not feedback_weights(tiny_model("convrnn_intermediate_rgc", feedback=False))
    with pytest.raises(ConfigError, match="no long-range feedback"):
        tiny_model("convrnn_shallow_rgc", feedback=True)


def model_sources(model):
    return model.feedback_sources


def test_the_image_turns_to_normalised_gray_at_image_off():
    model = tiny_model("convrnn_shallow_gru", image_off=3)
    images = tiny_images("convrnn_shallow_gru")
    frames = model.presentation(images, 6)
    assert len(frames) == 6
    assert all(torch.equal(frame, images) for frame in frames[:3])
    gray = torch.tensor([(0.5 - 0.485) / 0.229, (0.5 - 0.456) / 0.224, (0.5 - 0.406) / 0.225]).view(1, 3, 1, 1)
    assert all(torch.allclose(frame, gray.expand_as(images)) for frame in frames[3:])
    with torch.no_grad():
        shown = model.forward_timesteps(images, 6, areas=["conv1"])["conv1"]
        gray_movie = model.run_frames([gray.expand_as(images).clone()] * 6, areas=["conv1"])["conv1"]
    # conv1 has no cell and no delay: from step 3 on it sees exactly what a gray movie gives
    torch.testing.assert_close(shown[3:], gray_movie[3:])
    assert not torch.allclose(shown[2], gray_movie[2])
    zeros = tiny_model("convrnn_shallow_gru", image_off=3, gray=None).presentation(images, 6)
    assert all(torch.equal(frame, torch.zeros_like(images)) for frame in zeros[3:])
    constant = tiny_model("convrnn_shallow_gru", image_off=None).presentation(images, 20)
    assert all(frame is images for frame in constant)


@pytest.mark.parametrize("name", ["convrnn_shallow_ugrnn", "convrnn_intermediate_rgc"])
def test_no_state_leaks_from_one_call_to_the_next(name):
    model = tiny_model(name)
    batch_a, batch_b = tiny_images(name, seed=1), tiny_images(name, seed=2, batch=3)
    with torch.no_grad():
        b_alone = model.forward_timesteps(batch_b)
        model.forward_timesteps(batch_a)
        b_after_a = model.forward_timesteps(batch_b)
        both = model.forward_timesteps(torch.cat([batch_a, batch_b]))
    for area in model.areas:
        assert torch.equal(b_after_a[area], b_alone[area]), area
        torch.testing.assert_close(both[area][:, 2:], b_alone[area])  # samples never mix


def test_readouts_last_mean_and_max_confidence():
    name, steps = "convrnn_shallow_vanilla", 9
    models = {readout: tiny_model(name, readout=readout, n_steps=steps)
              for readout in ("last", "mean", "max_confidence")}
    images = tiny_images(name, batch=4)
    with torch.no_grad():
        per_step = models["last"].logits_per_step(images)
        assert per_step.shape == (steps - 5, 4, 10)  # the readout node is driven from step 5 (5 layers)
        torch.testing.assert_close(models["last"](images), per_step[-1])
        torch.testing.assert_close(models["mean"](images), per_step.mean(dim=0))
        chosen = models["max_confidence"](images)
    for sample in range(4):
        confidences = [torch.softmax(per_step[step, sample], dim=0).max() for step in range(per_step.shape[0])]
        best = max(range(len(confidences)), key=lambda step: confidences[step])
        torch.testing.assert_close(chosen[sample], per_step[best, sample])


@pytest.mark.parametrize("readout_delay, read_step", [(True, -2), (False, -1)])
def test_the_readout_node_reads_the_top_layer_one_step_earlier(readout_delay, read_step):
    name = "convrnn_shallow_rgc"
    model = tiny_model(name, readout_delay=readout_delay, n_steps=8)
    images = tiny_images(name)
    with torch.no_grad():
        top = model.forward_timesteps(images)[model.areas[-1]]
        torch.testing.assert_close(model(images), model.classify(top[read_step]))
        assert model.logits_per_step(images).shape[0] == (3 if readout_delay else 4)


def test_bad_settings_and_inputs_raise_chronoscore_errors():
    model = tiny_model("convrnn_shallow_time_decay")
    with pytest.raises(ConfigError, match="too short"):
        model(tiny_images("convrnn_shallow_time_decay"), n_steps=4)
    with pytest.raises(DataFormatError, match="input_size"):
        model(torch.zeros(2, 3, 24, 24))
    with pytest.raises(DataFormatError):
        model.run_frames([torch.zeros(2, 3, 32, 32), torch.zeros(3, 3, 32, 32)])
    with pytest.raises(ConfigError):
        model.forward_timesteps(torch.zeros(2, 3, 32, 32), areas=["IT"])
    for bad in ({"readout": "median"}, {"width": 0}, {"n_classes": 0}, {"image_off": 0}, {"n_steps": 0},
                {"cell_options": {"no_such_option": 1}}, {"undriven": "later"}, {"gray": "white"}):
        with pytest.raises(ConfigError):
            tiny_model("convrnn_shallow_time_decay", **bad)
    with pytest.raises(ConfigError, match="unknown cell"):
        ConvRNN("shallow", "transformer")


def test_feedforward_controls_run_one_step():
    model = tiny_model("ff_intermediate")
    images = tiny_images("ff_intermediate")
    with torch.no_grad():
        activity = model.forward_timesteps(images, areas=["conv1", "aIT_conv10"])
    assert activity["conv1"].shape == (1, 2, 4, 8, 8)
    assert activity["aIT_conv10"].shape == (1, 2, 32, 1, 1)
    with pytest.raises(ConfigError, match="one step"):
        model(images, n_steps=2)


@pytest.mark.gpu
@pytest.mark.parametrize("name", ["convrnn_intermediate_rgc", "convrnn_shallow_lstm"])
def test_cuda_matches_cpu(name):
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA device")
    model = tiny_model(name)
    images = tiny_images(name)
    with torch.no_grad():
        on_cpu = model.forward_timesteps(images)
        on_gpu = model.cuda().forward_timesteps(images.cuda())
    for area in model.areas:
        assert on_gpu[area].is_cuda
        torch.testing.assert_close(on_gpu[area].cpu(), on_cpu[area], rtol=1e-4, atol=1e-5)
