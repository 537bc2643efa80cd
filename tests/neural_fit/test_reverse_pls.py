"""The ``reverse_pls`` metric against scikit-learn's PLS fitted from neurons to model units split by split."""

import dataclasses

import numpy as np
import pytest
from sklearn.cross_decomposition import PLSRegression
from sklearn.model_selection import StratifiedShuffleSplit

from chronoscore.cli import main
from chronoscore.errors import ConfigError, FitError
from chronoscore.neural_fit.assembly import average_repetitions
from chronoscore.neural_fit.netcdf_io import write_assembly
from chronoscore.neural_fit.results_io import read_scores, write_features
from chronoscore.neural_fit.scoring import neural_predictivity
from chronoscore.neural_fit.settings import FitSettings
from chronoscore.neural_fit.time_mapping import TimeMapping

from .synthetic import recording


def median_unit_r(neural_train, model_train, neural_test, model_test, n_components):
    fitted = PLSRegression(n_components, scale=False).fit(neural_train, model_train)
    predicted = fitted.predict(neural_test)
    r = [np.corrcoef(predicted[:, j], model_test[:, j])[0, 1] for j in range(model_test.shape[1])]
    return np.nanmedian(r)


@pytest.mark.parametrize("time", ["per_bin", "matrix"])
def test_reverse_pls_equals_pls_from_neurons_to_units_per_split(time):
    model, raw = recording(0, n_objects=4, per_object=10, n_bins=2, n_steps=3, n_features=14, n_neuroids=9)
    settings = FitSettings(metric="reverse_pls", metric_options={"n_components": 4}, n_splits=3, time=time,
                           mapping=TimeMapping(kind="table", table=(2, 0)))
    scores = neural_predictivity(model, raw, settings, progress=False)
    averaged = average_repetitions(raw)
    x = model.transpose("time_step", "presentation", "neuroid").values
    y = averaged.values
    splitter = StratifiedShuffleSplit(n_splits=3, train_size=0.9, random_state=1)
    for s, (train, test) in enumerate(splitter.split(np.zeros(40), averaged["object_name"].values)):
        for b in range(2):
            for step in (range(3) if time == "matrix" else [(2, 0)[b]]):
                expected = median_unit_r(y[train, :, b], x[step][train], y[test, :, b], x[step][test], 4)
                value = scores["similarity"].values[s, 0, step, b] if time == "matrix" else \
                    scores["similarity"].values[s, 0, b]
                assert value == pytest.approx(expected, abs=1e-6)
    assert "ceiling" not in scores


def test_undefined_modes_and_too_many_components_name_the_fix():
    model, raw = recording(1, n_objects=4, per_object=10, n_neuroids=6)
    settings = FitSettings(metric="reverse_pls", n_splits=2)
    with pytest.raises(FitError, match="6 neuroids, fewer than its 25 PLS components; set "
                                       "metric_options.n_components=6"):
        neural_predictivity(model, raw, settings, progress=False)
    small = dataclasses.replace(settings, metric_options={"n_components": 3})
    with pytest.raises(ConfigError, match="shared time mode.*per_bin or matrix"):
        neural_predictivity(model, raw, dataclasses.replace(small, time="shared"), progress=False)
    with pytest.raises(ConfigError, match="'best' mapping is not defined"):
        neural_predictivity(model, raw, dataclasses.replace(small, mapping=TimeMapping(kind="best")),
                            progress=False)


def test_the_fit_command_runs_reverse_pls(tmp_path):
    model, raw = recording(2, n_objects=4, per_object=10, n_neuroids=8)
    write_features(model, tmp_path / "features.nc")
    write_assembly(raw, tmp_path / "neural.nc")
    assert main(["fit", "--features", str(tmp_path / "features.nc"), "--neural", str(tmp_path / "neural.nc"),
                 "--out", str(tmp_path / "scores.nc"), "--metric", "reverse_pls", "--n-splits", "3",
                 "--set", "metric_options.n_components=5", "--quiet"]) == 0
    expected = neural_predictivity(model, raw, FitSettings(metric="reverse_pls", n_splits=3,
                                                           metric_options={"n_components": 5}), progress=False)
    np.testing.assert_allclose(read_scores(tmp_path / "scores.nc")["similarity"].values,
                               expected["similarity"].values, atol=1e-12)
