"""Malformed input to the scoring pipeline raises a chronoscore error that names the problem.

Every case breaks one thing in small, otherwise valid synthetic data and runs
:func:`neural_predictivity` (or the file readers, the settings, the configuration
loader or the ``chronoscore fit`` command) under the ``no_fitting`` fixture, which
fails the test as soon as a regression starts fitting: an error that only comes
after fitting started does not count.
"""

import re
import warnings

import numpy as np
import pytest
import torch
import xarray as xr
import yaml

from chronoscore.cli import main
from chronoscore.config import load_config
from chronoscore.errors import ConfigError, DataFormatError, FileFormatError, FitError, StimulusMismatchError
from chronoscore.neural_fit import predictivity
from chronoscore.neural_fit.metrics import pls as pls_metric
from chronoscore.neural_fit.assembly import average_repetitions
from chronoscore.neural_fit.correlation import ConstantResponseWarning
from chronoscore.neural_fit.netcdf_io import read_assembly, write_assembly
from chronoscore.neural_fit.results_io import read_features, write_features
from chronoscore.neural_fit.scoring import neural_predictivity
from chronoscore.neural_fit.settings import FitSettings
from chronoscore.neural_fit.splits import given_splits
from chronoscore.neural_fit.time_mapping import TimeMapping
from tests.neural_fit.synthetic import recording

SETTINGS = FitSettings(metric_options={"n_components": 2}, n_splits=2, train_size=0.5, ceiling_splits=2)
"""Settings that work on :func:`data`: 6 training stimuli per split, 2 per class."""


def data() -> tuple[xr.DataArray, xr.DataArray]:
    """Features (12 stimuli, 6 units, 3 steps) and raw trials (2 repetitions, 3 neuroids, 2 bins, 3 objects)."""
    return recording(0, n_objects=3, per_object=4, n_features=6, n_neuroids=3, n_repetitions=2, n_bins=2,
                     n_steps=3)


def score(features: xr.DataArray, neural: xr.DataArray, settings: FitSettings = SETTINGS) -> xr.Dataset:
    return neural_predictivity(features, neural, settings, progress=False)


@pytest.fixture
def no_fitting(monkeypatch):
    """Fail the test if any regression starts fitting (batched PLS or a cloned estimator)."""

    def fitting_started(*args, **kwargs):
        raise AssertionError("a regression started fitting before the bad input was caught")

    monkeypatch.setattr(pls_metric, "fit_pls_problems", fitting_started)
    monkeypatch.setattr(predictivity, "clone", fitting_started)


def with_value(array: xr.DataArray, index, value) -> xr.DataArray:
    """A copy of ``array`` with ``value`` at the positional ``index`` of its values."""
    values = array.values.copy()
    values[index] = value
    return array.copy(data=values)


def with_coord_value(array: xr.DataArray, name: str, index, value) -> xr.DataArray:
    """A copy of ``array`` with ``value`` at ``index`` of its 1-d coord ``name`` (made an object array)."""
    values = array[name].values.astype(object)
    values[index] = value
    return array.assign_coords({name: (array[name].dims, values)})


def first_stimulus(neural: xr.DataArray) -> np.ndarray:
    """Mask (presentation,) of the trials of the first stimulus."""
    return neural["stimulus_id"].values == neural["stimulus_id"].values[0]


def test_the_guard_stops_a_valid_fit(no_fitting):
    with pytest.raises(AssertionError, match="started fitting"):
        score(*data())


@pytest.mark.filterwarnings("ignore::chronoscore.neural_fit.scoring.CeilingWarning")  # 2 repetitions: noisy
def test_valid_data_is_scored():
    scores = score(*data())
    assert np.isfinite(scores["r"].values).all() and np.isfinite(scores["ceiling"].values).all()


