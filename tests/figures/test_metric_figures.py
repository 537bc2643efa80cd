"""Figures and the report drawn from real scored results of several metrics (pls, rsa, procrustes).

A tiny recurrent model is scored on a tiny embedded benchmark with each metric
and the results are written as ``chronoscore score`` writes them; the drawn
values are compared with the saved Scores read back with the Scores reader.
"""

import numpy as np
import pytest
from matplotlib.collections import PolyCollection

from chronoscore.analyses.datasets import load_benchmark
from chronoscore.analyses.embedded_benchmark import build_embedded_benchmark
from chronoscore.analyses.score import score_model, write_results
from chronoscore.errors import FileFormatError
from chronoscore.figures.gallery import find_inputs, plan_figures
from chronoscore.figures.predictivity_bars import predictivity_bars
from chronoscore.figures.predictivity_timecourse import predictivity_timecourse
from chronoscore.figures.report import write_report
from chronoscore.figures.step_bin_heatmap import step_bin_heatmap
from chronoscore.models import create_model
from chronoscore.neural_fit import FitSettings, read_scores
from chronoscore.neural_fit.metrics import get_metric
from chronoscore.neural_fit.metrics.cka import CKAOptions
from chronoscore.neural_fit.metrics.rsa import RSAOptions

LABELS = {"pls": "PLS held-out r (median over sites)", "rsa": "RSA (Spearman ρ)",
          "procrustes": "Procrustes distance (rad, lower is closer)"}
OPTIONS = {"pls": {"n_components": 4}, "rsa": {"test_size": 0.8}, "procrustes": {"test_size": 0.8}}


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    """{metric: run folder} of one tiny model scored with each metric (per_bin and matrix)."""
    import torch

    root = tmp_path_factory.mktemp("metric_runs")
    benchmark = load_benchmark(build_embedded_benchmark(root / "bench", n_images=64, image_size=32, seed=1))
    torch.manual_seed(0)
    model = create_model("convrnn_shallow_time_decay", input_size=32, width=0.05, n_classes=8)
    folders = {}
    for metric, options in OPTIONS.items():
        settings = FitSettings(metric=metric, metric_options=options, n_splits=2, train_size=0.8,
                               stratify="category_name", ceiling_splits=2)
        result = score_model(model, benchmark, model_name="tiny", settings=settings,
                             time_modes=("per_bin", "matrix"), cache=False, progress=False)
        folders[metric] = write_results(result, root / "results" / metric)
    return folders


def _saved(folder, mode="per_bin"):
    return read_scores(folder / f"scores_{mode}.nc")


@pytest.mark.parametrize("metric", list(LABELS))
def test_timecourse_of_each_metric_names_it_and_draws_its_saved_scores(scored, metric):
    figure = predictivity_timecourse([scored[metric]])
    assert figure.axes[0].get_ylabel() == LABELS[metric]
    saved = _saved(scored[metric])
    for axis, region in zip(figure.axes, saved["region"].values):
        line = next(line for line in axis.get_lines() if line.get_label() == "tiny")
        np.testing.assert_allclose(line.get_ydata(), saved["score"].sel(region=region).values, equal_nan=True)


def test_the_ceiling_band_is_in_the_scores_units(scored):
    """RSA's ceiling is an RDM reliability (drawn as it is); PLS's is of r² (drawn at its square root)."""
    for metric, transform in (("rsa", lambda c: c), ("pls", lambda c: np.sqrt(np.clip(c, 0, None)))):
        saved = _saved(scored[metric])
        axis = predictivity_timecourse([scored[metric]]).axes[0]
        band = next(c for c in axis.collections if isinstance(c, PolyCollection)
                    and c.get_label().startswith("ceiling"))
        top = band.get_paths()[0].vertices[:, 1]
        expected = transform(saved["ceiling"].isel(region=0).values)
        np.testing.assert_allclose(np.sort(np.unique(top[top != 0])), np.sort(np.unique(expected[expected != 0])))


def test_bars_of_a_distance_show_its_lowest_bin(scored):
    figure = predictivity_bars([scored["procrustes"]])
    best_axis = figure.axes[0]
    assert best_axis.get_title() == "lowest over time bins" and best_axis.get_ylabel() == LABELS["procrustes"]
    saved = _saved(scored["procrustes"])["score"].transpose("region", "time_bin").values
    heights = [patch.get_height() for patch in best_axis.patches]
    np.testing.assert_allclose(heights, np.nanmin(saved, axis=1))


def test_bars_of_rsa_show_its_highest_bin(scored):
    figure = predictivity_bars([scored["rsa"]])
    assert figure.axes[0].get_title() == "peak over time bins" and figure.axes[0].get_ylabel() == LABELS["rsa"]
    saved = _saved(scored["rsa"])["score"].transpose("region", "time_bin").values
    np.testing.assert_allclose([patch.get_height() for patch in figure.axes[0].patches], np.nanmax(saved, axis=1))


