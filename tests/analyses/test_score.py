"""Scoring a model on a benchmark: areas, time modes, results on disk, the command."""

import json

import numpy as np
import pytest

from chronoscore.analyses.area_selection import areas_named_after_regions, select_areas, selection_split
from chronoscore.analyses.datasets import load_benchmark
from chronoscore.analyses.embedded_benchmark import build_embedded_benchmark
from chronoscore.analyses.extraction import extract
from chronoscore.analyses.score import score_model, write_results
from chronoscore.cli import main
from chronoscore.errors import ConfigError
from chronoscore.models import create_model
from chronoscore.neural_fit import FitSettings, neural_predictivity, read_scores

FAST = FitSettings(metric_options={"n_components": 8}, n_splits=3, train_size=0.8, stratify="category_name")


@pytest.fixture(scope="module")
def benchmark_folder(tmp_path_factory):
    return build_embedded_benchmark(tmp_path_factory.mktemp("bench"), n_images=64, image_size=32, seed=1)


@pytest.fixture(scope="module")
def benchmark(benchmark_folder):
    return load_benchmark(benchmark_folder)


@pytest.fixture(scope="module")
def model():
    import torch

    torch.manual_seed(0)
    return create_model("convrnn_shallow_time_decay", input_size=32, width=0.05, n_classes=8)


def test_areas_named_after_regions_follow_the_paper_assignment():
    areas = ["conv1", "conv2", "conv3", "conv4", "V4_conv5", "V4_conv6", "pIT_conv7", "pIT_conv8", "cIT_conv9",
             "aIT_conv10"]
    assert areas_named_after_regions(areas, ["V4", "IT", "V1"]) == {"V4": "V4_conv6", "IT": "aIT_conv10"}


def test_scores_equal_a_direct_fit_of_the_assigned_areas(benchmark, model, tmp_path):
    result = score_model(model, benchmark, model_name="tiny", settings=FAST, time_modes=("per_bin", "matrix"),
                         cache=tmp_path / "cache", progress=False)
    assert result.areas == {"V4": "V4_conv3", "IT": "IT_conv5"}
    assert len(list((tmp_path / "cache").glob("tiny-*.npz"))) == 1
    activations = extract(model, benchmark.stimulus_set, areas=["V4_conv3", "IT_conv5"], cache=False,
                          progress=False)
    features = {region: activations.isel(neuroid=activations["layer"].values == area)
                for region, area in result.areas.items()}
    settings = FitSettings(metric_options={"n_components": 8}, n_splits=3, train_size=0.8, stratify="category_name")
    expected = neural_predictivity(features, benchmark.assembly, settings, progress=False)
    np.testing.assert_allclose(result.scores["per_bin"]["r"].values, expected["r"].values, atol=1e-10,
                               equal_nan=True)
    assert result.scores["matrix"]["r"].dims == ("split", "time_step", "neuroid", "time_bin")
    assert "ceiled_score" in result.scores["per_bin"]

    folder = write_results(result, tmp_path / "tiny")
    assert json.loads((folder / "model.json").read_text())["parameters"] == result.parameters
    saved = read_scores(folder / "scores_per_bin.nc")
    np.testing.assert_allclose(saved["r"].values, result.scores["per_bin"]["r"].values, equal_nan=True)
    assert saved.attrs["benchmark"] == benchmark.name and "| V4" in (folder / "summary.md").read_text()


def test_selected_areas_never_see_the_scored_stimuli(benchmark, model):
    selecting, scoring = selection_split(benchmark.assembly, 0.25, seed=1, stratify="category_name")
    assert not set(selecting) & set(scoring) and len(selecting) == 16
    result = score_model(model, benchmark, model_name="tiny", areas="select", settings=FAST,
                         time_modes=("per_bin",), selection_fraction=0.25, cache=False, progress=False)
    assert result.scores["per_bin"].attrs["n_stimuli"] == len(scoring)
    activations = extract(model, benchmark.stimulus_set, cache=False, progress=False)
    mapping, table = select_areas(activations, benchmark.assembly, selecting, FAST)
    assert mapping == result.areas
    assert table.sel(region="IT", area=mapping["IT"]) == table.sel(region="IT").max()


