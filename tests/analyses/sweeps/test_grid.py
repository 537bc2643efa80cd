"""Sweep files: the grid expanded into cells (one score run each), checkpoints of runs, validation, provenance."""

import json

import pytest

from chronoscore.analyses.sweeps.grid import expand_grid, load_sweep
from chronoscore.analyses.sweeps import provenance
from chronoscore.analyses.sweeps.provenance import provenance_hash
from chronoscore.errors import ConfigError


def test_every_combination_of_the_axes_is_one_cell_with_score_arguments(tmp_path):
    spec = {"models": ["ff_shallow", {"name": "convrnn_shallow_rgc", "image_size": 32, "model_args": {"width": 0.25}}],
            "benchmarks": ["simulated"], "metrics": ["pls", "ridge"], "time": ["per_bin", ["shared", "matrix"]],
            "settings": [{}, {"name": "k5", "n_splits": 5}], "set": ["split_seed=3"], "cache_dir": "cache"}
    cells = expand_grid(spec, base=tmp_path, overrides=["train_size=0.8"])
    assert len(cells) == 2 * 1 * 2 * 2 * 2 and len({cell.name for cell in cells}) == 16
    cell = next(cell for cell in cells if cell.labels == {
        "model": "convrnn_shallow_rgc", "checkpoint": "", "benchmark": "simulated", "metric": "ridge",
        "time": "shared+matrix", "settings": "k5"})
    assert cell.name == "convrnn_shallow_rgc__simulated__ridge__shared+matrix__k5"
    assert list(cell.argv) == [
        "convrnn_shallow_rgc", "--model-arg", "width=0.25", "--image-size", "32", "--benchmark", "simulated",
        "--metric", "ridge", "--time", "shared", "matrix", "--set", "split_seed=3", "--set", "train_size=0.8",
        "--set", "n_splits=5", "--cache-dir", str(tmp_path / "cache"), "--quiet"]


def test_a_sweep_file_is_read_with_paths_from_its_folder(tmp_path):
    (tmp_path / "nets").mkdir()
    (tmp_path / "nets" / "net.py").write_text("def build():\n    pass\n")
    (tmp_path / "bench").mkdir()
    (tmp_path / "bench" / "assembly.nc").write_bytes(b"data")
    path = tmp_path / "sweep.yaml"
    path.write_text("models:\n  - nets/net.py:build\nbenchmarks: [bench]\ntime: [per_bin]\n")
    [cell] = load_sweep(path)
    assert cell.argv[:3] == (f"{tmp_path / 'nets' / 'net.py'}:build", "--benchmark", str(tmp_path / "bench"))
    assert cell.inputs == (str(tmp_path / "nets" / "net.py"), str(tmp_path / "bench" / "assembly.nc"))
    assert cell.name == "net.build__bench__default__per_bin"


@pytest.fixture
def run_folder(tmp_path):
    """A training run's folder whose index lists steps 2, 4 and 6, the best at step 4 (no weights needed here)."""
    folder = tmp_path / "run"
    (folder / "checkpoints").mkdir(parents=True)
    entries = [{"file": f"step_{step:08d}.pt", "step": step, "sha256": str(step)} for step in (2, 4, 6)]
    best = {"file": "best.pt", "step": 4, "sha256": "4", "metric": "loss", "value": 0.5}
    (folder / "checkpoints" / "index.json").write_text(json.dumps({"checkpoints": entries, "best": best}))
    return folder


@pytest.mark.parametrize(("which", "expected"), [
    (None, ["best"]), ("best", ["best"]), ("last", ["6"]), ("all", ["2", "4", "6"]), ("every 4", ["4"]),
    ("every 2", ["2", "4", "6"]),
])
def test_a_training_run_is_scored_at_the_checkpoints_asked_for(run_folder, which, expected):
    entry = {"run": str(run_folder), **({"checkpoints": which} if which else {})}
    cells = expand_grid({"models": [entry], "benchmarks": ["simulated"], "time": ["per_bin"]})
    assert [cell.argv[cell.argv.index("--checkpoint") + 1] for cell in cells] == expected
    assert [cell.labels["checkpoint"] for cell in cells] == expected
    files = ["best.pt" if step == "best" else f"step_{int(step):08d}.pt" for step in expected]
    assert [cell.inputs[0] for cell in cells] == [str(run_folder / "checkpoints" / file) for file in files]
    assert all(cell.name.startswith(f"run@{step}__") for cell, step in zip(cells, expected))


