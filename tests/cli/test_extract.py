"""``chronoscore extract`` end to end: registered models, file.py:function with --areas, both folder kinds."""

import textwrap

import numpy as np
import pytest
import torch

from chronoscore.analyses.extraction import extract
from chronoscore.analyses.extraction.cache import read_entry
from chronoscore.cli import main
from chronoscore.models import create_model, wrap_model
from chronoscore.neural_fit.results_io import read_features
from chronoscore.stimuli import read_image_folder, write_stimulus_set
from tests.analyses.extraction.test_extract_support import TwoStepNet, one_cpu_thread, stimulus_set  # noqa: F401
from tests.stimuli.tiny_sets import save_images

TINY_RGC = ["--model-arg", "width=0.0625", "--model-arg", "n_classes=10", "--model-arg", "n_steps=3"]

NETWORK_FILE = textwrap.dedent("""
    import torch
    from tests.analyses.extraction.test_extract_support import TwoStepNet

    def build(seed=3):
        torch.manual_seed(seed)
        return TwoStepNet()
""")


@pytest.fixture
def image_folder(tmp_path):
    pixels = np.random.default_rng(0).integers(0, 256, size=(4, 20, 20, 3), dtype=np.uint8)
    folder = tmp_path / "images"
    save_images(folder, pixels, ["d.png", "a.png", "c.png", "b.png"])
    return folder


def test_a_registered_model_on_an_image_folder(tmp_path, image_folder, capsys):
    out = tmp_path / "features.nc"
    torch.manual_seed(0)
    code = main(["extract", "convrnn_shallow_rgc", *TINY_RGC, "--image-size", "32", "--stimuli", str(image_folder),
                 "--out", str(out), "--areas", "conv2,conv1", "--batch-size", "3", "--no-cache", "--quiet"])
    assert code == 0
    assert f"wrote {out}: 4 stimuli" in capsys.readouterr().out
    features = read_features(out)
    torch.manual_seed(0)
    model = create_model("convrnn_shallow_rgc", width=0.0625, n_classes=10, n_steps=3, input_size=32)
    expected = extract(model, read_image_folder(image_folder), areas=["conv2", "conv1"], cache=False, progress=False)
    assert features["stimulus_id"].values.tolist() == ["a", "b", "c", "d"]
    assert list(dict.fromkeys(features["layer"].values)) == ["conv2", "conv1"]
    assert features.attrs["model"] == "convrnn_shallow_rgc"
    np.testing.assert_allclose(features.transpose(*expected.dims).values, expected.values, rtol=1e-5, atol=1e-6)


def test_a_registered_model_with_weights_from_a_state_dict(tmp_path, image_folder):
    torch.manual_seed(5)
    trained = create_model("convrnn_shallow_rgc", width=0.0625, n_classes=10, n_steps=3, input_size=32)
    torch.save(trained.state_dict(), tmp_path / "rgc.pt")
    out = tmp_path / "features.nc"
    code = main(["extract", "convrnn_shallow_rgc", *TINY_RGC, "--weights", str(tmp_path / "rgc.pt"), "--image-size",
                 "32", "--stimuli", str(image_folder), "--out", str(out), "--areas", "V4_conv3", "--no-cache",
                 "--quiet"])
    assert code == 0
    expected = extract(trained, read_image_folder(image_folder), areas=["V4_conv3"], cache=False, progress=False)
    np.testing.assert_allclose(read_features(out).transpose(*expected.dims).values, expected.values, rtol=1e-5,
                               atol=1e-6)
    assert read_features(out).attrs["weights_hash"] == expected.attrs["weights_hash"]


