"""The ``procrustes`` metric against the orthogonal Procrustes problem solved by hand here."""

import numpy as np
import pytest
from scipy.stats import ortho_group
from sklearn.model_selection import StratifiedShuffleSplit

from chronoscore.neural_fit.assembly import average_repetitions
from chronoscore.neural_fit.metrics.procrustes import angular_distance
from chronoscore.neural_fit.scoring import neural_predictivity
from chronoscore.neural_fit.settings import FitSettings
from chronoscore.neural_fit.time_mapping import TimeMapping

from .synthetic import recording


def hand_angle(x, y):
    """Centre, scale to unit norm, zero-pad to one width, rotate y onto x, and take the angle."""
    x = x - x.mean(0)
    y = y - y.mean(0)
    x, y = x / np.sqrt((x ** 2).sum()), y / np.sqrt((y ** 2).sum())
    width = max(x.shape[1], y.shape[1])
    x = np.hstack([x, np.zeros((len(x), width - x.shape[1]))])
    y = np.hstack([y, np.zeros((len(y), width - y.shape[1]))])
    u, _, vt = np.linalg.svd(y.T @ x)
    rotation = u @ vt                                  # the orthogonal Q maximising tr(xᵀ y Q)
    best = np.trace(x.T @ y @ rotation)
    for seed in range(20):                             # no other rotation aligns them better
        other = ortho_group.rvs(width, random_state=seed)
        assert np.trace(x.T @ y @ other) <= best + 1e-12
    return np.arccos(np.clip(best, -1, 1))


@pytest.mark.parametrize("seed, n, p, q", [(0, 12, 5, 3), (1, 30, 4, 9), (2, 8, 6, 6)])
def test_angular_distance_is_the_angle_after_the_best_rotation(seed, n, p, q):
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal((n, p)), rng.standard_normal((n, q))
    assert angular_distance(x, y) == pytest.approx(hand_angle(x, y), abs=1e-10)
    moved = 3.0 * x @ ortho_group.rvs(p, random_state=seed) + 7.0   # scaled, rotated, translated
    assert angular_distance(x, moved) == pytest.approx(0.0, abs=1e-6)
    assert angular_distance(x, y) == pytest.approx(angular_distance(y, x), abs=1e-12)


@pytest.mark.parametrize("time", ["per_bin", "matrix"])
def test_the_metric_takes_the_angle_on_each_splits_held_out_stimuli(time):
    model, raw = recording(3, n_objects=4, per_object=8, n_bins=2, n_steps=2, n_features=7, n_neuroids=5)
    settings = FitSettings(metric="procrustes", metric_options={"test_size": 0.5}, n_splits=3, time=time,
                           mapping=TimeMapping(kind="table", table=(1, 0)))
    scores = neural_predictivity(model, raw, settings, progress=False)
    averaged = average_repetitions(raw)
    x = model.transpose("time_step", "presentation", "neuroid").values
    y = averaged.values
    splitter = StratifiedShuffleSplit(n_splits=3, test_size=0.5, random_state=1)
    for s, (_, test) in enumerate(splitter.split(np.zeros(32), averaged["object_name"].values)):
        for b in range(2):
            if time == "matrix":
                for step in range(2):
                    assert scores["similarity"].values[s, 0, step, b] == pytest.approx(
                        hand_angle(x[step][test], y[test, :, b]), abs=1e-10)
            else:
                assert scores["similarity"].values[s, 0, b] == pytest.approx(
                    hand_angle(x[1 - b][test], y[test, :, b]), abs=1e-10)
    assert "ceiling" not in scores


def test_the_best_mapping_picks_the_closest_step():
    model, raw = recording(4, n_objects=4, per_object=10, n_bins=2, n_steps=3, n_features=6, noise=0.3)
    settings = FitSettings(metric="procrustes", metric_options={"test_size": 0.5}, n_splits=2,
                           mapping=TimeMapping(kind="best"))
    scores = neural_predictivity(model, raw, settings, progress=False)
    assert list(scores["step_for_bin"].values[0, 0]) == [0, 1]  # bin b reads out step min(b, 2)


def test_the_summary_table_shows_the_closest_step_of_each_bin():
    from chronoscore.neural_fit.scoring import score_time_modes
    from chronoscore.neural_fit.summary import score_table

    model, raw = recording(3, n_objects=4, per_object=6, n_bins=2, n_steps=3, n_features=15, noise=0.5)
    settings = FitSettings(metric="procrustes", metric_options={"test_size": 0.5}, n_splits=2)
    scores = score_time_modes(model, raw, settings, ("matrix",), progress=False)["matrix"]
    table = score_table(scores)
    assert "| distance" in table
    for b in range(2):
        values = scores["score"].isel(region=0, time_bin=b).values
        row = table.splitlines()[2 + b].split("|")
        assert float(row[3]) == pytest.approx(np.nanmin(values), abs=5e-4)
        assert int(row[5]) == int(np.nanargmin(values))
