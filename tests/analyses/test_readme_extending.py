"""The README's section on data sets and figures, run as written (with tiny data and fast scoring options)."""

import re
import shlex
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from chronoscore.cli import main
from chronoscore.analyses.datasets import _registry, load_benchmark
from chronoscore.figures import registry
from chronoscore.figures.registry import list_figures
from chronoscore.neural_fit import read_assembly
from chronoscore.stimuli.brainscore_format import write_stimulus_set
from chronoscore.stimuli.stimulus_set import StimulusSet
from tests.analyses.test_datasets import TINY_SCORING, write_cowley_layout
from tests.figures.tiny_results import write_scored_model, write_tiny_assembly

README = Path(__file__).resolve().parents[2] / "README.md"
SECTION = README.read_text().split("## Data sets and figures: listing them, adding your own", 1)[1].split("\n## ", 1)[0]


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", SECTION, re.S)


def test_the_section_s_commands_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    write_cowley_layout(tmp_path / "cowley_v4", n_images=24)
    write_tiny_assembly(tmp_path / "my_benchmark" / "assembly.nc")
    commands = [shlex.split(line.split("#", 1)[0]) for line in blocks("bash")[0].splitlines() if line.strip()]
    assert [words[1] for words in commands] == ["data", "score", "data"]
    for words in commands:
        extra = TINY_SCORING + ["--model-arg", "width=0.05"] if words[1] == "score" else []
        assert main(words[1:] + extra) == 0, capsys.readouterr().err
    assert (tmp_path / "results" / "cowley" / "scores_per_bin.nc").is_file()
    assert (tmp_path / "my_benchmark" / "ceilings.nc").is_file()


def test_the_data_set_example_registers_a_loadable_data_set(tmp_path, monkeypatch):
    monkeypatch.setattr(_registry, "_DATASETS", dict(_registry._DATASETS))
    exec(blocks("python")[0], {"__name__": "my_v4_2024"})
    write_tiny_assembly(tmp_path / "v4.nc")
    table = pd.DataFrame({"stimulus_id": ["s0", "s1"]})
    pixels = np.zeros((2, 8, 8, 3), np.uint8)
    write_stimulus_set(StimulusSet(table, "textures", 8.0, pixels=pixels), tmp_path)
    benchmark = load_benchmark("my_v4_2024", folder=tmp_path)
    np.testing.assert_array_equal(benchmark.assembly.values, read_assembly(tmp_path / "v4.nc").values)
    assert benchmark.stimulus_set.stimulus_ids.tolist() == ["s0", "s1"]


def test_the_figure_example_is_drawn_by_chronoscore_figures(tmp_path, monkeypatch, capsys):
    list_figures()
    monkeypatch.setattr(registry, "_FIGURES", dict(registry._FIGURES))
    exec(blocks("python")[1], {"__name__": "peak_latency"})
    score = np.array([[0.2, 0.4, 0.5, 0.45], [0.1, 0.2, 0.3, 0.25]])
    write_scored_model(tmp_path / "results" / "a", "a", score)
    assert main(["figures", str(tmp_path / "results")]) == 0
    assert "drew    peak_latency" in capsys.readouterr().out
    assert (tmp_path / "results" / "figures" / "peak_latency.png").is_file()


@pytest.mark.parametrize("name", ["simulated", "majajhong2015", "cowley2023_v4", "kiani2007_it", "folder", "nwb"])
def test_every_data_set_the_section_names_is_registered(name):
    assert f"`{name}`" in SECTION and name in [entry.name for entry in _registry.list_datasets()]
