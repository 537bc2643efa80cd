"""``extract``: the Activations' layout, values against a by-hand forward pass, modes, storage and errors."""

import copy
import hashlib

import numpy as np
import pytest
import torch

from chronoscore.analyses.extraction import extract
from chronoscore.analyses.model_identity import configuration_hash, weights_hash
from chronoscore.errors import ConfigError, DataFormatError
from chronoscore.stimuli import read_image_folder
from tests.analyses.extraction.test_extract_support import (  # noqa: F401
    IMAGE_SIZE,
    by_hand,
    one_cpu_thread,
    stimulus_set,
    tiny_convrnn,
    tiny_wrapped,
)
from tests.stimuli.tiny_sets import save_images


def test_activations_have_the_designed_dims_coords_and_attrs():
    model, stimuli = tiny_convrnn(n_steps=4, step_ms=25.0), stimulus_set(n=5)
    activations = extract(model, stimuli, areas=["conv2", "conv1"], batch_size=2, cache=False, progress=False,
                          model_name="tiny_rgc")
    features = {area: values.shape[1] for area, values in by_hand(model, stimuli, areas=["conv2", "conv1"]).items()}
    assert activations.dims == ("presentation", "neuroid", "time_step")
    assert activations.shape == (5, features["conv2"] + features["conv1"], 4)
    assert activations.dtype == np.float32
    assert activations["stimulus_id"].values.tolist() == stimuli.table["stimulus_id"].tolist()
    for column in ("object_name", "variation", "scale", "flipped"):
        assert activations[column].values.tolist() == stimuli.table[column].tolist()
    assert activations["variation"].dtype.kind == "i" and activations["flipped"].dtype == bool
    assert activations["layer"].values.tolist() == ["conv2"] * features["conv2"] + ["conv1"] * features["conv1"]
    assert activations["neuroid_id"].values[[0, -1]].tolist() == ["conv2.0", f"conv1.{features['conv1'] - 1}"]
    assert (activations["layer_steps"].values == 4).all()
    assert activations["time_step"].values.tolist() == [0, 1, 2, 3]
    assert activations["time_ms"].values.tolist() == [0.0, 25.0, 50.0, 75.0]
    assert activations.attrs["model"] == "tiny_rgc"
    assert activations.attrs["weights_hash"] == weights_hash(model)
    assert activations.attrs["stimulus_set"] == "test.extract"
    assert activations.attrs["stimulus_set_hash"] == stimuli.content_hash()
    assert activations.attrs["projection"] == "none"
    assert (activations.attrs["image_size"], activations.attrs["n_steps"]) == (IMAGE_SIZE, 4)


@pytest.mark.parametrize("batch_size, model_degrees", [(2, 8.0), (5, 12.0), (64, 6.0)])
def test_values_equal_forward_timesteps_run_by_hand(batch_size, model_degrees):
    model, stimuli = tiny_convrnn(seed=batch_size), stimulus_set(n=5, seed=batch_size)
    activations = extract(model, stimuli, batch_size=batch_size, model_degrees=model_degrees, cache=False,
                          progress=False)
    expected = by_hand(model, stimuli, model_degrees=model_degrees)
    assert list(dict.fromkeys(activations["layer"].values)) == list(model.areas)
    for area, values in expected.items():
        np.testing.assert_allclose(activations.sel(neuroid=activations["layer"] == area).values, values,
                                   rtol=1e-5, atol=1e-6)


def test_areas_with_fewer_steps_are_padded_with_nan_after_their_own_steps():
    model, stimuli = tiny_wrapped(), stimulus_set(n=3)
    activations = extract(model, stimuli, image_size=IMAGE_SIZE, cache=False, progress=False)
    expected = by_hand(model, stimuli)
    assert activations.sizes["time_step"] == 2
    steps = dict(zip(activations["layer"].values, activations["layer_steps"].values, strict=True))
    assert steps == {"stem": 1, "block": 2, "pool": 1}
    stem = activations.sel(neuroid=activations["layer"] == "stem").values
    np.testing.assert_allclose(stem[:, :, :1], expected["stem"], rtol=1e-6)
    assert np.isnan(stem[:, :, 1]).all()
    block = activations.sel(neuroid=activations["layer"] == "block").values
    np.testing.assert_allclose(block, expected["block"], rtol=1e-6)
    assert not np.isnan(block).any()