def test_a_brainscore_folder_with_random_projection_and_float16_and_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CHRONOSCORE_HOME", str(tmp_path / "home"))
    stimuli = stimulus_set(n=3)
    write_stimulus_set(stimuli, tmp_path / "set")
    out = tmp_path / "features.nc"
    code = main(["extract", "convrnn_shallow_rgc", *TINY_RGC, "--image-size", "32", "--stimuli",
                 str(tmp_path / "set"), "--out", str(out), "--projection", "random:20", "--dtype", "float16",
                 "--quiet"])
    assert code == 0
    features = read_features(out)
    assert features.dtype == np.float16
    assert features["object_name"].values.tolist() == stimuli.table["object_name"].tolist()
    assert features.attrs["stimulus_degrees"] == 10.0
    counts = {area: int((features["layer"] == area).sum()) for area in dict.fromkeys(features["layer"].values)}
    assert counts == {"conv1": 20, "conv2": 20, "V4_conv3": 20, "pIT_conv4": 16, "IT_conv5": 20}
    (entry,) = (tmp_path / "home" / "activations").glob("convrnn_shallow_rgc-*.npz")
    cached = read_entry(entry)
    assert cached.dtype == np.float16
    np.testing.assert_array_equal(features.transpose(*cached.dims).values, cached.values)


def test_a_file_function_wrapped_with_areas_and_loaded_weights(tmp_path, image_folder):
    (tmp_path / "network.py").write_text(NETWORK_FILE)
    torch.manual_seed(11)
    trained = TwoStepNet()
    torch.save(trained.state_dict(), tmp_path / "weights.pt")
    out = tmp_path / "features.nc"
    code = main(["extract", f"{tmp_path / 'network.py'}:build", "--areas", "early=stem,late=block", "--steps", "2",
                 "--weights", str(tmp_path / "weights.pt"), "--image-size", "16", "--stimuli", str(image_folder),
                 "--out", str(out), "--no-cache", "--quiet"])
    assert code == 0
    features = read_features(out)
    expected = extract(wrap_model(trained, {"early": "stem", "late": "block"}, n_steps=2),
                       read_image_folder(image_folder), image_size=16, cache=False, progress=False)
    assert features.attrs["model"] == "network:build"
    assert dict(zip(features["layer"].values, features["layer_steps"].values, strict=True)) == {"early": 1, "late": 2}
    np.testing.assert_allclose(features.transpose(*expected.dims).values, expected.values, rtol=1e-6)


def test_pca_projection_from_the_command_line(tmp_path, image_folder):
    (tmp_path / "network.py").write_text(NETWORK_FILE)
    write_stimulus_set(stimulus_set(n=8, seed=4, identifier="fit"), tmp_path / "fit")
    out = tmp_path / "features.nc"
    code = main(["extract", f"{tmp_path / 'network.py'}:build", "--areas", "early=stem", "--image-size", "16",
                 "--stimuli", str(image_folder), "--out", str(out), "--projection", "pca:4",
                 "--pca-stimuli", str(tmp_path / "fit"), "--no-cache", "--quiet"])
    assert code == 0
    features = read_features(out)
    assert features.sizes["neuroid"] == 4 and "'fit'" in features.attrs["projection"]


@pytest.mark.parametrize("arguments, message", [
    (["{folder}"], "training run's output folder"),
    (["{file}:build"], "--areas name=submodule"),
    (["{file}:missing", "--areas", "a=stem"], "has no function 'missing'"),
    (["convrnn_shallow_rgc", "--areas", "V4=conv3"], "registered model"),
    (["convrnn_shallow_rgc", "--areas", "conv1,V4=conv3"], "mixes area names"),
    (["no_such_model"], "no model named"),
    (["convrnn_shallow_rgc", "--projection", "pca:5"], "--pca-stimuli"),
    (["convrnn_shallow_rgc", "--projection", "random"], "random:D or pca:D"),
    (["convrnn_shallow_rgc", "--weights", "{folder}/none.pt"], "does not exist"),
])
def test_user_errors_exit_with_code_2_and_a_message(tmp_path, image_folder, capsys, arguments, message):
    (tmp_path / "network.py").write_text(NETWORK_FILE)
    arguments = [argument.format(folder=tmp_path, file=tmp_path / "network.py") for argument in arguments]
    code = main(["extract", *arguments, "--stimuli", str(image_folder), "--out", str(tmp_path / "out.nc"),
                 "--image-size", "16", "--no-cache", "--quiet"])
    assert code == 2
    assert message in capsys.readouterr().err
