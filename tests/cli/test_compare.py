"""Scoring run folders (scores.nc + model.json) and ``chronoscore compare`` end to end."""

import json

import numpy as np
import pytest

from chronoscore.analyses.compare import compare, read_comparison
from chronoscore.analyses.run_folder import write_model_info
from chronoscore.analyses.scored_model import load_scored_model
from chronoscore.cli import main
from chronoscore.errors import FileFormatError
from chronoscore.neural_fit.results_io import write_scores

from tests.analyses.test_compare import scored_pair


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two scoring run folders, as ``chronoscore score`` leaves them, and a bare scores file."""
    root = tmp_path_factory.mktemp("runs")
    true, noisy, _ = scored_pair(7)
    write_scores(true, root / "recurrent" / "scores.nc")
    write_model_info(root / "recurrent", model="convrnn_tiny", parameters=12345, weights_hash="abc")
    write_scores(noisy, root / "control" / "scores.nc")
    write_model_info(root / "control", model="ff_tiny", parameters=12001)
    write_scores(noisy, root / "bare.nc")
    return root


def test_folders_give_names_and_parameter_counts_from_model_json(runs):
    folder = load_scored_model(runs / "recurrent")
    assert (folder.name, folder.parameters, folder.info["weights_hash"]) == ("convrnn_tiny", 12345, "abc")
    inside = load_scored_model(runs / "control" / "scores.nc")
    assert (inside.name, inside.parameters) == ("ff_tiny", 12001)
    bare = load_scored_model(runs / "bare.nc")
    assert (bare.name, bare.parameters) == ("noisy", None)          # the Scores' model attribute, no count

    comparison = compare([runs / "control", runs / "recurrent", runs / "bare.nc"], n_bootstrap=50)
    assert list(comparison["model"].values) == ["ff_tiny", "convrnn_tiny", "noisy"]
    assert list(comparison["candidate"].values) == ["convrnn_tiny", "noisy"]
    np.testing.assert_array_equal(comparison["parameters"].values, [12001, 12345, np.nan])
    np.testing.assert_array_equal(comparison["difference_r"].sel(candidate="noisy").values, 0)


def test_a_run_with_one_scores_file_per_time_mode_is_read_through_its_per_bin_file(tmp_path):
    true, _, _ = scored_pair(7)
    matrix, _, _ = scored_pair(7, time="matrix")
    write_scores(true, tmp_path / "scores_per_bin.nc")
    write_scores(matrix, tmp_path / "scores_matrix.nc")
    write_model_info(tmp_path, model="convrnn_tiny", parameters=99)
    per_bin = load_scored_model(tmp_path)
    assert per_bin.scores["r"].dims == ("split", "neuroid", "time_bin") and per_bin.parameters == 99
    named = load_scored_model(tmp_path / "scores_matrix.nc")
    assert "time_step" in named.scores["r"].dims and named.name == "convrnn_tiny"


def test_a_malformed_model_json_is_reported(tmp_path, runs):
    (tmp_path / "scores.nc").write_bytes((runs / "bare.nc").read_bytes())
    (tmp_path / "model.json").write_text(json.dumps({"model": "x", "parameters": "many"}))
    with pytest.raises(FileFormatError, match="'parameters' must be a non-negative integer"):
        load_scored_model(tmp_path)
    with pytest.raises(FileFormatError, match="holds neither scores.nc nor scores_per_bin.nc"):
        load_scored_model(runs)                                    # a folder of runs, not a run


def test_compare_command_prints_and_writes_what_the_python_api_computes(runs, tmp_path, capsys):
    out = tmp_path / "comparison"
    code = main(["compare", str(runs / "recurrent"), str(runs / "control"), "--reference", "ff_tiny",
                 "--out", str(out), "--n-bootstrap", "150", "--seed", "2"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "# Model comparison against ff_tiny" in printed and "| convrnn_tiny | reference" not in printed
    assert "| ff_tiny      | reference | 12,001" in printed
    assert (out / "comparison.md").read_text(encoding="utf-8").strip() in printed

    written = read_comparison(out / "comparison.nc")
    expected = compare([runs / "recurrent", runs / "control"], reference="ff_tiny", n_bootstrap=150, seed=2)
    for name in ("difference_r", "difference_r_ci", "p_value", "difference_ceiled_ci", "parameters"):
        np.testing.assert_array_equal(written[name].values, expected[name].values)


def test_compare_command_passes_the_interval_and_the_correction_on(runs, tmp_path, capsys):
    out = tmp_path / "comparison"
    assert main(["compare", str(runs / "recurrent"), str(runs / "control"), "--out", str(out), "--n-bootstrap", "60",
                 "--interval", "percentile", "--correction", "holm"]) == 0
    assert "p (Holm)" in capsys.readouterr().out
    written = read_comparison(out / "comparison.nc")
    assert (written.attrs["interval"], written.attrs["correction"]) == ("percentile", "holm")
    expected = compare([runs / "recurrent", runs / "control"], n_bootstrap=60, interval="percentile",
                       correction="holm")
    for name in ("difference_r_ci", "p_value_corrected"):
        np.testing.assert_array_equal(written[name].values, expected[name].values)


def test_compare_command_reports_user_errors_in_one_line(runs, tmp_path, capsys):
    args = ["compare", str(runs / "recurrent"), str(runs / "control"), "--out", str(tmp_path)]
    assert main(args + ["--reference", "cornet_s"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("chronoscore: error: reference 'cornet_s' is none of") and "\n" not in error
    assert main(["compare", str(runs / "recurrent"), "--out", str(tmp_path)]) == 2
    assert "at least two" in capsys.readouterr().err
    assert not (tmp_path / "comparison.nc").exists()
