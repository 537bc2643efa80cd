"""Scoring a model against a brain RDM given without responses (``kiani2007_it``), on a small synthetic file.

The synthetic file has the layout of Kriegeskorte et al.'s supplemental data
(``stimuli_92objs`` with images and category flags, ``RDMs_mIT_hIT_fig1`` with
named RDMs), with 12 images; its RDM is that of the images' pixels plus noise.
"""

import numpy as np
import pytest
from scipy.io import savemat
from scipy.stats import kendalltau, spearmanr

from chronoscore.analyses.datasets import load_benchmark
from chronoscore.analyses.datasets.kiani2007_it import KIANI_FILE
from chronoscore.analyses.extraction import extract
from chronoscore.analyses.model_source import load_model
from chronoscore.analyses.rdm_scoring import rdm_splits
from chronoscore.analyses.score import score_model
from chronoscore.cli import main
from chronoscore.errors import ConfigError, DataFormatError
from chronoscore.neural_fit import FitSettings, read_scores
from chronoscore.neural_fit.metrics.rsa import RSAOptions, rsa_with_reference

N_IMAGES = 12
MODEL = "convrnn_shallow_time_decay"
MODEL_ARGS = ["--model-arg", "width=0.05", "--image-size", "32"]


def write_kiani_layout(folder, n=N_IMAGES, seed=0):
    """A .mat file shaped like the supplemental data; returns the monkey IT RDM written."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, 20, 20, 3), dtype=np.uint8)
    fields = [("category", object), ("human", object), ("face", object), ("animal", object), ("natural", object),
              ("image", object)]
    stimuli = np.zeros(n, dtype=fields)
    for index in range(n):
        stimuli[index] = (f"cat{index % 3}", index % 2, index % 3 == 0, index % 4 == 0, 1, images[index])
    pixels = images.reshape(n, -1).astype(float)
    rdm = 1 - np.corrcoef(pixels) + rng.uniform(0, 0.05, (n, n))
    rdm = (rdm + rdm.T) / 2
    np.fill_diagonal(rdm, 0)
    rdms = np.zeros(2, dtype=[("name", object), ("RDM", object)])
    rdms[0] = ("mIT (Kiani)", rdm)
    rdms[1] = ("hIT (fMRI)", np.zeros((n, n)))
    folder.mkdir(parents=True, exist_ok=True)
    savemat(folder / KIANI_FILE, {"stimuli_92objs": stimuli, "RDMs_mIT_hIT_fig1": rdms})
    return rdm


@pytest.fixture(scope="module")
def kiani_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("kiani")
    return folder, write_kiani_layout(folder)


def _independent_rsa(activations, area, step, reference, stimuli, compare=spearmanr):
    """Spearman of the triangles of 1 − Pearson r of the area's patterns at ``step`` and the reference."""
    patterns = activations.isel(neuroid=activations["layer"].values == area, time_step=step).values[stimuli]
    rows, columns = np.triu_indices(len(stimuli), 1)
    model_rdm = 1 - np.corrcoef(patterns.astype(np.float64))
    return compare(model_rdm[rows, columns], reference[np.ix_(stimuli, stimuli)][rows, columns]).statistic