BAD_DATA = [
    pytest.param(lambda f, n: (f.drop_vars("stimulus_id"), n, SETTINGS),
                 DataFormatError, "features need a stimulus_id coordinate on the presentation dim",
                 id="features-without-stimulus_id"),
    pytest.param(lambda f, n: (f, n.drop_vars("stimulus_id"), SETTINGS),
                 DataFormatError, r"lacks the coord 'stimulus_id' along 'presentation'.*assign_coords",
                 id="neural-without-stimulus_id"),
    pytest.param(lambda f, n: (f, n.drop_vars("region"), SETTINGS),
                 DataFormatError, r"lacks the coord 'region' along 'neuroid'", id="neural-without-region"),
    pytest.param(lambda f, n: (f, with_coord_value(average_repetitions(n), "stimulus_id", 1, "img0_0000"),
                               SETTINGS),
                 DataFormatError, r"1 stimulus_id value\(s\) occur more than once along 'presentation'.*"
                                  r"average the trials", id="averaged-neural-with-repeated-stimulus"),
    pytest.param(lambda f, n: (f, n.drop_vars("repetition"), SETTINGS),
                 DataFormatError, r"12 stimulus_id value\(s\) occur more than once.*add a repetition coord",
                 id="raw-trials-without-repetition"),
    pytest.param(lambda f, n: (f, with_coord_value(n, "repetition", 12, 0), SETTINGS),
                 DataFormatError, r"stimulus_id/repetition value\(s\) occur more than once.*number each",
                 id="raw-trials-with-repeated-stimulus-repetition-pair"),
    pytest.param(lambda f, n: (with_coord_value(f, "stimulus_id", 1, "img0_0000"), n, SETTINGS),
                 DataFormatError, r"features hold 1 stimulus_id values more than once.*one row",
                 id="features-with-repeated-stimulus"),
    pytest.param(lambda f, n: (with_value(f, (0, 0, 0), np.nan), n, SETTINGS),
                 DataFormatError, r"features contain 1 NaN or infinite values", id="nan-in-features"),
    pytest.param(lambda f, n: (with_value(f, (3, 2, 1), np.inf), n, SETTINGS),
                 DataFormatError, r"features contain 1 NaN or infinite values", id="infinity-in-features"),
    pytest.param(lambda f, n: (f, with_value(average_repetitions(n), (0, 1, 0), np.nan), SETTINGS),
                 DataFormatError, r"1 NaN value\(s\) in neuroids \['n001'\]; trial-averaged responses must be "
                                  r"finite. Drop those neuroids", id="nan-in-averaged-responses"),
    pytest.param(lambda f, n: (f, with_value(n, (first_stimulus(n), 2), np.nan), SETTINGS),
                 DataFormatError, r"NaN in every repetition.*neuroids \['n002'\]; their average is undefined",
                 id="nan-in-every-trial-of-a-stimulus"),
    pytest.param(lambda f, n: (f, with_value(n, (5, 0, 1), -np.inf), SETTINGS),
                 DataFormatError, r"1 infinite value\(s\) in neuroids \['n000'\]", id="infinity-in-responses"),
    pytest.param(lambda f, n: (f.isel(presentation=slice(1, None)), n, SETTINGS),
                 StimulusMismatchError, r"1 of the 12 stimuli of the neural data have no model features.*"
                                        r"\['img0_0000'\]", id="stimuli-missing-from-features"),
    pytest.param(lambda f, n: (f.assign_coords(stimulus_id=("presentation", [f"other{i}" for i in range(12)])), n,
                               SETTINGS),
                 StimulusMismatchError, r"12 of the 12 stimuli.*extract features for the neural data's stimulus set",
                 id="disjoint-stimulus-sets"),
    pytest.param(lambda f, n: (f, n.assign_coords(object_name=("presentation", ["car"] * 24)), SETTINGS),
                 FitError, r"at least 2 classes.*'car'.*--no-stratify", id="single-class-under-stratification"),
    pytest.param(lambda f, n: (f, with_coord_value(n, "object_name", first_stimulus(n), "lonely"), SETTINGS),
                 FitError, r"at least 2 stimuli per class; 1 classes have one \(e.g. \['lonely'\]\)",
                 id="class-with-a-single-stimulus"),
    pytest.param(lambda f, n: (f, with_coord_value(n, "object_name", first_stimulus(n), None), SETTINGS),
                 FitError, r"1 of 12 stimuli have no stratification label", id="missing-stratification-label"),
    pytest.param(lambda f, n: (f, n, FitSettings(metric_options={"n_components": 7}, n_splits=2, train_size=0.5)),
                 FitError, r"at least as many training samples as components: 6 samples, 7 components.*"
                           r"n_components=5", id="fewer-training-samples-than-components"),
    pytest.param(lambda f, n: (f, n.transpose("neuroid", "presentation", "time_bin"), SETTINGS),
                 DataFormatError, r"dims are in the order \('neuroid', 'presentation', 'time_bin'\).*transpose",
                 id="neural-dims-in-wrong-order"),
    pytest.param(lambda f, n: (f, n.rename(time_bin="time"), SETTINGS),
                 DataFormatError, r"Missing: \['time_bin'\], unexpected: \['time'\]", id="neural-with-wrong-dim-name"),
    pytest.param(lambda f, n: (f.rename(presentation="image"), n, SETTINGS),
                 DataFormatError, r"features must have dims \(presentation, neuroid\[, time_step\]\).*rename",
                 id="features-with-wrong-dim-name"),
    pytest.param(lambda f, n: (f, n.isel(presentation=[]), SETTINGS),
                 DataFormatError, r"no entries along \['presentation'\]", id="empty-neural-assembly"),
    pytest.param(lambda f, n: (f.isel(neuroid=[]), n, SETTINGS),
                 DataFormatError, r"the features are empty", id="empty-features"),
    pytest.param(lambda f, n: (f, n, FitSettings(metric_options={"n_components": 2}, n_splits=2, train_size=0.5,
                                                 mapping=TimeMapping(kind="table", table=(0, 1, 2)))),
                 ConfigError, r"table has 3 entries for 2 time bins", id="table-mapping-longer-than-time-bins"),
    pytest.param(lambda f, n: (f, n, FitSettings(metric_options={"n_components": 2}, n_splits=2, train_size=0.5,
                                                 mapping=TimeMapping(kind="table", table=(0, 3)))),
                 ConfigError, r"table names steps outside 0\.\.2", id="table-mapping-beyond-model-steps"),
    pytest.param(lambda f, n: (f, n.isel(time_bin=[1, 0]), SETTINGS),
                 DataFormatError, r"time bins are not sorted by start.*sortby", id="unsorted-time-bins"),
    pytest.param(lambda f, n: (f, n.assign_coords(time_bin_end=("time_bin", [85, 90])), SETTINGS),
                 DataFormatError, r"time bins overlap: \[\(\(70, 85\), \(80, 90\)\)\]", id="overlapping-time-bins"),
    pytest.param(lambda f, n: (f, n.assign_coords(time_bin_end=("time_bin", [70, 80])), SETTINGS),
                 DataFormatError, r"time bins \[\(70, 70\), \(80, 80\)\] do not have start < end",
                 id="time-bins-without-duration"),
    pytest.param(lambda f, n: (f.astype(str), n, SETTINGS),
                 DataFormatError, r"features must be numeric, but their dtype is <U", id="strings-in-features"),
    pytest.param(lambda f, n: (f, n.astype(str), SETTINGS),
                 DataFormatError, r"dtype <U\d+; expected numbers. Convert with assembly.astype\(float\)",
                 id="strings-in-responses"),
    pytest.param(lambda f, n: (f.values, n, SETTINGS),
                 DataFormatError, r"features must be an xarray.DataArray, got ndarray", id="features-not-a-dataarray"),
    pytest.param(lambda f, n: (f, n.values, SETTINGS),
                 DataFormatError, r"expected an xarray.DataArray, got ndarray; build one with make_assembly",
                 id="neural-not-a-dataarray"),
    pytest.param(lambda f, n: (f, n.isel(presentation=first_stimulus(n)), SETTINGS),
                 FitError, r"cross-validation needs at least 2 stimuli, got 1", id="a-single-stimulus"),
    pytest.param(lambda f, n: (f, n, FitSettings(metric_options={"n_components": 2}, splits="kfold", n_splits=12,
                                                 stratify=None)),
                 FitError, r"split 0 has 11 training and 1 test stimuli, but each side needs at least 2",
                 id="kfold-test-set-of-one-stimulus"),
    pytest.param(lambda f, n: (f, n.isel(presentation=np.isin(n["stimulus_id"], n["stimulus_id"].values[:3])),
                               FitSettings(metric_options={"n_components": 1}, n_splits=2, train_size=0.5,
                                           stratify=None)),
                 FitError, r"split 0 has 1 training and 2 test stimuli", id="training-set-of-one-stimulus"),
    pytest.param(lambda f, n: (f, n, FitSettings(metric_options={"n_components": 2}, n_splits=2)),
                 FitError, r"cannot draw cross-validation splits \(.*test_size = 2.*classes = 3.*\); "
                           r"use more stimuli", id="test-set-smaller-than-the-number-of-classes"),
    pytest.param(lambda f, n: (f, n.isel(presentation=n["repetition"].values == 0), SETTINGS),
                 DataFormatError, r"split-half ceiling needs at least 2 repetitions",
                 id="raw-trials-of-one-repetition"),
]


