"""The figures of a sweep folder: the score over a training run's checkpoints and the time course of the top models.

A tiny sweep is run for real (a 6-step training run saved at steps 2, 4 and 6, and a tiny feedforward model, on a
small embedded benchmark); what each figure plots is checked against the cells' own score files, read here.
"""

import json
import shutil

import numpy as np
import pytest
import torch

from chronoscore.analyses.embedded_benchmark import build_embedded_benchmark
from chronoscore.analyses.training_data import train
from chronoscore.cli import main
from chronoscore.errors import ConfigError, NothingToDrawError
from chronoscore.figures.gallery import draw, find_inputs, plan_figures
from chronoscore.figures.predictivity_over_checkpoints import predictivity_over_checkpoints
from chronoscore.figures.top_models_timecourse import top_models_timecourse
from chronoscore.neural_fit import read_scores
from tests.analyses.sweeps.conftest import TINY_FEEDFORWARD, write_sweep
from tests.models.training.tiny_recipes import tiny_recipe

CHECKPOINT_STEPS = [2, 4, 6]
TINY_RUN_AREAS = "V4=V4_conv3,IT=IT_conv5"


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    """A finished sweep of a training run's three checkpoints and a feedforward model (four per-bin cells)."""
    root = tmp_path_factory.mktemp("sweep_figures")
    benchmark = build_embedded_benchmark(root / "benchmark", n_images=64, image_size=32, seed=1)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    train(tiny_recipe(steps=6, checkpoint_every=2), root / "tiny_run", progress=False)
    torch.set_num_threads(threads)
    run_entry = {"run": str(root / "tiny_run"), "checkpoints": "all", "areas": TINY_RUN_AREAS}
    sweep_file = write_sweep(root / "sweep.yaml", benchmark, [run_entry, TINY_FEEDFORWARD])
    assert main(["sweep", str(sweep_file), "--out", str(root / "sweep"), "--max-parallel", "2"]) == 0
    return root / "sweep"


def cells_read_by_hand(sweep):
    """Each finished cell's per-bin Scores and model.json, read from its files."""
    cells = {}
    for folder in sorted(path for path in sweep.iterdir() if (path / "cell.json").is_file()):
        cells[folder.name] = (read_scores(folder / "scores_per_bin.nc"), json.loads((folder / "model.json").read_text()))
    return cells


def ceiled_by_hand(scores, region):
    """(ceiled score per bin, its error per bin): r² / ceiling and 2 |r| SE / ceiling, NaN below the floor."""
    r, error, ceiling = (scores[name].sel(region=region).values for name in ("score", "error", "ceiling"))
    ceiled = scores["ceiled_score"].sel(region=region).values
    np.testing.assert_allclose(ceiled[np.isfinite(ceiled)], (r**2 / ceiling)[np.isfinite(ceiled)], rtol=1e-10)
    return ceiled, np.where(np.isfinite(ceiled), 2 * np.abs(r) * error / ceiling, np.nan)


def mean_by_hand(scores, region, values):
    """Mean of per-bin ``values`` over the bins with a usable ceiling (the others left out), a missing value as 0."""
    ceiling = scores["ceiling"].sel(region=region).values
    usable = np.isfinite(ceiling) & ~scores["ceiling_below_floor"].sel(region=region).values
    return np.mean(np.where(np.isfinite(values), values, 0.0)[usable])


def panels(figure):
    return {axis.get_title(): axis for axis in figure.axes if axis.get_visible() and axis.get_title()}


def test_the_checkpoint_figure_plots_each_checkpoint_s_mean_ceiled_score_at_its_training_step(sweep):
    cells = cells_read_by_hand(sweep)
    checkpoints = {name: cell for name, cell in cells.items() if "checkpoint_step" in cell[1]}
    assert sorted(info["checkpoint_step"] for _, info in checkpoints.values()) == CHECKPOINT_STEPS
    figure = predictivity_over_checkpoints(sweep)
    by_region = panels(figure)
    assert sorted(by_region) == ["IT", "V4"]
    for region, axis in by_region.items():
        [line] = axis.containers                                          # one training run, one line
        assert line.get_label() == "tiny_run"
        steps, means, errors = [], [], []
        for scores, info in sorted(checkpoints.values(), key=lambda cell: cell[1]["checkpoint_step"]):
            ceiled, error = ceiled_by_hand(scores, region)
            steps.append(info["checkpoint_step"])
            means.append(mean_by_hand(scores, region, ceiled))
            errors.append(mean_by_hand(scores, region, error))
        data = line.lines[0]
        np.testing.assert_array_equal(np.asarray(data.get_xdata(), dtype=float), steps)
        np.testing.assert_allclose(np.asarray(data.get_ydata(), dtype=float), means, rtol=1e-10)
        bars = np.array(line.lines[2][0].get_segments())                  # (points, [low, high], [x, y])
        np.testing.assert_allclose(bars[:, 1, 1] - bars[:, 0, 1], 2 * np.array(errors), rtol=1e-8)
    assert "noise-corrected r²" in figure.axes[0].get_ylabel() and "training step" in figure.texts[0].get_text()