@pytest.mark.parametrize("metric", list(LABELS))
def test_heatmap_colour_bar_names_the_metric_and_dots_mark_the_best_step(scored, metric):
    figure = step_bin_heatmap(scored[metric])
    assert figure.axes[-1].get_ylabel() == LABELS[metric]
    saved = _saved(scored[metric], "matrix")["score"].transpose("region", "time_step", "time_bin").values
    pick = np.nanargmin if metric == "procrustes" else np.nanargmax
    dots = next(line for line in figure.axes[0].get_lines() if line.get_marker() == "o")
    np.testing.assert_array_equal(dots.get_ydata(), pick(saved[0], axis=0))


def test_models_scored_with_different_metrics_are_not_drawn_on_one_axis(scored):
    with pytest.raises(FileFormatError, match="one metric together"):
        predictivity_timecourse([scored["pls"], scored["rsa"]])


def test_the_gallery_draws_each_figure_of_scored_models_once_per_metric(scored):
    planned, _ = plan_figures(find_inputs(scored["pls"].parent))
    names = {figure.name for figure in planned}
    assert {f"predictivity_timecourse_{metric}" for metric in LABELS} <= names
    assert {f"predictivity_bars_{metric}" for metric in LABELS} <= names
    assert "predictivity_timecourse" not in names


def test_the_report_shows_every_metric_present(scored, tmp_path):
    report = write_report(scored["pls"].parent, tmp_path / "report.html")
    page = report.path.read_text(encoding="utf-8")
    for metric, label in LABELS.items():
        assert f"predictivity_timecourse_{metric}" in report.figures
        assert f"<td>{label}</td>" in page


def test_labels_follow_the_metric_options():
    assert get_metric("rsa").axis_label(RSAOptions(comparison="kendall_tau_a")) == "RSA (Kendall τ-a)"
    assert get_metric("rsa").axis_label(RSAOptions(rdm="euclidean")) == "RSA (Spearman ρ, euclidean RDM)"
    assert get_metric("cka").axis_label(CKAOptions()) == "CKA (0–1)"
    assert get_metric("cka").axis_label(CKAOptions(kernel="rbf")) == "CKA, RBF kernel (0–1)"


def test_scores_of_a_metric_not_registered_here_name_the_fix(tmp_path):
    from chronoscore.figures.score_scale import score_scale

    from .tiny_results import scores_dataset

    scores = scores_dataset(np.zeros((2, 3)))
    scores.attrs["metric_settings"] = '{"metric": "my_plugin_metric", "metric_options": {}}'
    with pytest.raises(FileFormatError, match="made by metric 'my_plugin_metric'.*import the module that registers it"):
        score_scale(scores, "run/scores_per_bin.nc")
    scores.attrs["metric_settings"] = "{not json"
    with pytest.raises(FileFormatError, match="metric_settings attribute is not JSON"):
        score_scale(scores, "run/scores_per_bin.nc")


def test_scores_against_a_brain_rdm_are_drawn_over_model_steps_with_the_metrics_label(tmp_path):
    from chronoscore.figures.rdm_similarity_over_steps import rdm_similarity_over_steps
    from tests.analyses.test_rdm_scoring import MODEL, MODEL_ARGS, write_kiani_layout

    from chronoscore.cli import main

    write_kiani_layout(tmp_path / "kiani")
    out = tmp_path / "results" / "kiani_run"
    assert main(["score", MODEL, "--benchmark", "kiani2007_it", "--data-folder", str(tmp_path / "kiani"),
                 "--metric", "rsa", "--set", "metric_options.comparison=kendall_tau_a",
                 "--set", "metric_options.test_size=0.5", "--set", "n_splits=2", "--out", str(out), *MODEL_ARGS,
                 "--no-cache", "--quiet"]) == 0
    figure = rdm_similarity_over_steps(out)
    axis = figure.axes[0]
    saved = read_scores(out / "scores_per_step.nc")
    assert axis.get_ylabel() == "RSA (Kendall τ-a)" and axis.get_xlabel() == "model time step (ms)"
    lines = {line.get_label(): line for line in axis.get_lines()}
    assert set(lines) == set(saved["area"].values)
    for area, line in lines.items():
        np.testing.assert_allclose(line.get_xdata(), saved["time_ms"].values)
        np.testing.assert_allclose(line.get_ydata(), saved["score"].sel(area=area).values, equal_nan=True)
    planned, _ = plan_figures(find_inputs(tmp_path / "results"))
    assert [figure.name for figure in planned] == ["rdm_similarity_over_steps"]
