"""``chronoscore stimuli``: listing, generating and writing, and one-line errors for bad input."""

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from chronoscore.cli import main
from chronoscore.stimuli.brainscore_format import read_stimulus_set
from chronoscore.stimuli.generators import list_generators, register_generator, registry
from chronoscore.stimuli.images import stimulus_image
from chronoscore.stimuli.stimulus_set import StimulusSet

NAME = "h3a_test_squares"


def squares(n, size, seed=0):
    """n gray squares of the given side, the i-th of level (seed * 10 + i * 20) % 256."""
    levels = [(seed * 10 + index * 20) % 256 for index in range(n)]
    pixels = np.stack([np.full((size, size, 3), level, dtype=np.uint8) for level in levels])
    table = pd.DataFrame({"stimulus_id": [f"sq{index}" for index in range(n)], "level": levels})
    return StimulusSet(table, "test.Squares", degrees=4.0, pixels=pixels)


@pytest.fixture
def calls(monkeypatch):
    """Register the throwaway generator for one test only; returns the list of its calls."""
    list_generators()  # let the real generators register in the real registry first
    monkeypatch.setattr(registry, "_GENERATORS", dict(registry._GENERATORS))
    made = []

    @register_generator(NAME, default_n=3, default_size=8)
    def recorded(n, size, seed=0):
        made.append((n, size, seed))
        return squares(n, size, seed)

    return made


def run(capsys, *argv):
    code = main(["stimuli", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_list_shows_the_registered_generator(calls, capsys):
    code, out, _ = run(capsys, "--list")
    assert code == 0 and NAME in out.split()


def test_writes_the_set_and_a_contact_sheet(calls, capsys, tmp_path):
    code, out, err = run(capsys, NAME, "--out", str(tmp_path / "out"), "--n", "5", "--size", "12", "--seed", "2")
    assert code == 0 and err == ""
    assert calls == [(5, 12, 2)]
    names = ["stimulus_test_Squares.csv", "stimulus_test_Squares.zip", "stimulus_test_Squares.json",
             "contact_sheet.png"]
    for name in names:
        assert (tmp_path / "out" / name).is_file()
        assert f"wrote {tmp_path / 'out' / name}" in out
    assert "test.Squares: 5 stimuli, 4 degrees" in out
    read = read_stimulus_set(tmp_path / "out" / "stimulus_test_Squares.csv")
    assert read.degrees == 4.0 and read.table["level"].tolist() == [20, 40, 60, 80, 100]
    for index, level in enumerate([20, 40, 60, 80, 100]):
        np.testing.assert_array_equal(stimulus_image(read, index), np.full((12, 12, 3), level))
    assert Image.open(tmp_path / "out" / "contact_sheet.png").format == "PNG"


def test_defaults_come_from_the_generator(calls, capsys, tmp_path):
    assert run(capsys, NAME, "--out", str(tmp_path))[0] == 0
    assert calls == [(3, 8, 0)]


def one_line_error(code, err):
    assert code == 2
    assert err.startswith("chronoscore: error: ") and err.count("\n") == 1
    return err


@pytest.mark.parametrize("argv,message", [
    (["h3a_test_squaers"], "no stimulus generator named 'h3a_test_squaers'. Did you mean h3a_test_squares?"),
    ([NAME, "--size", "0"], "--size must be positive, got 0"),
    ([NAME, "--size", "-5"], "--size must be positive"),
    ([NAME, "--size", "4"], "at least 8 pixels"),
    ([NAME, "--n", "0"], "--n must be positive"),
])
def test_bad_arguments_give_one_line_errors(calls, capsys, tmp_path, argv, message):
    code, _, err = run(capsys, *argv, "--out", str(tmp_path / "out"))
    assert message in one_line_error(code, err)
    assert calls == []


def test_unwritable_output_folder_is_reported_before_generating(calls, capsys, tmp_path):
    (tmp_path / "file").write_text("")
    code, _, err = run(capsys, NAME, "--out", str(tmp_path / "file" / "out"))
    assert "file/out: cannot write there" in one_line_error(code, err)
    assert calls == []


def test_name_and_out_are_required(calls, capsys, tmp_path):
    assert "give a generator NAME and --out" in one_line_error(*run(capsys, "--out", str(tmp_path))[::2])
    assert "give a generator NAME and --out" in one_line_error(*run(capsys, NAME)[::2])
