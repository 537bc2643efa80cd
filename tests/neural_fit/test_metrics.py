"""The metric registry: names, options, and a metric added by one decorated function (here, in this file)."""

import dataclasses
import subprocess
import sys
from dataclasses import dataclass

import numpy as np
import pytest
import xarray as xr

from chronoscore.cli import build_parser, main
from chronoscore.errors import ConfigError
from chronoscore.neural_fit.assembly import average_repetitions
from chronoscore.neural_fit.metrics import get_metric, list_metrics, register_metric
from chronoscore.neural_fit.netcdf_io import write_assembly
from chronoscore.neural_fit.pls import PLSRegression
from chronoscore.neural_fit.predictivity import estimator_predictions
from chronoscore.neural_fit.results_io import read_scores, write_features
from chronoscore.neural_fit.scoring import cross_validated_scores, neural_predictivity
from chronoscore.neural_fit.settings import FitSettings
from chronoscore.neural_fit.splits import shuffle_splits
from chronoscore.neural_fit.time_mapping import TimeMapping

from .synthetic import recording


# --- a toy metric, registered here and nowhere else: least squares on the first ``n_features`` features ---

class FirstFeaturesLeastSquares:
    """Ordinary least squares with intercept on the first ``n_features`` columns (scikit-learn style)."""

    def __init__(self, n_features: int = 3) -> None:
        self.n_features = n_features

    def get_params(self, deep: bool = True) -> dict:
        return {"n_features": self.n_features}

    def set_params(self, **params):
        self.__dict__.update(params)
        return self

    def fit(self, X, Y):
        design = np.column_stack([np.ones(len(X)), np.asarray(X)[:, :self.n_features]])
        self.coef_ = np.linalg.lstsq(design, np.asarray(Y), rcond=None)[0]
        return self

    def predict(self, X):
        return np.column_stack([np.ones(len(X)), np.asarray(X)[:, :self.n_features]]) @ self.coef_


@dataclass(frozen=True)
class ToyOptions:
    n_features: int = 3


@register_metric("toy_first_features", options=ToyOptions)
def toy_first_features(features, neural, settings, options: ToyOptions, **run) -> dict:
    """Least squares on the first n_features features (a test metric)."""
    return cross_validated_scores(features, neural, settings,
                                  estimator_predictions(FirstFeaturesLeastSquares(options.n_features)), **run)


def held_out_r(x_train, y_train, x_test, y_test, k):
    """Pearson r per column of least squares on the first k columns, written out with numpy."""
    design = np.column_stack([np.ones(len(x_train)), x_train[:, :k]])
    coef = np.linalg.solve(design.T @ design, design.T @ y_train)
    predicted = np.column_stack([np.ones(len(x_test)), x_test[:, :k]]) @ coef
    p, t = predicted - predicted.mean(0), y_test - y_test.mean(0)
    return (p * t).sum(0) / np.sqrt((p * p).sum(0) * (t * t).sum(0))


def toy_setup(seed):
    model, raw = recording(seed, n_bins=3, n_steps=3, n_features=10)
    settings = FitSettings(metric="toy_first_features", metric_options={"n_features": 4}, n_splits=3,
                           mapping=TimeMapping("table", table=(2, 0, 1)))
    averaged = average_repetitions(raw)
    x = model.transpose("time_step", "presentation", "neuroid").values
    y = averaged.values
    splits = shuffle_splits(averaged["stimulus_id"].values, averaged["object_name"].values, n_splits=3)
    return model, raw, settings, x, y, splits


@pytest.mark.parametrize("seed", [0, 1])
def test_a_metric_registered_in_a_test_runs_per_bin_shared_and_matrix(seed):
    model, raw, settings, x, y, splits = toy_setup(seed)
    steps = (2, 0, 1)
    per_bin = neural_predictivity(model, raw, settings, progress=False)
    for s, (train, test) in enumerate(splits):
        for b, step in enumerate(steps):
            expected = held_out_r(x[step][train], y[train, :, b], x[step][test], y[test, :, b], 4)
            np.testing.assert_allclose(per_bin["r"].values[s, :, b], expected, atol=1e-10)

    shared = neural_predictivity(model, raw, dataclasses.replace(settings, time="shared"), progress=False)
    for s, (train, test) in enumerate(splits):
        stacked_x = np.concatenate([x[step][train] for step in steps])
        stacked_y = np.concatenate([y[train, :, b] for b in range(3)])
        for b, step in enumerate(steps):
            design = np.column_stack([np.ones(len(stacked_x)), stacked_x[:, :4]])
            coef = np.linalg.lstsq(design, stacked_y, rcond=None)[0]
            predicted = np.column_stack([np.ones(len(test)), x[step][test][:, :4]]) @ coef
            expected = [np.corrcoef(predicted[:, j], y[test, j, b])[0, 1] for j in range(y.shape[1])]
            np.testing.assert_allclose(shared["r"].values[s, :, b], expected, atol=1e-10)

    matrix = neural_predictivity(model, raw, dataclasses.replace(settings, time="matrix"), progress=False)
    for s, (train, test) in enumerate(splits):
        for step in range(3):
            for b in range(3):
                expected = held_out_r(x[step][train], y[train, :, b], x[step][test], y[test, :, b], 4)
                np.testing.assert_allclose(matrix["r"].values[s, step, :, b], expected, atol=1e-10)
    assert '"metric": "toy_first_features"' in matrix.attrs["metric_settings"]
    assert '"metric_options": {"n_features": 4}' in matrix.attrs["metric_settings"]


