"""Scoring outside models: areas with their own step counts, per-region time mappings, image size, seeds."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest
import torch

from chronoscore.analyses.datasets import load_benchmark
from chronoscore.analyses.embedded_benchmark import build_embedded_benchmark
from chronoscore.analyses.model_source import load_model
from chronoscore.analyses.score import score_model
from chronoscore.cli import main
from chronoscore.errors import ConfigError
from chronoscore.neural_fit import FitSettings, read_scores
from chronoscore.neural_fit.time_mapping import TimeMapping

FAST = FitSettings(metric_options={"n_components": 4}, n_splits=3, train_size=0.8, stratify="category_name")
CORNET_MAPPINGS = {"V4": TimeMapping.parse_region("V4=90,50,4")[1], "IT": TimeMapping.parse_region("IT=100,100,2")[1]}
FAST_OPTIONS = ["--set", "metric_options.n_components=4", "--set", "n_splits=3", "--set", "train_size=0.8",
                "--set", "stratify=category_name", "--quiet", "--no-cache"]


@pytest.fixture(scope="module")
def benchmark_folder(tmp_path_factory):
    return build_embedded_benchmark(tmp_path_factory.mktemp("bench"), n_images=48, image_size=32, seed=2)


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("nets") / "cornet_like.py"
    path.write_text(textwrap.dedent("""
        from tests.analyses.third_party_models import CORnetSLike

        def build(width=4):
            return CORnetSLike(width=width)
    """))
    return path


def cornet(model_file, seed=0):
    return load_model(f"{model_file}:build", wrap_areas={"V4": "V4.output", "IT": "IT.output"}, image_size=32,
                      seed=seed)


def test_the_image_size_and_the_step_count_flow_through_wrapping(model_file):
    model, name = cornet(model_file)
    assert name == "cornet_like:build"
    assert model.input_size == 32 and model.default_steps == 4       # V4 runs 4 times, IT twice
    with torch.no_grad():
        recorded = model.eval().forward_timesteps(torch.zeros(1, 3, 32, 32))
    assert {area: values.shape[0] for area, values in recorded.items()} == {"V4": 4, "IT": 2}


def test_areas_with_different_step_counts_score_together_as_they_score_alone(model_file, benchmark_folder):
    benchmark = load_benchmark(benchmark_folder)
    settings = FitSettings(**{**FAST.__dict__, "region_mappings": CORNET_MAPPINGS})
    model, _ = cornet(model_file)
    together = score_model(model, benchmark, model_name="cornet", settings=settings, time_modes=("per_bin", "matrix"),
                           cache=False, progress=False)
    assert together.areas == {"V4": "V4", "IT": "IT"} and together.skipped_regions == []
    for region in ("V4", "IT"):
        with pytest.warns(UserWarning, match="not scored"):
            alone = score_model(model, benchmark, model_name="cornet", areas={region: region}, settings=settings,
                                time_modes=("per_bin", "matrix"), cache=False, progress=False)
        for mode in ("per_bin", "matrix"):
            own = alone.scores[mode].sel(region=region)["score"]
            mine = together.scores[mode].sel(region=region)["score"]
            if mode == "matrix":
                mine = mine.sel(time_step=own["time_step"].values)
            np.testing.assert_allclose(mine.values, own.values, atol=1e-12)
    steps = together.scores["per_bin"]["step_for_bin"]
    bins = together.scores["per_bin"]["time_bin_start"].values
    expected_it = [int(np.argmin(np.abs(100 + 100 * np.arange(2) - start))) for start in bins]
    assert steps.sel(region="IT").values[0].tolist() == expected_it
    matrix = together.scores["matrix"]["score"]
    assert np.isnan(matrix.sel(region="IT", time_step=[2, 3]).values).all()   # IT has 2 steps only
    assert np.isfinite(matrix.sel(region="V4").values).all()


def test_the_command_line_scores_areas_of_different_step_counts(model_file, benchmark_folder, tmp_path, capsys):
    code = main(["score", f"{model_file}:build", "--areas", "V4=V4.output,IT=IT.output", "--image-size", "32",
                 "--benchmark", str(benchmark_folder), "--out", str(tmp_path / "out"), "--time", "per_bin",
                 "--time-mapping", "V4=90,50,4", "--time-mapping", "IT=100,100,2", *FAST_OPTIONS])
    assert code == 0
    scores = read_scores(tmp_path / "out" / "scores_per_bin.nc")
    assert set(scores["region"].values) == {"V4", "IT"}
    assert "IT: nearest start from 100 ms, 100 ms per step, 2 steps" in scores.attrs["time_mapping"]
    assert np.isfinite(scores["score"].values).all()


def test_a_region_without_an_assigned_area_is_skipped_and_said_so(model_file, benchmark_folder, tmp_path):
    benchmark = load_benchmark(benchmark_folder)
    model, _ = load_model(f"{model_file}:build", wrap_areas={"V4": "V4.output"}, image_size=32)
    with pytest.warns(UserWarning, match=r"\['IT'\] have no assigned model area"):
        result = score_model(model, benchmark, model_name="cornet", settings=FAST, time_modes=("per_bin",),
                             cache=False, progress=False)
    assert list(result.scores["per_bin"]["region"].values) == ["V4"] and result.skipped_regions == ["IT"]
    assert result.scores["per_bin"].attrs["skipped_regions"] == "IT"
    model, _ = load_model(f"{model_file}:build", wrap_areas={"early": "V2.output"}, image_size=32)
    with pytest.raises(ConfigError, match="--select-areas"):
        score_model(model, benchmark, model_name="cornet", settings=FAST, cache=False, progress=False)


def test_an_untrained_model_is_the_same_every_time_from_its_recorded_seed(benchmark_folder, tmp_path):
    def run(seed, folder):
        torch.manual_seed(1234 + len(folder))                       # whatever the global generator holds
        assert main(["score", "convrnn_shallow_time_decay", "--benchmark", str(benchmark_folder), "--image-size",
                     "32", "--model-arg", "width=0.05", "--model-arg", "n_classes=8", "--time", "per_bin",
                     "--out", str(tmp_path / folder), "--init-seed", str(seed), *FAST_OPTIONS]) == 0
        return read_scores(tmp_path / folder / "scores_per_bin.nc")

    first, again, other = run(0, "a"), run(0, "bb"), run(5, "ccc")
    assert first.attrs["weights_hash"] == again.attrs["weights_hash"] != other.attrs["weights_hash"]
    assert (first.attrs["init_seed"], other.attrs["init_seed"]) == (0, 5)
    np.testing.assert_array_equal(first["r"].values, again["r"].values)
    assert not np.allclose(first["r"].values, other["r"].values)


def test_a_loaded_model_records_no_initialisation_seed(tmp_path):
    torch.manual_seed(0)
    model, _ = load_model("convrnn_shallow_time_decay", model_args={"width": 0.05, "n_classes": 8})
    weights = tmp_path / "weights.pt"
    torch.save(model.state_dict(), weights)
    from chronoscore.analyses.model_identity import model_identity
    assert model_identity(model, "m")["init_seed"] == 0
    loaded, _ = load_model("convrnn_shallow_time_decay", model_args={"width": 0.05, "n_classes": 8}, weights=weights)
    assert "init_seed" not in model_identity(loaded, "m")


@pytest.mark.parametrize("text, message", [("V4=90,50", "START_MS,DURATION_MS,STEPS"),
                                            ("=90,50,4", "REGION="), ("V4=90,50,0", "at least one step"),
                                            ("V4=a,50,4", "START_MS")])
def test_bad_time_mappings_say_how_to_write_them(text, message):
    with pytest.raises(ConfigError, match=message):
        TimeMapping.parse_region(text)


@pytest.mark.brainscore
@pytest.mark.parametrize("start, duration, steps", [(90, 50, 4), (100, 100, 2), (50, 100, 1), (70, 35, 5)])
@pytest.mark.parametrize("bins", ["10ms", "20ms_windows", "irregular"])
def test_nearest_start_steps_are_brainscores_cornet_choice(start, duration, steps, bins):
    from brainscore_vision.models.cornet_s.helpers.helpers import _build_time_mappings, find_nearest

    edges = {"10ms": [(t, t + 10) for t in range(0, 300, 10)],
             "20ms_windows": [(t, t + 20) for t in range(70, 250, 10)],
             "irregular": [(0, 35), (35, 90), (90, 95), (95, 180), (180, 181), (181, 400)]}[bins]
    committed = _build_time_mappings({"V4": (start, duration, steps)})["V4"]
    starts = np.array([committed[step][0] for step in range(steps)])
    expected = [int(np.flatnonzero(starts == find_nearest(starts, bin_start))[0]) for bin_start, _ in edges]
    mapping = TimeMapping("nearest_start", latency_ms=start, step_ms=duration, n_steps=steps)
    got = mapping.steps_for_bins(np.array([b[0] for b in edges]), np.array([b[1] for b in edges]), n_steps=6)
    assert got.tolist() == expected