def test_bad_area_assignments_are_rejected(benchmark, model):
    with pytest.raises(ConfigError, match="has no area"):
        score_model(model, benchmark, model_name="tiny", areas={"IT": "pulvinar"}, settings=FAST, progress=False)
    with pytest.raises(ConfigError, match="has no region"):
        score_model(model, benchmark, model_name="tiny", areas={"MT": "conv1"}, settings=FAST, progress=False)


@pytest.mark.parametrize("cache_options, entries_in", [
    (["--cache-dir", "{tmp}/chosen"], "chosen"),
    (["--no-cache"], None),
    ([], "home"),
])
def test_score_command_writes_results(benchmark_folder, tmp_path, capsys, monkeypatch, cache_options, entries_in):
    monkeypatch.setenv("CHRONOSCORE_HOME", str(tmp_path / "home"))
    folder = tmp_path / "out"
    code = main(["score", "convrnn_shallow_time_decay", "--benchmark", str(benchmark_folder),
                 "--out", str(folder), "--image-size", "32", "--model-arg", "width=0.05", "--model-arg",
                 "n_classes=8", "--time", "per_bin", "--set", "metric_options.n_components=8", "--set", "n_splits=3",
                 "--set", "train_size=0.8", "--set", "stratify=category_name", "--quiet",
                 *[option.format(tmp=tmp_path) for option in cache_options]])
    assert code == 0
    assert (folder / "scores_per_bin.nc").is_file() and "results written to" in capsys.readouterr().out
    entries = {place: list(tmp_path.glob(f"{place}/**/convrnn_shallow_time_decay-*.npz"))
               for place in ("chosen", "home")}
    assert {place: len(found) for place, found in entries.items()} == {
        place: int(place == entries_in) for place in ("chosen", "home")}


def test_score_command_refuses_contradicting_cache_options(benchmark_folder, tmp_path, capsys):
    code = main(["score", "convrnn_shallow_time_decay", "--benchmark", str(benchmark_folder), "--out",
                 str(tmp_path / "out"), "--no-cache", "--cache-dir", str(tmp_path), "--quiet"])
    assert code == 2 and "contradict" in capsys.readouterr().err



def test_a_benchmark_folder_with_sliding_windows_is_refused_unless_its_bins_are_aligned(benchmark_folder, tmp_path):
    import shutil

    from chronoscore.errors import DataFormatError
    from chronoscore.neural_fit.netcdf_io import read_assembly

    folder = tmp_path / "sliding"
    shutil.copytree(benchmark_folder, folder)
    contiguous = read_assembly(benchmark_folder / "assembly.nc", allow_nan=True)
    # 20 ms windows every 10 ms: each the mean of two neighbouring 10 ms bins
    windows = (contiguous.isel(time_bin=slice(None, -1)).values + contiguous.isel(time_bin=slice(1, None)).values) / 2
    sliding = contiguous.isel(time_bin=slice(None, -1)).copy(data=windows)
    sliding = sliding.assign_coords(time_bin_end=("time_bin", contiguous["time_bin_end"].values[1:]))
    (folder / "assembly.nc").unlink()
    sliding.to_dataset(name="data").to_netcdf(folder / "assembly.nc")  # write_assembly would refuse the overlap
    with pytest.raises(DataFormatError, match="time bins overlap"):
        load_benchmark(folder)
    aligned = load_benchmark(folder, overlapping_bins="align_10ms").assembly
    starts = contiguous["time_bin_start"].values
    # 10 ms bins from the first window's start to 20 ms before the last window's end (Brain-Score's range)
    assert aligned["time_bin_start"].values.tolist() == list(starts[:-1])
    # 70-80 ms lies in the first window only; 80-90 ms in halves of the first two
    np.testing.assert_allclose(aligned.isel(time_bin=0).values, windows[..., 0], rtol=1e-5)
    np.testing.assert_allclose(aligned.isel(time_bin=1).values, (windows[..., 0] + windows[..., 1]) / 2, rtol=1e-5)


@pytest.mark.parametrize("flag, expected", [([], "refuse"), (["--align-time-bins"], "align_10ms")])
def test_score_command_passes_the_time_bin_choice_to_the_benchmark_loader(tmp_path, monkeypatch, flag, expected):
    from chronoscore.analyses import datasets

    asked = []

    def refuse_to_load(name, **options):
        asked.append(options["overlapping_bins"])
        raise ConfigError("stop here")

    monkeypatch.setattr(datasets, "load_benchmark", refuse_to_load)  # the command imports it when it runs
    assert main(["score", "ff_shallow", "--benchmark", str(tmp_path), "--out", str(tmp_path / "out"), *flag]) != 0
    assert asked == [expected]


