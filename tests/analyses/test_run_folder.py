"""The results folders' layout: names, readers and writers, and folders written before this module existed."""

import json

import numpy as np
import pytest

from chronoscore.analyses import run_folder
from chronoscore.cli import main
from chronoscore.analyses.scored_model import load_scored_model
from chronoscore.errors import FileFormatError
from chronoscore.neural_fit import write_scores
from tests.figures.tiny_results import scores_dataset

SCORE = np.array([[0.2, 0.4, 0.5, 0.45], [0.1, 0.2, 0.3, 0.25]])


def test_the_run_files_are_named_as_chronoscore_has_always_named_them(tmp_path):
    assert run_folder.scores_file(tmp_path, "per_bin") == tmp_path / "scores_per_bin.nc"
    assert run_folder.scores_file(tmp_path) == tmp_path / "scores.nc"
    assert run_folder.comparison_files(tmp_path) == (tmp_path / "comparison.nc", tmp_path / "comparison.md")
    assert run_folder.ceilings_file(tmp_path / "assembly.nc") == tmp_path / "ceilings.nc"
    assert run_folder.ceilings_file(tmp_path / "v4_assembly.nc") == tmp_path / "v4_ceilings.nc"
    assert run_folder.ceilings_file(tmp_path / "raw.nc") == tmp_path / "raw_ceilings.nc"
    assert run_folder.scoring_modes(["scores_matrix.nc", "model.json", "scores_per_bin.nc", "scores.nc"]) == [
        "matrix", "per_bin"]


def test_a_run_folder_written_by_hand_as_older_versions_did_is_read_and_drawn(tmp_path, capsys):
    """No writer of this module: the files as chronoscore 0.1 spelled them, with plain json and netCDF."""
    folder = tmp_path / "old_run"
    folder.mkdir()
    scores = scores_dataset(SCORE, ceiling=np.full((2, 4), 0.8), model="old_model")
    scores.attrs = {key: str(value) for key, value in scores.attrs.items()}
    scores.to_netcdf(folder / "scores_per_bin.nc")
    scores_dataset(np.stack([SCORE] * 2, axis=1), model="old_model").to_netcdf(folder / "scores_matrix.nc")
    (folder / "model.json").write_text(json.dumps({"model": "old_model", "parameters": 77}))
    (folder / "summary.md").write_text("# old_model on tiny\n")
    model = load_scored_model(folder)
    assert (model.name, model.parameters) == ("old_model", 77)
    np.testing.assert_allclose(model.scores["score"].values, SCORE)
    np.testing.assert_allclose(run_folder.read_run_scores(folder, "per_bin")["ceiling"].values, 0.8)
    assert run_folder.read_summary(folder) == "# old_model on tiny\n"
    assert main(["figures", str(tmp_path), "--out", str(tmp_path / "figures")]) == 0
    assert {"predictivity_timecourse.png", "step_bin_heatmap_old_run.png"} <= {
        path.name for path in (tmp_path / "figures").iterdir()}


def test_readers_name_what_is_missing(tmp_path):
    write_scores(scores_dataset(SCORE), tmp_path / "scores_per_bin.nc")
    with pytest.raises(FileFormatError, match=r"scores_shared.nc: no such file; .* time modes \['per_bin'\]"):
        run_folder.read_run_scores(tmp_path, "shared")
    with pytest.raises(FileFormatError, match="summary.md: no such file"):
        run_folder.read_summary(tmp_path)
    assert run_folder.read_ceilings(tmp_path / "assembly.nc") is None
    (tmp_path / "ceilings.nc").write_bytes(b"")
    with pytest.raises(FileFormatError):
        run_folder.read_ceilings(tmp_path / "assembly.nc")


def test_writers_and_readers_round_trip(tmp_path):
    scores = scores_dataset(SCORE, model="m")
    path = run_folder.write_run_scores(tmp_path / "run", "shared", scores)
    assert path == tmp_path / "run" / "scores_shared.nc"
    np.testing.assert_array_equal(run_folder.read_run_scores(tmp_path / "run", "shared")["score"].values, SCORE)
    run_folder.write_model_info(tmp_path / "run", model="m", parameters=5, weights_hash="abc")
    assert run_folder.read_model_info(tmp_path / "run") == {"model": "m", "parameters": 5, "weights_hash": "abc"}
    run_folder.write_summary(tmp_path / "run", "text")
    assert run_folder.read_summary(tmp_path / "run") == "text"
