"""MODEL as a training run's output folder: its best checkpoint, recorded in the activations, the cache and scores."""

import hashlib
import json
import shutil

import numpy as np
import pytest
import torch

from chronoscore.analyses.datasets import load_benchmark
from chronoscore.analyses.embedded_benchmark import build_embedded_benchmark
from chronoscore.analyses.extraction import extract
from chronoscore.analyses.model_identity import model_identity, weights_hash
from chronoscore.analyses.model_source import load_model
from chronoscore.analyses.score import score_model, write_results
from chronoscore.analyses.training_data import train
from chronoscore.cli import main
from chronoscore.cli.extract import load_stimuli
from chronoscore.errors import ConfigError
from chronoscore.models import create_model
from chronoscore.models.training import save_recipe
from chronoscore.neural_fit import FitSettings, read_features, read_scores
from chronoscore.stimuli import write_stimulus_set
from tests.analyses.extraction.test_extract_support import by_hand, one_cpu_thread, stimulus_set  # noqa: F401
from tests.models.training.tiny_recipes import TINY, state_of, tiny_recipe

AREAS = ["conv1", "IT_conv5"]
FAST = FitSettings(metric_options={"n_components": 4}, n_splits=2, train_size=0.8, stratify="category_name")
FAST_OPTIONS = ["--set", "metric_options.n_components=4", "--set", "n_splits=2", "--set", "train_size=0.8",
                "--set", "stratify=category_name"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A 4-step run of the tiny recipe with checkpoints at steps 2 and 4; its lowest train loss is at step 2.

    The learning rate is too large on purpose (0.5), so that the loss rises again after step 2.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    folder = tmp_path_factory.mktemp("runs") / "tiny_run"
    train(tiny_recipe("optimiser.lr=0.5"), folder, progress=False)
    torch.set_num_threads(threads)
    return folder


@pytest.fixture(scope="module")
def best_model(run):
    """The recipe's model built independently, with the weights stored in the run's ``checkpoints/best.pt``."""
    model = create_model(TINY["model"]["name"], **TINY["model"]["kwargs"])
    model.load_state_dict(state_of(run / "checkpoints" / "best.pt"))
    return model.eval()


@pytest.fixture(scope="module")
def stimuli_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("stimuli") / "set"
    write_stimulus_set(stimulus_set(n=4), folder)
    return folder


@pytest.fixture(scope="module")
def benchmark_folder(tmp_path_factory):
    return build_embedded_benchmark(tmp_path_factory.mktemp("bench"), n_images=64, image_size=32, seed=1)


def index_of(run):
    return json.loads((run / "checkpoints" / "index.json").read_text())


def test_the_best_checkpoint_is_loaded_not_the_last(run, best_model):
    index = index_of(run)
    last_step = index["checkpoints"][-1]["step"]
    assert index["best"]["step"] == 2 != last_step == 4  # the two differ, so loading the last would fail below
    model, name = load_model(str(run))
    assert name == "convrnn_shallow_vanilla@tiny_run"
    best, last = state_of(run / "checkpoints" / "best.pt"), state_of(run / "checkpoints" / "step_00000004.pt")
    assert model.state_dict().keys() == best.keys()
    assert all(torch.equal(model.state_dict()[key], best[key]) for key in best)
    assert not all(torch.equal(model.state_dict()[key], last[key]) for key in last)
    assert not model.training


def test_extract_command_on_a_run_folder_records_the_run(run, best_model, stimuli_folder, tmp_path):
    out = tmp_path / "features.nc"
    code = main(["extract", str(run), "--stimuli", str(stimuli_folder), "--out", str(out), "--areas",
                 ",".join(AREAS), "--cache-dir", str(tmp_path / "cache"), "--quiet"])
    assert code == 0
    features = read_features(out)
    expected = by_hand(best_model, load_stimuli(stimuli_folder), areas=AREAS)
    values = features.transpose("presentation", "neuroid", "time_step").values
    np.testing.assert_allclose(values, np.concatenate([expected[area] for area in AREAS], axis=1), rtol=1e-5,
                               atol=1e-6)
    best_bytes = (run / "checkpoints" / "best.pt").read_bytes()
    assert features.attrs["run_folder"] == str(run.resolve())
    assert features.attrs["recipe_model"] == "convrnn_shallow_vanilla"
    assert features.attrs["checkpoint"] == "checkpoints/best.pt" and features.attrs["checkpoint_step"] == 2
    assert features.attrs["checkpoint_sha256"] == hashlib.sha256(best_bytes).hexdigest()
    assert features.attrs["weights_hash"] == weights_hash(best_model)
    assert features.attrs["model"] == "convrnn_shallow_vanilla@tiny_run"
    assert len(list((tmp_path / "cache").glob("convrnn_shallow_vanilla_tiny_run-*.npz"))) == 1


def test_the_cache_tells_runs_apart_even_with_equal_weights(run, best_model, stimuli_folder, tmp_path):
    copy = tmp_path / "copied_run"
    shutil.copytree(run, copy)
    stimuli = load_stimuli(stimuli_folder)
    cache = tmp_path / "cache"
    model, name = load_model(str(run))
    first = extract(model, stimuli, areas=AREAS, cache=cache, progress=False, model_name=name)
    copied, copied_name = load_model(str(copy))
    second = extract(copied, stimuli, areas=AREAS, cache=cache, progress=False, model_name=copied_name)
    plain = extract(best_model, stimuli, areas=AREAS, cache=cache, progress=False, model_name=name)
    assert len(list(cache.glob("*.npz"))) == 3
    assert first.attrs["weights_hash"] == second.attrs["weights_hash"] == plain.attrs["weights_hash"]
    assert first.attrs["run_folder"] != second.attrs["run_folder"] == str(copy.resolve())
    assert "run_folder" not in plain.attrs
    np.testing.assert_array_equal(first.values, second.values)
    again = extract(model, stimuli, areas=AREAS, cache=cache, progress=False, model_name=name)
    assert again.attrs == first.attrs and len(list(cache.glob("*.npz"))) == 3


def test_score_a_run_folder_from_the_command_line_and_from_python(run, best_model, benchmark_folder, tmp_path):
    out = tmp_path / "scores"
    code = main(["score", str(run), "--benchmark", str(benchmark_folder), "--out", str(out), "--areas",
                 "V4=V4_conv3,IT=IT_conv5", "--time", "per_bin", *FAST_OPTIONS, "--cache-dir",
                 str(tmp_path / "cache"), "--quiet"])
    assert code == 0
    saved = read_scores(out / "scores_per_bin.nc")
    info = json.loads((out / "model.json").read_text())
    for record in (saved.attrs, info):
        assert record["run_folder"] == str(run.resolve()) and record["checkpoint_step"] == 2
        assert record["recipe_model"] == "convrnn_shallow_vanilla"
        assert record["weights_hash"] == weights_hash(best_model)

    model, name = load_model(str(run))
    result = score_model(model, load_benchmark(benchmark_folder), model_name=name,
                         areas={"V4": "V4_conv3", "IT": "IT_conv5"}, settings=FAST, time_modes=("per_bin",),
                         cache=False, progress=False)
    np.testing.assert_allclose(result.scores["per_bin"]["r"].values, saved["r"].values, atol=1e-10, equal_nan=True)
    assert result.identity["checkpoint_sha256"] == info["checkpoint_sha256"]
    written = json.loads((write_results(result, tmp_path / "python") / "model.json").read_text())
    assert written["run_folder"] == info["run_folder"] and written["model"] == "convrnn_shallow_vanilla@tiny_run"


def test_the_run_is_no_longer_claimed_once_other_weights_are_loaded(run):
    model, name = load_model(str(run))
    assert model_identity(model, name)["checkpoint_step"] == 2
    model.load_state_dict(state_of(run / "checkpoints" / "step_00000004.pt"))
    identity = model_identity(model, name)
    assert "run_folder" not in identity and "checkpoint_sha256" not in identity
    assert identity["weights_hash"] == weights_hash(model)


def test_a_folder_without_checkpoints_is_a_clear_config_error(tmp_path):
    save_recipe(tiny_recipe(), tmp_path / "recipe.yaml")
    with pytest.raises(ConfigError, match="has no checkpoints yet"):
        load_model(str(tmp_path))
    (tmp_path / "recipe.yaml").unlink()
    with pytest.raises(ConfigError, match="not a training run's output folder"):
        load_model(str(tmp_path))


def test_options_that_a_run_fixes_are_refused(run):
    with pytest.raises(ConfigError, match="--weights"):
        load_model(str(run), weights=run / "checkpoints" / "best.pt")
    with pytest.raises(ConfigError, match="--model-arg"):
        load_model(str(run), model_args={"width": 1.0})
    with pytest.raises(ConfigError, match="name=submodule"):
        load_model(str(run), wrap_areas={"V4": "cells.2"})


def test_a_saved_step_or_the_last_checkpoint_is_loaded_when_asked_for(run):
    for checkpoint, step in ((4, 4), ("4", 4), ("last", 4), (2, 2)):
        model, name = load_model(str(run), checkpoint=checkpoint)
        expected = state_of(run / "checkpoints" / f"step_{step:08d}.pt")
        assert all(torch.equal(model.state_dict()[key], value) for key, value in expected.items())
        assert name == f"{TINY['model']['name']}@{run.name}#step{step}"
        origin = model_identity(model, name)
        assert (origin["checkpoint_step"], origin["checkpoint"]) == (step, f"checkpoints/step_{step:08d}.pt")
    with pytest.raises(ConfigError, match=r"no checkpoint of step 3.*\[2, 4\]"):
        load_model(str(run), checkpoint=3)
    with pytest.raises(ConfigError, match="best, last or a step"):
        load_model(str(run), checkpoint="first")