@pytest.fixture(scope="module")
def slow_model():
    """A model whose steps are 25 ms apart, not the usual 10."""
    import torch

    torch.manual_seed(0)
    return create_model("convrnn_shallow_time_decay", input_size=32, width=0.05, n_classes=8, step_ms=25.0)


def test_the_time_mapping_reads_the_models_step_from_the_activations(benchmark, slow_model, tmp_path):
    result = score_model(slow_model, benchmark, model_name="slow", settings=FAST, time_modes=("per_bin",),
                         cache=tmp_path, progress=False)
    scores = result.scores["per_bin"]
    activations = extract(slow_model, benchmark.stimulus_set, areas=list(result.areas.values()), cache=tmp_path,
                          progress=False)
    centres = (scores["time_bin_start"].values + scores["time_bin_end"].values) / 2
    for region, area in result.areas.items():
        n_steps = int(activations["layer_steps"].values[activations["layer"].values == area][0])
        expected = np.clip(np.floor((centres - 70) / 25), 0, n_steps - 1).astype(int)
        assert (scores["step_for_bin"].sel(region=region).values == expected).all()
    assert "latency 70 ms, 25 ms per step" in scores.attrs["time_mapping"]


def test_a_mapping_step_that_contradicts_the_model_is_an_error_not_overridden(benchmark, slow_model, tmp_path):
    import dataclasses

    from chronoscore.neural_fit import TimeMapping

    settings = dataclasses.replace(FAST, mapping=TimeMapping("latency", step_ms=10))
    with pytest.raises(ConfigError, match=r"step_ms is 10 ms but the features' time_ms advance 25 ms per step"):
        score_model(slow_model, benchmark, model_name="slow", settings=settings, time_modes=("per_bin",),
                    cache=tmp_path, progress=False)
    agreeing = dataclasses.replace(FAST, mapping=TimeMapping("latency", step_ms=25))
    result = score_model(slow_model, benchmark, model_name="slow", settings=agreeing, time_modes=("per_bin",),
                         cache=tmp_path, progress=False)
    assert "latency 70 ms, 25 ms per step" in result.scores["per_bin"].attrs["time_mapping"]


@pytest.mark.parametrize("options, metric, metric_options", [
    ([], "pls", {"n_components": 8}),
    (["--metric", "ridge"], "ridge", {}),                       # the benchmark's pls options do not carry over
    (["--metric", "ridge", "--set", "metric_options.alpha=3"], "ridge", {"alpha": 3.0}),
])
def test_score_command_takes_the_metric_from_the_registry(benchmark, tmp_path, monkeypatch, options, metric,
                                                         metric_options):
    import dataclasses

    from chronoscore.analyses import datasets
    from chronoscore.analyses import score as score_module

    used = []

    def stop_before_scoring(model, bench, **arguments):
        used.append(arguments["settings"])
        raise ConfigError("stop here")

    monkeypatch.setattr(datasets, "load_benchmark", lambda name, **_: dataclasses.replace(benchmark, settings=FAST))
    monkeypatch.setattr(score_module, "score_model", stop_before_scoring)
    assert main(["score", "ff_shallow", "--out", str(tmp_path / "out"), *options]) != 0
    assert (used[0].metric, used[0].metric_options) == (metric, metric_options)


@pytest.mark.parametrize("metric", ["rsa", "cka"])
def test_score_command_runs_the_representational_metrics(benchmark_folder, tmp_path, metric):
    from chronoscore.neural_fit.results_io import read_scores

    folder = tmp_path / "out"
    code = main(["score", "convrnn_shallow_time_decay", "--benchmark", str(benchmark_folder), "--out", str(folder),
                 "--image-size", "32", "--model-arg", "width=0.05", "--model-arg", "n_classes=8", "--time", "per_bin",
                 "--metric", metric, "--set", "n_splits=3", "--set", "stratify=category_name", "--set",
                 "metric_options.test_size=0.5", "--no-cache",
                 "--quiet"])
    assert code == 0
    scores = read_scores(folder / "scores_per_bin.nc")
    assert f'"metric": "{metric}"' in scores.attrs["metric_settings"]
    assert scores["similarity"].dims == ("split", "region", "time_bin")
    np.testing.assert_allclose(scores["score"].values, scores["similarity"].values.mean(axis=0), atol=1e-14)
