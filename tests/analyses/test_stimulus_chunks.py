"""``chronoscore stimuli pathfinder``: chunks that hold exactly the generator's images, a run killed
mid-way that resumes without rewriting finished chunks or keeping half-written ones, and the
pathfinder options."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from chronoscore.analyses.stimulus_chunks import chunk_folder
from chronoscore.cli import main
from chronoscore.stimuli.brainscore_format import read_stimulus_set
from chronoscore.stimuli.generators.registry import generate
from chronoscore.stimuli.images import stimulus_image


def run(capsys, *argv):
    code = main(["stimuli", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def chunk_set(folder):
    (csv,) = folder.glob("*.csv")
    return read_stimulus_set(csv)


def chunk_images(folder):
    stimuli = chunk_set(folder)
    return np.stack([stimulus_image(stimuli, index) for index in range(len(stimuli))]), stimuli.table


def test_chunks_hold_the_generators_images_in_order(capsys, tmp_path):
    code, out, _ = run(capsys, "pathfinder", "--out", str(tmp_path), "--n", "25", "--size", "48", "--seed", "3",
                       "--path-length", "9", "--distractors", "4", "--chunk-size", "10", "--workers", "2")
    assert code == 0
    assert "chronoscore.pathfinder.v2.classification.length9.seed3: 25 stimuli in 3 chunk(s)" in out
    expected = generate("pathfinder", n=25, size=48, seed=3, path_length=9, n_distractors=4)
    images, tables = zip(*(chunk_images(chunk_folder(tmp_path, number)) for number in range(3)))
    assert [len(table) for table in tables] == [10, 10, 5]
    np.testing.assert_array_equal(np.concatenate(images), expected.pixels)
    table = np.concatenate([table["stimulus_id"].to_numpy() for table in tables])
    np.testing.assert_array_equal(table, expected.table["stimulus_id"].to_numpy())
    assert (tables[2]["n_distractors"] == 4).all()
    np.testing.assert_array_equal(tables[2]["label"], expected.table["label"][20:])
    assert (tmp_path / "contact_sheet.png").is_file() and (tmp_path / "settings.json").is_file()


def test_segmentation_task_is_written(capsys, tmp_path):
    assert run(capsys, "pathfinder", "--out", str(tmp_path), "--n", "4", "--size", "48", "--path-length", "6",
               "--task", "segmentation")[0] == 0
    table = chunk_set(chunk_folder(tmp_path, 0)).table
    assert (table["task"] == "segmentation").all() and "label" not in table.columns


def test_a_killed_run_resumes_without_redoing_finished_chunks(capsys, tmp_path):
    argv = ["pathfinder", "--out", str(tmp_path), "--n", "1200", "--size", "48", "--path-length", "6",
            "--chunk-size", "40"]
    process = subprocess.Popen([sys.executable, "-m", "chronoscore", "stimuli", *argv],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while len(list(tmp_path.glob("chunk-*"))) < 3 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    finished = {folder.name: folder.stat().st_ino for folder in tmp_path.glob("chunk-*")}
    assert 3 <= len(finished) < 30, "the run was killed part-way"
    for name in finished:
        assert len(list((tmp_path / name).iterdir())) == 3, "a chunk folder is whole (csv, zip, json)"
    (tmp_path / ".chunk-00029-left-behind").mkdir()
    (tmp_path / ".chunk-00029-left-behind" / "half.zip").write_bytes(b"PK")

    code, out, _ = run(capsys, *argv)
    assert code == 0 and "1200 stimuli in 30 chunk(s)" in out
    assert not list(tmp_path.glob(".chunk-*")), "scratch folders of the killed run are gone"
    for name, inode in finished.items():
        assert (tmp_path / name).stat().st_ino == inode, f"{name} was not written again"
    expected = generate("pathfinder", n=1200, size=48, seed=0, path_length=6)
    last = sorted(finished)[-1]
    for name in (last, "chunk-00029"):
        images, table = chunk_images(tmp_path / name)
        rows = table["image_index"].to_numpy()
        np.testing.assert_array_equal(images, expected.pixels[rows])


def test_a_folder_with_another_set_is_refused(capsys, tmp_path):
    argv = ["pathfinder", "--out", str(tmp_path), "--n", "4", "--size", "48", "--path-length", "6"]
    assert run(capsys, *argv)[0] == 0
    code, _, err = run(capsys, *argv[:-1], "9")
    assert code == 2 and "holds another set (different options)" in err


@pytest.mark.parametrize("argv,message", [
    (["objects", "--path-length", "6"], "--path-length only apply to the pathfinder generator"),
    (["pathfinder", "--path-length", "30"], "path_length must be an integer from 2 to 25"),
    (["pathfinder", "--workers", "0"], "--workers must be positive"),
    (["pathfinder", "--chunk-size", "0"], "--chunk-size must be positive"),
])
def test_bad_pathfinder_options_give_one_line_errors(capsys, tmp_path, argv, message):
    code, _, err = run(capsys, *argv, "--out", str(tmp_path / "out"))
    assert code == 2 and message in err and err.count("\n") == 1