@pytest.mark.parametrize("make, error, match", BAD_DATA)
def test_bad_data_raises_before_fitting(no_fitting, make, error, match):
    features, neural, settings = make(*data())
    with pytest.raises(error, match=match):
        score(features, neural, settings)


@pytest.mark.parametrize("arguments, match", [
    pytest.param({"n_splits": 0}, r"n_splits must be a positive integer, got 0", id="zero-splits"),
    pytest.param({"n_splits": -3}, r"n_splits must be a positive integer, got -3", id="negative-splits"),
    pytest.param({"n_splits": 2.5}, r"n_splits must be a positive integer, got 2.5", id="fractional-splits"),
    pytest.param({"splits": "kfold", "n_splits": 1}, r"k-fold cross-validation needs n_splits >= 2",
                 id="one-kfold-split"),
    pytest.param({"metric_options": {"n_components": 0}}, r"n_components must be a positive integer",
                 id="zero-components"),
    pytest.param({"inner_splits": 0}, r"inner_splits must be a positive integer", id="zero-inner-splits"),
    pytest.param({"ceiling_splits": 0}, r"ceiling_splits must be a positive integer", id="zero-ceiling-splits"),
    pytest.param({"train_size": 0.0}, r"train_size must be a number between 0 and 1 \(exclusive\), got 0.0",
                 id="train-size-zero"),
    pytest.param({"train_size": 1}, r"train_size must be a number between 0 and 1", id="train-size-one"),
    pytest.param({"train_size": 1.5}, r"train_size must be a number between 0 and 1", id="train-size-above-one"),
    pytest.param({"train_size": -0.1}, r"train_size must be a number between 0 and 1", id="negative-train-size"),
    pytest.param({"train_size": "0.9"}, r"train_size must be a number.*got '0.9'", id="train-size-as-text"),
    pytest.param({"metric": "lasso"}, r"metric must be one of (\w+, )*pls, (\w+, )*ridge, ridgecv(, \w+)*; got 'lasso'",
                 id="unknown-metric"),
    pytest.param({"metric_options": {"alpha": 2.0}}, r"metric 'pls' has no option\(s\) alpha; its options are "
                 "n_components", id="option-of-another-metric"),
    pytest.param({"time": "matrix", "mapping": TimeMapping(kind="best")}, r"'best' time mapping applies to",
                 id="best-mapping-with-matrix"),
    pytest.param({"device": "gpu0"}, r"device must name a torch device such as 'cpu'.*got 'gpu0'",
                 id="unknown-device"),
])
def test_bad_settings_raise_config_error(arguments, match):
    with pytest.raises(ConfigError, match=match):
        FitSettings(**arguments)


