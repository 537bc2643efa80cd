"""The leaderboard's error of a ceiled score (the score's error carried through the ceiling normalisation), and
cells of a metric without a ceiling (listed, not ranked). Ranking real cells is tested in test_sweep_command."""

import json

import numpy as np
import pytest
import xarray as xr

from chronoscore.analyses.run_folder import write_model_info
from chronoscore.analyses.sweeps.leaderboard import ceiled_error, leaderboard_rows, leaderboard_table
from chronoscore.neural_fit import write_scores
from tests.figures.tiny_results import scores_dataset

R = np.array([[0.3, -0.2, 0.0, 0.5], [0.6, 0.1, 0.4, 0.2]])
SE = np.array([[0.02, 0.03, 0.01, 0.05], [0.04, 0.02, 0.03, 0.01]])
CEILING = np.array([[0.8, 0.7, 0.9, 0.05], [0.6, 0.5, 0.85, 0.75]])   # the last V4 bin is below the floor


def scores_with(ceiled):
    dims = ("region", "time_bin")
    ceiled = np.where(CEILING >= 0.1, ceiled, np.nan)
    return xr.Dataset({"score": (dims, R), "error": (dims, SE), "ceiling": (dims, CEILING),
                       "ceiled_score": (dims, ceiled)}, coords={"region": ["V4", "IT"]})


@pytest.mark.parametrize("convention, derivative", [
    ("r2_over_ceiling", lambda r, c: 2 * np.abs(r) / c),          # d(r² / c) / dr
    ("squared_ratio", lambda r, c: 2 * np.abs(r) / c**2),         # d((r / c)²) / dr
])
def test_a_squared_ceiling_s_error_is_the_derivative_times_the_score_s_error(convention, derivative):
    ceiled = R**2 / CEILING if convention == "r2_over_ceiling" else (R / CEILING) ** 2
    error = ceiled_error(scores_with(ceiled), squared_ceiling=True).values
    expected = np.where(CEILING >= 0.1, derivative(R, CEILING) * SE, np.nan)
    np.testing.assert_allclose(error, expected, rtol=1e-12, equal_nan=True)
    assert error[0, 2] == 0.0                                    # at r = 0 the slope of r² is 0


def test_a_ceiling_in_the_score_s_units_divides_its_error():
    error = ceiled_error(scores_with(R / CEILING), squared_ceiling=False).values
    np.testing.assert_allclose(error, np.where(CEILING >= 0.1, SE / CEILING, np.nan), rtol=1e-12, equal_nan=True)


def write_cell(sweep, name, metric, ceiling, score=((0.3, 0.5), (0.2, 0.4)), below_floor=None):
    """A finished per-bin cell of ``metric`` (with a ceiling, or none) in a sweep folder; return its plan entry."""
    labels = {"model": name, "checkpoint": "", "benchmark": "tiny", "metric": metric, "time": "per_bin",
              "settings": ""}
    scores = scores_dataset(np.array(score, dtype=float), ceiling=ceiling, model=name)
    if below_floor is not None:
        scores["ceiling_below_floor"] = (("region", "time_bin"), np.array(below_floor))
        scores["ceiled_score"] = scores["ceiled_score"].where(~scores["ceiling_below_floor"])
    scores.attrs["metric_settings"] = json.dumps({"metric": metric})
    write_scores(scores, sweep / name / "scores_per_bin.nc")
    write_model_info(sweep / name, model=name, parameters=10)
    (sweep / name / "cell.json").write_text(json.dumps({"labels": labels, "provenance_hash": "h"}))
    return {"name": name, "argv": [], "labels": labels, "provenance_hash": "h"}


def test_a_metric_without_a_ceiling_is_listed_below_the_tables_not_ranked(tmp_path):
    plan = [write_cell(tmp_path, "net_pls", "pls", np.full((2, 2), 0.5)),
            write_cell(tmp_path, "net_procrustes", "procrustes", None)]
    (tmp_path / "sweep.json").write_text(json.dumps({"cells": plan}))
    rows = leaderboard_rows(tmp_path)
    assert {region: [row["cell"] for row in ranked] for region, ranked in rows.items()} == {
        "V4": ["net_pls"], "IT": ["net_pls"]}
    table = leaderboard_table(tmp_path)
    assert "| 1 | net_pls |  | pls | - | 10 | 0.340 |" in table                # V4: mean of 0.3²/0.5 and 0.5²/0.5
    assert table.rstrip().endswith("Not ranked (the metric reports no ceiling, so there is no ceiled score): "
                                   "net_procrustes (procrustes).")


def test_a_bin_without_a_score_counts_as_zero_where_the_ceiling_is_usable_and_is_left_out_where_it_is_not(tmp_path):
    ceiling = np.array([[0.5, 0.5, 0.05], [0.5, 0.5, 0.5]])
    below = ceiling < 0.1                                            # the last V4 bin is below the floor for both
    steady = [[0.3, 0.3, 0.3], [0.2, 0.2, 0.2]]
    silent_first = [[np.nan, 0.4, 0.3], [0.2, 0.2, 0.2]]            # its features carry nothing in V4's first bin
    plan = [write_cell(tmp_path, "steady", "pls", ceiling, steady, below),
            write_cell(tmp_path, "silent_first", "pls", ceiling, silent_first, below)]
    (tmp_path / "sweep.json").write_text(json.dumps({"cells": plan}))
    v4 = {row["cell"]: row for row in leaderboard_rows(tmp_path)["V4"]}
    assert v4["steady"]["mean"] == pytest.approx((0.3**2 / 0.5 + 0.3**2 / 0.5) / 2)     # the n/a bin left out
    assert v4["silent_first"]["mean"] == pytest.approx((0.0 + 0.4**2 / 0.5) / 2)        # 0.16 < 0.18 (0.32 if
    # the undefined bin were left out, which would rank it first)
    assert (v4["steady"]["undefined_bins"], v4["silent_first"]["undefined_bins"]) == (0, 1)
    assert [row["cell"] for row in leaderboard_rows(tmp_path)["V4"]] == ["steady", "silent_first"]
    table = leaderboard_table(tmp_path)
    assert "| 2 | silent_first |  | pls | - | 10 | 0.160 | undefined | 0.320 ± " in table
    assert table.count("| n/a |") == 2                                 # V4's last bin, one per cell