def test_the_command_compares_every_area_per_model_step_and_says_how_time_is_handled(kiani_folder, tmp_path,
                                                                                       capsys):
    folder, reference = kiani_folder
    out = tmp_path / "out"
    assert main(["score", MODEL, "--benchmark", "kiani2007_it", "--data-folder", str(folder), "--metric", "rsa",
                 "--out", str(out), *MODEL_ARGS, "--set", "metric_options.cross_validate=false", "--no-cache",
                 "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "no time bins" in printed and "each model step's RDM is compared with it" in printed
    assert "| area" in printed and "model step" in printed
    scores = read_scores(out / "scores_per_step.nc")
    model, _ = load_model(MODEL, model_args={"width": 0.05}, image_size=32)
    assert list(scores["area"].values) == list(model.areas)
    assert scores["score"].dims == ("area", "time_step") and scores.sizes["split"] == 1
    assert "no time bins" in scores.attrs["time_handling"] and scores.attrs["model"] == MODEL
    benchmark = load_benchmark("kiani2007_it", folder=folder)
    activations = extract(model, benchmark.stimulus_set, cache=False, progress=False)
    everyone = np.arange(N_IMAGES)
    checked = 0
    for area in model.areas:
        for step in scores["time_step"].values:
            value = float(scores["score"].sel(area=area, time_step=step))
            if np.isfinite(value):
                expected = _independent_rsa(activations, area, int(step), reference, everyone)
                assert value == pytest.approx(expected, abs=1e-9)
                checked += 1
    assert checked >= len(model.areas)


def test_cross_validated_splits_compare_the_held_out_stimuli_only(kiani_folder):
    folder, reference = kiani_folder
    benchmark = load_benchmark("kiani2007_it", folder=folder)
    model, _ = load_model(MODEL, model_args={"width": 0.05}, image_size=32)
    settings = FitSettings(metric="rsa", metric_options={"test_size": 0.5, "comparison": "kendall_tau_a"},
                           n_splits=3, stratify=None)
    result = score_model(model, benchmark, model_name="tiny", areas={"IT": model.areas[-1]}, settings=settings,
                         cache=False, progress=False)
    scores = result.scores["per_step"]
    assert list(scores["area"].values) == [model.areas[-1]] and scores.sizes["split"] == 3
    activations = extract(model, benchmark.stimulus_set, areas=[model.areas[-1]], cache=False, progress=False)
    step = int(scores["time_step"].values[-1])
    for split, (_, test) in enumerate(rdm_splits(benchmark, settings)):
        assert len(test) == N_IMAGES // 2
        tau_b = _independent_rsa(activations, model.areas[-1], step, reference, np.sort(test), kendalltau)
        # tau-a equals tau-b without ties, which real-valued dissimilarities do not have
        assert float(scores["similarity"].isel(split=split, area=0, time_step=-1)) == pytest.approx(tau_b, abs=1e-9)


@pytest.mark.parametrize("metric", ["pls", "cka", "reverse_pls", "procrustes", "ridge"])
def test_a_metric_that_needs_responses_is_refused_before_extracting(kiani_folder, tmp_path, capsys, metric):
    folder, _ = kiani_folder
    code = main(["score", MODEL, "--benchmark", "kiani2007_it", "--data-folder", str(folder), "--metric", metric,
                 "--out", str(tmp_path / "out"), *MODEL_ARGS, "--no-cache", "--quiet"])
    assert code == 2
    error = capsys.readouterr().err
    assert f"the metric {metric!r}, which needs responses" in error and "--metric rsa" in error


def test_choosing_areas_by_data_crossnobis_and_too_few_compared_stimuli_are_refused(kiani_folder):
    folder, _ = kiani_folder
    benchmark = load_benchmark("kiani2007_it", folder=folder)
    model, _ = load_model(MODEL, model_args={"width": 0.05}, image_size=32)
    with pytest.raises(ConfigError, match="leave out --select-areas"):
        score_model(model, benchmark, model_name="m", areas="select", settings=FitSettings(metric="rsa"),
                    cache=False, progress=False)
    crossnobis = FitSettings(metric="rsa", metric_options={"rdm": "crossnobis"})
    with pytest.raises(ConfigError, match="rdm='crossnobis' needs repeated trials.*choose rdm='correlation'"):
        score_model(model, benchmark, model_name="m", settings=crossnobis, cache=False, progress=False)
    few = FitSettings(metric="rsa", metric_options={"test_size": 0.15}, stratify=None)
    with pytest.raises(DataFormatError, match="split 0 compares 2 stimuli; an RDM comparison needs at least 3"):
        score_model(model, benchmark, model_name="m", settings=few, cache=False, progress=False)


def test_a_malformed_reference_rdm_is_named():
    import xarray as xr

    features = {"area": xr.DataArray(np.random.default_rng(0).normal(size=(4, 3, 1)),
                                     dims=("presentation", "neuroid", "time_step"),
                                     coords={"stimulus_id": ("presentation", list("abcd")), "time_step": [0]})}
    everyone = [(np.array([], dtype=int), np.arange(4))]
    with pytest.raises(DataFormatError, match="is \\(3, 3\\) but there are 4 stimuli"):
        rsa_with_reference(features, np.zeros((3, 3)), list("abcd"), RSAOptions(), everyone)
    asymmetric = np.arange(16.0).reshape(4, 4)
    with pytest.raises(DataFormatError, match="not symmetric"):
        rsa_with_reference(features, asymmetric, list("abcd"), RSAOptions(), everyone)
    with pytest.raises(DataFormatError, match="NaN or infinite"):
        rsa_with_reference(features, np.full((4, 4), np.nan), list("abcd"), RSAOptions(), everyone)