def test_filename_is_not_a_coordinate_of_file_backed_sets(tmp_path):
    pixels = np.random.default_rng(0).integers(0, 256, size=(3, 16, 16, 3), dtype=np.uint8)
    save_images(tmp_path, pixels, ["b.png", "a.png", "c.png"])
    activations = extract(tiny_wrapped(), read_image_folder(tmp_path), image_size=16, cache=False, progress=False)
    assert activations["stimulus_id"].values.tolist() == ["a", "b", "c"]
    assert "filename" not in activations.coords


def test_model_modes_are_restored_and_the_pass_runs_in_eval_mode():
    model, stimuli = tiny_wrapped(), stimulus_set(n=2)
    model.train()
    model.module.head.eval()
    seen = []
    model.module.stem.register_forward_hook(lambda module, inputs, output: seen.append(module.training))
    extract(model, stimuli, image_size=IMAGE_SIZE, cache=False, progress=False)
    assert seen == [False] * 3  # the plain and the rewritten network on the check images, then the extraction
    assert model.training and model.module.stem.training and not model.module.head.training


def test_float16_storage_holds_the_float32_values_rounded():
    model, stimuli = tiny_convrnn(n_steps=3), stimulus_set(n=4)
    single = extract(model, stimuli, cache=False, progress=False)
    half = extract(model, stimuli, dtype="float16", cache=False, progress=False)
    assert half.dtype == np.float16
    np.testing.assert_array_equal(half.values, single.values.astype(np.float16))


def test_weights_hash_is_the_sha256_of_the_state_dict_and_follows_every_tensor():
    model = tiny_wrapped()
    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        digest.update(f"{name}|{tensor.dtype}|{tuple(tensor.shape)}|".encode())
        digest.update(tensor.contiguous().numpy().tobytes())
    assert weights_hash(model) == digest.hexdigest()[:16]
    twin = copy.deepcopy(model)
    assert weights_hash(twin) == weights_hash(model)
    with torch.no_grad():
        twin.module.head.bias[0] += 1e-6
    assert weights_hash(twin) != weights_hash(model)


def test_configuration_hash_follows_settings_that_no_weight_shows():
    assert configuration_hash(tiny_convrnn()) == configuration_hash(tiny_convrnn(seed=1))
    assert configuration_hash(tiny_convrnn()) != configuration_hash(tiny_convrnn(image_off=None))


def test_user_errors_are_raised_before_any_image_is_processed():
    model, stimuli = tiny_wrapped(), stimulus_set(n=2)
    with pytest.raises(ConfigError, match="records no input_size"):
        extract(model, stimuli, cache=False)
    with pytest.raises(ConfigError, match="unknown area"):
        extract(model, stimuli, areas=["IT"], image_size=16, cache=False)
    with pytest.raises(ConfigError, match="more than once"):
        extract(model, stimuli, areas=["stem", "stem"], image_size=16, cache=False)
    with pytest.raises(ConfigError, match="dtype"):
        extract(model, stimuli, image_size=16, dtype="float64", cache=False)
    with pytest.raises(ConfigError, match="time-resolved model"):
        extract(torch.nn.Conv2d(3, 3, 1), stimuli, image_size=16, cache=False)
    with pytest.raises(ConfigError, match="batch_size"):
        extract(model, stimuli, image_size=16, batch_size=0, cache=False)
    with pytest.raises(DataFormatError, match="no stimuli"):
        extract(model, stimulus_set(n=0), image_size=16, cache=False)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_extraction_on_a_gpu_matches_the_cpu_and_leaves_the_model_where_it_was():
    model, stimuli = tiny_convrnn(n_steps=3), stimulus_set(n=3)
    on_cpu = extract(model, stimuli, cache=False, progress=False)
    on_gpu = extract(model, stimuli, device="cuda", cache=False, progress=False)
    np.testing.assert_allclose(on_gpu.values, on_cpu.values, rtol=1e-3, atol=1e-4)
    assert next(model.parameters()).device.type == "cpu"


def test_without_a_cache_each_image_file_is_decoded_once_and_the_hash_still_recorded(tmp_path, monkeypatch):
    from chronoscore.stimuli import images

    pixels = np.random.default_rng(1).integers(0, 256, size=(5, 16, 16, 3), dtype=np.uint8)
    save_images(tmp_path, pixels, [f"{index}.png" for index in range(5)])
    stimuli = read_image_folder(tmp_path)
    expected_hash = stimuli.content_hash()
    decoded = []
    read_image = images.read_image
    monkeypatch.setattr(images, "read_image", lambda path: decoded.append(path.name) or read_image(path))
    activations = extract(tiny_wrapped(), stimuli, image_size=16, batch_size=2, cache=False, progress=False)
    assert sorted(decoded) == [f"{index}.png" for index in range(5)]
    assert activations.attrs["stimulus_set_hash"] == expected_hash
