"""``chronoscore fit`` end to end on small files."""

import numpy as np
import yaml

from chronoscore.cli import main
from chronoscore.neural_fit.netcdf_io import write_assembly
from chronoscore.neural_fit.results_io import read_scores, write_features
from chronoscore.neural_fit.scoring import neural_predictivity
from chronoscore.neural_fit.settings import FitSettings
from chronoscore.neural_fit.time_mapping import TimeMapping

from tests.neural_fit.synthetic import recording


def write_inputs(tmp_path):
    model, raw = recording(0, n_bins=3, n_steps=3, region=["V4"] * 6 + ["IT"] * 6)
    write_features(model, tmp_path / "features.nc")
    write_assembly(raw, tmp_path / "neural.nc")
    return model, raw


def test_fit_prints_a_table_and_writes_scores_equal_to_the_python_api(tmp_path, capsys):
    model, raw = write_inputs(tmp_path)
    code = main(["fit", "--features", str(tmp_path / "features.nc"), "--neural", str(tmp_path / "neural.nc"),
                 "--out", str(tmp_path / "scores.nc"), "--n-components", "8", "--n-splits", "4",
                 "--mapping", "table", "--set", "mapping.table=[0,1,2]", "--quiet"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "| V4     | 70-80" in printed and "ceiling" in printed

    scores = read_scores(tmp_path / "scores.nc")
    expected = neural_predictivity(
        model, raw, FitSettings(metric_options={"n_components": 8}, n_splits=4,
                                mapping=TimeMapping("table", table=(0, 1, 2))),
        progress=False)
    np.testing.assert_allclose(scores["r"].values, expected["r"].values, atol=1e-12)
    np.testing.assert_allclose(scores["ceiled_score"].values, expected["ceiled_score"].values, atol=1e-12)
    assert scores.attrs["data_hash"] == expected.attrs["data_hash"]
    saved = yaml.safe_load((tmp_path / "scores.settings.yaml").read_text())
    assert saved["metric_options"] == {"n_components": 8} and saved["mapping"]["table"] == [0, 1, 2]


def test_fit_reads_settings_from_yaml_and_reports_bad_ones_in_one_line(tmp_path, capsys):
    write_inputs(tmp_path)
    config = tmp_path / "fit.yaml"
    config.write_text("time: matrix\nmetric_options:\n  n_components: 8\nn_splits: 3\n")
    args = ["fit", "--features", str(tmp_path / "features.nc"), "--neural", str(tmp_path / "neural.nc"),
            "--out", str(tmp_path / "scores.nc"), "--config", str(config), "--quiet"]
    assert main(args) == 0
    assert read_scores(tmp_path / "scores.nc")["score"].dims == ("region", "time_step", "time_bin")

    config.write_text("n_componentz: 8\n")
    assert main(args) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("chronoscore: error: unknown setting(s) n_componentz") and "\n" not in error


def features_with_time(tmp_path, step_ms):
    """Features whose steps carry ``time_ms`` (step × step_ms), as ``chronoscore extract`` writes them."""
    model, raw = recording(3, n_bins=3, n_steps=3, region=["V4"] * 6 + ["IT"] * 6)
    model = model.assign_coords(time_ms=("time_step", model["time_step"].values * step_ms))
    write_features(model, tmp_path / "features.nc")
    write_assembly(raw, tmp_path / "neural.nc")
    return ["fit", "--features", str(tmp_path / "features.nc"), "--neural", str(tmp_path / "neural.nc"),
            "--out", str(tmp_path / "scores.nc"), "--n-components", "8", "--n-splits", "3", "--quiet"]


def test_fit_takes_the_step_length_from_the_features_time(tmp_path):
    """Bins 70-80, 80-90, 90-100 ms; steps 5 ms apart from 70 ms: centres 75, 85, 95 -> steps 1, 3, 5 -> clipped."""
    assert main(features_with_time(tmp_path, 5.0) + ["--latency-ms", "70"]) == 0
    scores = read_scores(tmp_path / "scores.nc")
    np.testing.assert_array_equal(scores["step_for_bin"].values, np.full((2, 3, 3), [1, 2, 2]))
    assert scores.attrs["time_mapping"] == "V4: latency 70 ms, 5 ms per step; IT: latency 70 ms, 5 ms per step"


def test_fit_refuses_a_step_length_that_contradicts_the_features_time(tmp_path, capsys):
    assert main(features_with_time(tmp_path, 5.0) + ["--step-ms", "10"]) == 2
    error = capsys.readouterr().err
    assert "step_ms is 10 ms but the features' time_ms advance 5 ms per step" in error
    assert main(features_with_time(tmp_path, 5.0) + ["--step-ms", "5"]) == 0


def test_fit_takes_the_metric_by_its_old_option_name_too(tmp_path):
    write_inputs(tmp_path)
    base = ["fit", "--features", str(tmp_path / "features.nc"), "--neural", str(tmp_path / "neural.nc"),
            "--n-splits", "3", "--quiet"]
    assert main(base + ["--out", str(tmp_path / "new.nc"), "--metric", "ridge"]) == 0
    assert main(base + ["--out", str(tmp_path / "old.nc"), "--regression", "ridge"]) == 0
    new, old = read_scores(tmp_path / "new.nc"), read_scores(tmp_path / "old.nc")
    np.testing.assert_array_equal(new["r"].values, old["r"].values)
    assert yaml.safe_load((tmp_path / "old.settings.yaml").read_text())["metric"] == "ridge"