@pytest.mark.parametrize("train, test, match", [
    pytest.param(["img_0", "img_1", "img_2"], ["img_3"], r"3 training and 1 test stimuli", id="one-test-stimulus"),
    pytest.param(["img_0"], ["img_1", "img_2"], r"1 training and 2 test stimuli", id="one-training-stimulus"),
    pytest.param([], ["img_1", "img_2"], r"0 training and 2 test stimuli", id="no-training-stimulus"),
])
def test_given_split_with_fewer_than_2_stimuli_on_a_side_raises(train, test, match):
    stimuli = [f"img_{i}" for i in range(6)]
    with pytest.raises(FitError, match=match + ", but each side needs at least 2"):
        given_splits(stimuli, [(["img_4", "img_5"], ["img_0", "img_1"]), (train, test)])


def truncated(content: bytes) -> bytes:
    return content[: len(content) // 2]


def corrupted(content: bytes) -> bytes:
    """The HDF5 signature kept, the metadata after it overwritten."""
    return content[:8] + b"\xff" * 512 + content[520:]


@pytest.fixture
def files(tmp_path):
    """Valid features.nc and neural.nc in ``tmp_path``."""
    features, raw = data()
    return write_features(features, tmp_path / "features.nc"), write_assembly(raw, tmp_path / "neural.nc")


@pytest.mark.parametrize("damage", [truncated, corrupted])
@pytest.mark.parametrize("which, read", [("features", read_features), ("neural", read_assembly)])
def test_damaged_file_raises_file_format_error(files, which, read, damage):
    path = files[0] if which == "features" else files[1]
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(FileFormatError, match=f"{which}.nc: cannot be read as netCDF4.*truncated, corrupt"):
        read(path)


def cli_error(capsys, *arguments: str) -> str:
    """Run ``chronoscore fit ...``; check it exits 2 with one line on stderr and return that line."""
    assert main(["fit", "--quiet", *arguments]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("chronoscore: error: ")
    assert "Traceback" not in captured.err and captured.out == ""
    return lines[0]


@pytest.mark.parametrize("damage", [truncated, corrupted])
@pytest.mark.parametrize("which", ["features", "neural"])
def test_command_line_reports_a_damaged_file_in_one_line(files, capsys, which, damage, no_fitting):
    features, neural = files
    path = features if which == "features" else neural
    path.write_bytes(damage(path.read_bytes()))
    out = path.parent / "scores.nc"
    message = cli_error(capsys, "--features", str(features), "--neural", str(neural), "--out", str(out))
    assert f"{path}: cannot be read as netCDF4" in message and "Write the" in message
    assert not out.exists()


def test_command_line_reports_bad_data_in_one_line(files, capsys, tmp_path, no_fitting):
    features, _ = data()
    write_features(features.isel(presentation=slice(2, None)), files[0])
    message = cli_error(capsys, "--features", str(files[0]), "--neural", str(files[1]), "--out",
                        str(tmp_path / "scores.nc"))
    assert "2 of the 12 stimuli of the neural data have no model features" in message


@pytest.mark.parametrize("yaml_settings, overrides, match", [
    pytest.param({"n_split": 3}, [], r"unknown setting\(s\) n_split; known: metric", id="yaml-unknown-key"),
    pytest.param({"mapping": {"kinds": "best"}}, [], r"unknown setting\(s\) mapping.kinds",
                 id="yaml-unknown-nested-key"),
    pytest.param({"n_splits": "ten"}, [], r"n_splits must be of type int, got 'ten'", id="yaml-wrong-type"),
    pytest.param({"mapping": "best"}, [], r"mapping must be a mapping of its settings, got 'best'",
                 id="yaml-scalar-for-nested-settings"),
    pytest.param(None, ["n_split=3"], r"unknown setting\(s\) n_split", id="set-unknown-key"),
    pytest.param(None, ["metric_options.n_components=many"], r"n_components must be of type int, got 'many'",
                 id="set-wrong-type"),
    pytest.param(None, ["train_size=most"], r"train_size must be a number, got 'most'", id="set-text-for-number"),
    pytest.param(None, ["metric=ridgecv", "metric_options.alphas=[1, ten]"],
                 r"metric_options.alphas\[1\] must be a number, got 'ten'",
                 id="set-text-in-list"),
    pytest.param(None, ["mapping.kind=last"], r"mapping.kind must be one of latency, nearest_start, table, single, best",
                 id="set-unknown-choice"),
    pytest.param(None, ["n_splits"], r"override 'n_splits' must look like key=value", id="set-without-value"),
    pytest.param(None, ["n_splits=0"], r"n_splits must be a positive integer", id="set-zero-splits"),
    pytest.param(None, ["train_size=1.5"], r"train_size must be a number between 0 and 1", id="set-train-size"),
])
def test_bad_configuration_raises_config_error_and_exits_2(tmp_path, files, capsys, yaml_settings, overrides,
                                                           match):
    path = None
    if yaml_settings is not None:
        path = tmp_path / "settings.yaml"
        path.write_text(yaml.safe_dump(yaml_settings))
    with pytest.raises(ConfigError, match=match):
        load_config(FitSettings, path, overrides=overrides)
    arguments = ["--features", str(files[0]), "--neural", str(files[1]), "--out", str(tmp_path / "scores.nc")]
    arguments += ["--config", str(path)] if path else []
    arguments += [item for override in overrides for item in ("--set", override)]
    assert re.search(match, cli_error(capsys, *arguments))


def test_constant_neuroid_gets_nan_r_and_a_warning_while_the_others_are_scored_as_without_it():
    features, raw = data()
    constant = average_repetitions(with_value(raw, (slice(None), 1), 3.0))
    with pytest.warns(ConstantResponseWarning, match="zero variance"):
        scores = score(features, constant)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConstantResponseWarning)
        without = score(features, constant.isel(neuroid=[0, 2]))
    r = scores["r"]
    constant_neuroid = r["neuroid_id"].values == "n001"
    assert np.isnan(r.isel(neuroid=constant_neuroid)).all()
    others = r.isel(neuroid=~constant_neuroid)
    assert np.isfinite(others).all()
    assert list(others["neuroid_id"].values) == list(without["neuroid_id"].values) == ["n000", "n002"]
    np.testing.assert_allclose(others.values, without["r"].values, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(scores["score"].values, without["score"].values, rtol=1e-9, atol=1e-12)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_unavailable_device_is_a_config_error_before_fitting():
    model, raw = recording(0)
    with pytest.raises(ConfigError, match="not available on this machine"):
        neural_predictivity(model, raw, FitSettings(device="cuda", metric_options={"n_components": 8}), progress=False)
