"""Each learning algorithm end to end through ``train(recipe, out)``, recipes it refuses, and exact resume."""

import csv
import shutil
import warnings

import pytest
import torch

from chronoscore.errors import ConfigError
from chronoscore.models import create_model
from chronoscore.models.training import load_recipe, train
from chronoscore.models.training.metrics import METRIC_COLUMNS

from .tiny_recipes import assert_same_weights, state_of, tiny_recipe

TINY_HGRU = {
    "model": {"name": "hgru", "kwargs": {"input_size": 32, "n_orientations": 2, "kernel_size": 5, "n_steps": 6,
                                         "n_classes": 2}},
    "data": {"generator": "pathfinder", "options": {"path_length": 4, "n_distractors": 2}, "train_n": 16,
             "generated_size": 32, "image_size": 32, "label": "label"},
    "optimiser": {"name": "adam", "lr": 0.01},
    "schedule": {"name": "constant"},
    "steps": 4, "batch_size": 8, "checkpoint_every": 2, "log_every": 1, "seed": 0, "device": "cpu",
}
NEUMANN = ("neumann_iterations", "neumann_diverged", "neumann_capped", "neumann_vanished")
EXTRAS = {"bptt": (), "tbptt": (), "rbp": NEUMANN, "crbp": (*NEUMANN, "penalty")}


def hgru_recipe(algorithm, *overrides, **settings):
    options = {"window": 2} if algorithm == "tbptt" else {}
    return load_recipe({**TINY_HGRU, "algorithm": algorithm, "algorithm_options": options, **settings}, overrides)


