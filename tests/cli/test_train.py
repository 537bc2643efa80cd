"""``chronoscore train`` on the command line."""

import json

import pytest
import torch

from chronoscore.cli import main
from chronoscore.models.training import save_recipe

from tests.models.training.tiny_recipes import tiny_recipe


@pytest.fixture(autouse=True)
def one_cpu_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def recipe_file(tmp_path):
    path = tmp_path / "tiny.yaml"
    save_recipe(tiny_recipe(), path)
    return path


def test_train_writes_the_run_and_reports_it(recipe_file, tmp_path, capsys):
    code = main(["train", str(recipe_file), "--out", str(tmp_path / "run"), "--set", "steps=3",
                 "--set", "optimiser.lr=0.01", "--quiet"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "trained convrnn_shallow_vanilla for 3 steps" in printed and str(tmp_path / "run") in printed
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["steps"] == 3 and summary["recipe"]["optimiser"]["lr"] == 0.01


def test_resume_flag_continues_a_run(recipe_file, tmp_path, capsys):
    assert main(["train", str(recipe_file), "--out", str(tmp_path / "run"), "--quiet"]) == 0
    assert main(["train", str(recipe_file), "--out", str(tmp_path / "run"), "--resume", "--quiet"]) == 0
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["resumed_from_step"] == 4


def test_default_output_folder_is_named_after_the_recipe(recipe_file, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["train", str(recipe_file), "--set", "steps=1", "--quiet"]) == 0
    assert (tmp_path / "results" / "tiny" / "summary.json").is_file()


@pytest.mark.parametrize("arguments, message", [
    (["--set", "optimiser.lr=fast"], "optimiser.lr must be a number, got 'fast'"),
    (["--set", "optimizer.lr=0.1"], r"unknown setting(s) optimizer; known: model, data, optimiser"),
    (["--set", "data.source=imagefolder", "--set", "data.root=/no/such/folder"],
     "the data folder /no/such/folder does not exist"),
])
def test_bad_recipe_is_one_line_of_error_and_exit_code_2(arguments, message, recipe_file, tmp_path, capsys):
    assert main(["train", str(recipe_file), "--out", str(tmp_path / "run"), *arguments]) == 2
    error = capsys.readouterr().err
    assert error.startswith("chronoscore: error: ") and message in error
    assert not (tmp_path / "run" / "checkpoints").exists()


def test_unknown_recipe_name_lists_the_shipped_recipes(capsys):
    assert main(["train", "convrnn_objects.yaml"]) == 2
    assert "convrnn_rgc_objects" in capsys.readouterr().err