def test_the_top_models_figure_draws_the_leaderboard_s_best_cells_in_order_with_their_bins(sweep):
    cells = cells_read_by_hand(sweep)
    figure = top_models_timecourse(sweep, top=2)
    for region, axis in panels(figure).items():
        by_hand = {name: ceiled_by_hand(scores, region) for name, (scores, _) in cells.items()}
        means = {name: mean_by_hand(cells[name][0], region, by_hand[name][0]) for name in by_hand}
        ranked = sorted(by_hand, key=lambda name: means[name], reverse=True)
        assert len(ranked) == 4 and len(set(means.values())) == 4
        lines = axis.get_lines()
        assert [line.get_label() for line in lines] == [cells[name][1]["model"] for name in ranked[:2]]
        for line, band, name in zip(lines, axis.collections, ranked[:2]):
            scores, _ = cells[name]
            ceiled, error = by_hand[name]
            centres = (scores["time_bin_start"].values + scores["time_bin_end"].values) / 2
            np.testing.assert_array_equal(np.asarray(line.get_xdata(), dtype=float), centres)
            np.testing.assert_allclose(np.asarray(line.get_ydata(), dtype=float), ceiled, rtol=1e-10, equal_nan=True)
            corners = band.get_paths()[0].vertices
            for centre, value, spread in zip(centres, ceiled, error):
                if np.isfinite(value):
                    at = corners[np.isclose(corners[:, 0], centre), 1]
                    np.testing.assert_allclose([at.min(), at.max()], [value - spread, value + spread], rtol=1e-8)
    assert figure.axes[0].get_ylabel() == "noise-corrected r²"
    every = {line.get_label() for axis in panels(top_models_timecourse(sweep)).values() for line in axis.get_lines()}
    assert every == {info["model"] for _, info in cells.values()}      # the default 5 covers all four cells
    assert sum("#step" in label for label in every) == 3                # checkpoints are named by their step


def test_top_must_be_a_positive_count(sweep):
    for top in (0, -1, 2.5, True):
        with pytest.raises(ConfigError, match="how many of the leaderboard's best"):
            top_models_timecourse(sweep, top=top)


def test_the_commands_hand_top_models_to_the_figure(sweep, tmp_path, monkeypatch, capsys):
    import chronoscore.figures.gallery as gallery
    import chronoscore.figures.report as report

    planned, _ = plan_figures(find_inputs(sweep), {"top": 1})
    [top] = [item for item in planned if item.name == "top_models_timecourse"]
    for axis in panels(draw(top)).values():
        assert len(axis.get_lines()) == 1
    seen = []
    real = gallery.plan_figures
    def spy(inputs, options=None):
        seen.append(options)
        return real(inputs, options)

    monkeypatch.setattr(gallery, "plan_figures", spy)                  # the figures command imports it when run
    monkeypatch.setattr(report, "plan_figures", spy)                   # the report module imported it already
    assert main(["report", str(sweep), "--out", str(tmp_path / "report.html"), "--top-models", "2"]) == 0
    assert main(["figures", str(sweep), "--out", str(tmp_path / "figures")]) == 0
    assert seen == [{"top": 2}, {}]
    assert main(["figures", str(sweep), "--out", str(tmp_path / "figures"), "--top-models", "0"]) == 2
    assert "--top-models must be 1 or more, got 0" in capsys.readouterr().err


def test_report_and_figures_of_a_sweep_draw_both_and_a_sweep_without_checkpoints_skips_one_with_a_note(
        sweep, tmp_path, capsys):
    assert main(["report", str(sweep), "--out", str(tmp_path / "report.html")]) == 0
    page = (tmp_path / "report.html").read_text()
    assert 'id="predictivity_over_checkpoints"' in page and 'id="top_models_timecourse"' in page

    plain = tmp_path / "plain"                              # the same sweep's feedforward cell alone
    cell = next(path for path in sweep.iterdir() if path.name.startswith("ff_shallow"))
    shutil.copytree(cell, plain / cell.name)
    plan = json.loads((sweep / "sweep.json").read_text())
    (plain / "sweep.json").write_text(json.dumps({"cells": [c for c in plan["cells"] if c["name"] == cell.name]}))
    capsys.readouterr()
    assert main(["figures", str(plain), "--out", str(tmp_path / "figures")]) == 0
    printed = capsys.readouterr().out
    assert "drew    top_models_timecourse" in printed
    assert "skipped predictivity_over_checkpoints: " in printed and "no finished cell of the sweep scores a " \
        "training run's checkpoint" in printed
    planned, _ = plan_figures(find_inputs(plain))
    [checkpoints] = [item for item in planned if item.name == "predictivity_over_checkpoints"]
    assert draw(checkpoints).reason.startswith(str(plain))
    with pytest.raises(NothingToDrawError):
        predictivity_over_checkpoints(plain)