@pytest.mark.parametrize(("spec", "message"), [
    ({"models": ["ff_shallow"], "benchmarks": ["simulated"], "metric": ["pls"]}, "unknown key"),
    ({"benchmarks": ["simulated"]}, "no models"),
    ({"models": ["ff_shallow"], "benchmarks": ["simulated"], "metrics": ["plss"]}, "not a registered metric"),
    ({"models": ["ff_shallow"], "benchmarks": ["simulated"], "time": ["forever"]}, "time:"),
    ({"models": [{"name": "ff_shallow", "checkpoints": "all"}], "benchmarks": ["simulated"]}, "training run"),
    ({"models": [{"name": "ff_shallow", "run": "x"}], "benchmarks": ["simulated"]}, "exactly one of"),
    ({"models": [{"name": "ff_shallow", "widht": 1}], "benchmarks": ["simulated"]}, "unknown: \\['widht'\\]"),
    ({"models": ["ff_shallow", {"name": "ff_shallow", "image_size": 32}], "benchmarks": ["simulated"]},
     "distinct labels"),
    ({"models": ["ff_shallow"], "benchmarks": ["simulated"], "settings": ["n_splits=2"]}, "mapping of fit settings"),
    ({"models": [{"name": "ff_shallow", "image_size": "big"}], "benchmarks": ["simulated"]}, "whole number"),
])
def test_malformed_sweep_files_are_refused_before_anything_runs(spec, message):
    with pytest.raises(ConfigError, match=message):
        expand_grid(spec)


@pytest.mark.parametrize(("which", "message"), [("every 0", "every N"), ("every 5", "selects no checkpoint"),
                                                ("first", "best, last, all")])
def test_checkpoint_choices_that_select_nothing_are_refused(run_folder, which, message):
    with pytest.raises(ConfigError, match=message):
        expand_grid({"models": [{"run": str(run_folder), "checkpoints": which}], "benchmarks": ["simulated"]})


def test_the_provenance_hash_follows_the_arguments_and_the_input_files_contents(tmp_path):
    weights = tmp_path / "weights.pt"
    weights.write_bytes(b"first")
    spec = {"models": [{"name": "ff_shallow", "weights": str(weights)}], "benchmarks": ["simulated"]}
    [cell] = expand_grid(spec)
    [same] = expand_grid(spec)
    [other_arguments] = expand_grid({**spec, "set": ["n_splits=3"]})
    first = provenance_hash(cell)
    assert provenance_hash(same) == first != provenance_hash(other_arguments)
    weights.write_bytes(b"second")
    assert provenance_hash(cell) != first


def test_the_provenance_hash_follows_chronoscores_own_files(tmp_path, monkeypatch, request):
    request.addfinalizer(provenance.code_sha256.cache_clear)
    package = tmp_path / "package"
    (package / "weights").mkdir(parents=True)
    (package / "model.py").write_text("WIDTH = 1\n")
    (package / "weights" / "small.pt").write_bytes(b"weights")
    monkeypatch.setattr(provenance, "_package_roots", lambda: [("chronoscore.models", package)])
    [cell] = expand_grid({"models": ["ff_shallow"], "benchmarks": ["simulated"]})

    def fresh_hash() -> str:
        provenance.code_sha256.cache_clear()
        return provenance_hash(cell)

    first = fresh_hash()
    assert fresh_hash() == first
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "model.cpython-311.pyc").write_bytes(b"compiled")
    assert fresh_hash() == first
    (package / "model.py").write_text("WIDTH = 20\n")
    changed_code = fresh_hash()
    (package / "weights" / "small.pt").write_bytes(b"trained further")
    assert len({first, changed_code, fresh_hash()}) == 3