def test_the_toy_metric_is_a_command_line_choice_with_its_options(tmp_path):
    model, raw, settings, x, y, splits = toy_setup(0)
    write_features(model, tmp_path / "features.nc")
    write_assembly(raw, tmp_path / "neural.nc")
    code = main(["fit", "--features", str(tmp_path / "features.nc"), "--neural", str(tmp_path / "neural.nc"),
                 "--out", str(tmp_path / "scores.nc"), "--metric", "toy_first_features", "--n-splits", "3",
                 "--set", "metric_options.n_features=4", "--mapping", "table", "--set", "mapping.table=[2,0,1]",
                 "--quiet"])
    assert code == 0
    expected = neural_predictivity(model, raw, settings, progress=False)
    np.testing.assert_allclose(read_scores(tmp_path / "scores.nc")["r"].values, expected["r"].values, atol=1e-12)


def test_options_are_checked_against_the_metric():
    with pytest.raises(ConfigError, match=r"metric 'toy_first_features' has no option\(s\) n_components; its "
                                          r"options are n_features"):
        FitSettings(metric="toy_first_features", metric_options={"n_components": 3})
    with pytest.raises(ConfigError, match=r"metric_options.n_features must be of type int, got 'four'"):
        FitSettings(metric="toy_first_features", metric_options={"n_features": "four"})


def test_the_shipped_metrics_are_listed_and_unknown_names_are_refused():
    assert {"pls", "ridge", "ridgecv", "toy_first_features"} <= set(list_metrics())
    assert get_metric("pls").summary.startswith("PLS regression per region and time bin")
    with pytest.raises(ConfigError, match=r"metric must be one of cka, pls, procrustes, reverse_pls, ridge, ridgecv, rsa.*; got 'lasso'"):
        get_metric("lasso")


def test_a_taken_name_or_options_without_defaults_are_refused():
    with pytest.raises(ConfigError, match=r"a metric named 'pls' is already registered"):
        register_metric("pls")(toy_first_features)

    @dataclass(frozen=True)
    class Required:
        size: int

    with pytest.raises(ConfigError, match=r"every option of Required needs a default"):
        register_metric("needs_size", options=Required)


def test_listing_the_metrics_loads_no_numerics():
    probe = ("import sys\nfrom chronoscore.neural_fit.metrics import list_metrics\nnames = list_metrics()\n"
             "print(names, sorted(m for m in ('numpy', 'torch', 'xarray', 'sklearn') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "['cka', 'pls', 'procrustes', 'reverse_pls', 'ridge', 'ridgecv', 'rsa'] []"


@pytest.mark.parametrize("seed, n_steps, time", [(3, 1, "per_bin"), (4, 3, "shared"), (5, 2, "matrix")])
def test_batched_pls_equals_pls_cloned_per_split_and_bin(seed, n_steps, time):
    """The ``pls`` metric's batched solver against the same estimator fitted problem by problem."""
    model, raw = recording(seed, n_bins=3, n_steps=n_steps, n_features=30)
    settings = FitSettings(metric_options={"n_components": 6}, n_splits=3, time=time)
    batched = neural_predictivity(model, raw, settings, progress=False)
    one_by_one = cross_validated_scores(model, raw, settings, estimator_predictions(PLSRegression(6)),
                                        time_modes=(time,), progress=False)[time]
    np.testing.assert_allclose(batched["r"].values, one_by_one["r"].values, atol=1e-10)
    xr.testing.assert_allclose(batched["ceiled_score"], one_by_one["ceiled_score"])


@pytest.mark.parametrize("command", ["fit", "score"])
def test_the_command_lines_metric_choices_are_the_registrys(command):
    commands = next(action for action in build_parser(command)._actions if action.dest == "command")
    metric = next(action for action in commands.choices[command]._actions if action.dest == "metric")
    assert metric.choices == list_metrics() and "toy_first_features" in metric.choices