def rows(run_dir):
    with open(run_dir / "metrics.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def quietly_train(recipe, out, **kwargs):
    """Train, hiding RBP's warning about a Neumann series that grew (an untrained hGRU is not contractive)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="the Neumann series", category=RuntimeWarning)
        return train(recipe, out, progress=False, **kwargs)


@pytest.mark.parametrize("algorithm", ["bptt", "tbptt", "rbp", "crbp"])
def test_each_image_algorithm_trains_a_tiny_hgru_on_pathfinder(tmp_path, algorithm):
    recipe = hgru_recipe(algorithm)
    summary = quietly_train(recipe, tmp_path)
    table = rows(tmp_path)
    assert list(table[0]) == [*METRIC_COLUMNS, *EXTRAS[algorithm]]
    losses = [float(row["loss"]) for row in table]
    assert len(losses) == 4 and all(0 < loss < 5 for loss in losses)
    for row in table:
        if algorithm in ("rbp", "crbp"):
            assert 1 <= float(row["neumann_iterations"]) <= recipe.algorithm_options.max_iterations
            for stop in NEUMANN[1:]:
                assert 0.0 <= float(row[stop]) <= 1.0
            assert float(row["neumann_diverged"]) + float(row["neumann_capped"]) + float(row["neumann_vanished"]) <= 1
        if algorithm == "crbp":
            assert float(row["penalty"]) >= 0
    assert summary["recipe"]["algorithm"] == algorithm
    torch.manual_seed(0)
    initial = create_model("hgru", **TINY_HGRU["model"]["kwargs"]).state_dict()
    trained = state_of(tmp_path / "checkpoints" / "step_00000004.pt")
    for name in ("gabor.weight", "cell.inhibition_kernel", "head.classifier.weight"):  # drive, step, readout
        assert not torch.equal(trained[name], initial[name]), name
    assert all(torch.isfinite(value).all() for value in trained.values() if value.is_floating_point())


def test_crbp_penalty_is_logged_and_grows_with_its_weight(tmp_path):
    quietly_train(hgru_recipe("crbp", "algorithm_options.penalty_weight=1", "algorithm_options.penalty_tau=0",
                              steps=1), tmp_path / "one")
    quietly_train(hgru_recipe("crbp", "algorithm_options.penalty_weight=3", "algorithm_options.penalty_tau=0",
                              steps=1), tmp_path / "three")
    one, three = (float(rows(tmp_path / name)[0]["penalty"]) for name in ("one", "three"))
    assert one > 0 and three == pytest.approx(3 * one, rel=1e-5)


def test_crbp_under_mixed_precision_starts_where_fp32_does(tmp_path):
    """bf16 autocast, and fp16 with the gradient scaler scaling the loss and the penalty."""
    first_rows = {}
    for precision in ("fp32", "bf16", "fp16"):
        # the port's initial values make the untrained step expand, so the penalty is not 0 at the start
        recipe = hgru_recipe("crbp", f"precision={precision}", "model.kwargs.initialisation=pytorch_port", steps=1)
        quietly_train(recipe, tmp_path / precision)
        first_rows[precision] = rows(tmp_path / precision)[0]
    for precision in ("bf16", "fp16"):
        for name in ("loss", "penalty"):
            assert float(first_rows[precision][name]) == pytest.approx(float(first_rows["fp32"][name]), rel=0.02)
    assert 0 < float(first_rows["fp32"]["penalty"])


def test_resuming_a_crbp_run_ends_with_the_weights_of_an_uninterrupted_run(tmp_path):
    recipe = hgru_recipe("crbp", keep_last=3)
    quietly_train(recipe, tmp_path / "straight")
    shutil.copytree(tmp_path / "straight", tmp_path / "copy")
    (tmp_path / "copy" / "checkpoints" / "step_00000004.pt").unlink()
    with pytest.warns(RuntimeWarning, match="falling back"):
        summary = quietly_train(recipe, tmp_path / "copy", resume=True)
    assert summary["resumed_from_step"] == 2
    assert_same_weights(state_of(tmp_path / "copy" / "checkpoints" / "step_00000004.pt"),
                        state_of(tmp_path / "straight" / "checkpoints" / "step_00000004.pt"))
    resumed, straight = rows(tmp_path / "copy"), rows(tmp_path / "straight")
    assert [row["step"] for row in resumed] == ["1", "2", "3", "4"]
    for name in ("loss", "penalty", "neumann_iterations"):
        assert [row[name] for row in resumed] == [row[name] for row in straight]


@pytest.mark.parametrize("algorithm", ["rbp", "crbp", "tbptt"])
def test_fixed_point_algorithms_refuse_a_convrnn(tmp_path, algorithm):
    options = ("algorithm_options.window=2",) if algorithm == "tbptt" else ()
    recipe = tiny_recipe(f"algorithm={algorithm}", *options)
    with pytest.raises(ConfigError, match=f"algorithm {algorithm} needs a model split into drive, init_state"):
        train(recipe, tmp_path, progress=False)


def test_local_refuses_a_model_that_is_not_a_sparse_memory(tmp_path):
    with pytest.raises(ConfigError, match="algorithm local trains a Recurrent Sparse Memory"):
        train(tiny_recipe("algorithm=local"), tmp_path, progress=False)


@pytest.mark.parametrize(("overrides", "message"), [
    (("algorithm=adjoint",), "algorithm must be one of bptt, tbptt, rbp, crbp, local"),
    (("algorithm=tbptt",), "algorithm tbptt needs algorithm_options.window"),
    (("algorithm=rbp", "algorithm_options.window=3"), "window only applies to algorithm tbptt"),
    (("algorithm=crbp", "compile=true"), "compile: true only compiles"),
    (("algorithm=rbp", "algorithm_options.max_iterations=0"), "max_iterations must be an integer of at least 1"),
    (("algorithm=crbp", "algorithm_options.penalty_weight=-1"), "penalty_weight must be a non-negative number"),
    (("algorithm_options.newton=1",), "unknown setting"),
])
def test_bad_algorithm_settings_raise_config_errors(overrides, message):
    with pytest.raises(ConfigError, match=message):
        tiny_recipe(*overrides)


def test_recipes_without_algorithm_options_load_with_the_defaults():
    recipe = tiny_recipe()
    assert recipe.algorithm == "bptt" and recipe.algorithm_options.window is None
    options = recipe.algorithm_options
    assert (options.max_iterations, options.penalty_weight, options.penalty_tau) == (15, 10.0, 0.9)
    assert (options.neumann_rule, options.penalty_reduction) == ("release", "mean")
    assert load_recipe(recipe.to_dict()) == recipe
