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
        model, raw, FitSettings(n_components=8, n_splits=4, mapping=TimeMapping("table", table=(0, 1, 2))),
        progress=False)
    np.testing.assert_allclose(scores["r"].values, expected["r"].values, atol=1e-12)
    np.testing.assert_allclose(scores["ceiled_score"].values, expected["ceiled_score"].values, atol=1e-12)
    assert scores.attrs["data_hash"] == expected.attrs["data_hash"]
    saved = yaml.safe_load((tmp_path / "scores.settings.yaml").read_text())
    assert saved["n_components"] == 8 and saved["mapping"]["table"] == [0, 1, 2]


def test_fit_reads_settings_from_yaml_and_reports_bad_ones_in_one_line(tmp_path, capsys):
    write_inputs(tmp_path)
    config = tmp_path / "fit.yaml"
    config.write_text("time: matrix\nn_components: 8\nn_splits: 3\n")
    args = ["fit", "--features", str(tmp_path / "features.nc"), "--neural", str(tmp_path / "neural.nc"),
            "--out", str(tmp_path / "scores.nc"), "--config", str(config), "--quiet"]
    assert main(args) == 0
    assert read_scores(tmp_path / "scores.nc")["score"].dims == ("region", "time_step", "time_bin")

    config.write_text("n_componentz: 8\n")
    assert main(args) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("chronoscore: error: unknown setting(s) n_componentz") and "\n" not in error
