"""The figure registry: the built-in figures, and a figure registered here drawn by the commands."""

import dataclasses

import numpy as np
import pytest
from matplotlib.figure import Figure

from chronoscore.cli import main
from chronoscore.errors import ConfigError
from chronoscore.figures import gallery, registry
from chronoscore.figures.gallery import ResultInputs, find_inputs, plan_figures
from chronoscore.figures.registry import INPUT_KINDS, figure, list_figures
from chronoscore.figures.result_files import read_scored_model

from .tiny_results import write_scored_model, write_tiny_assembly

SCORE = np.array([[0.2, 0.4, 0.5, 0.45], [0.1, 0.2, 0.3, 0.25]])
BUILT_IN_ORDER = ["predictivity_timecourse", "predictivity_bars", "predictivity_vs_parameters",
                  "predictivity_over_checkpoints", "top_models_timecourse", "training_curves",
                  "step_bin_heatmap", "rdm_similarity_over_steps", "memory_vs_steps", "pathfinder_accuracy",
                  "lesion_effects", "stimulus_sheet", "neural_overview"]


@pytest.fixture
def own_registry(monkeypatch):
    """The registry as it is, restored after the test (figures registered in a test stay in it)."""
    list_figures()                                                # the built-in modules are imported first
    monkeypatch.setattr(registry, "_FIGURES", dict(registry._FIGURES))


@pytest.fixture
def peak_count_figure(own_registry):
    """A figure registered the way a new figure module registers one; records what it was drawn from."""
    drawn_from = []

    @figure("peak_bins", needs="scored_models", caption="Time bin of peak predictivity per model", colours=True)
    def peak_bins(result_folders, colours=None) -> Figure:
        drawn_from.append((list(result_folders), dict(colours)))
        models = [read_scored_model(folder) for folder in result_folders]
        result = Figure()
        axis = result.add_subplot()
        axis.bar([model.name for model in models],
                 [int(model.scores["score"].sel(region="V4").argmax("time_bin")) for model in models])
        return result

    return drawn_from


def test_the_built_in_figures_are_registered_in_the_gallery_order():
    assert [spec.name for spec in list_figures()] == BUILT_IN_ORDER
    kinds = [spec.name for spec in dataclasses.fields(ResultInputs) if spec.name != "comparisons"]
    assert set(kinds) == set(INPUT_KINDS) == set(gallery._MISSING)


def test_a_figure_registered_in_a_test_file_is_listed_planned_and_drawn(peak_count_figure, tmp_path, capsys):
    write_scored_model(tmp_path / "a", "model_a", SCORE)
    write_scored_model(tmp_path / "b", "model_b", SCORE[:, ::-1].copy())
    names = [spec.name for spec in list_figures()]
    assert names.index("peak_bins") == 3                              # after the scored models' own three
    planned, _ = plan_figures(find_inputs(tmp_path))
    assert "peak_bins" in [item.name for item in planned]
    assert main(["figures", str(tmp_path), "--out", str(tmp_path / "figures")]) == 0
    printed = capsys.readouterr().out
    assert "drew    peak_bins" in printed and (tmp_path / "figures" / "peak_bins.png").is_file()
    folders, colours = peak_count_figure[-1]
    assert folders == [tmp_path / "a", tmp_path / "b"] and set(colours) >= {"model_a", "model_b"}
    assert main(["report", str(tmp_path)]) == 0
    assert 'id="peak_bins"' in (tmp_path / "report.html").read_text()


def test_a_per_input_figure_is_drawn_once_per_input(own_registry, tmp_path, capsys):
    @figure("site_count", needs="assemblies", caption="Sites", each=True)
    def site_count(assembly_file) -> Figure:
        result = Figure()
        result.add_subplot().set_title(str(assembly_file))
        return result

    write_tiny_assembly(tmp_path / "first" / "assembly.nc")
    write_tiny_assembly(tmp_path / "second" / "assembly.nc")
    planned, skipped = plan_figures(find_inputs(tmp_path))
    ours = [item for item in planned if item.name.startswith("site_count")]
    assert [item.name for item in ours] == ["site_count_first", "site_count_second"]
    assert ours[0].caption == "Sites (first)" and ours[0].inputs == (tmp_path / "first" / "assembly.nc",)
    assert ours[1].draw().axes[0].get_title() == str(tmp_path / "second" / "assembly.nc")
    assert ("training_curves", "no training run (metrics.csv) found") in [(s.name, s.reason) for s in skipped]


def test_registration_refuses_an_unknown_input_and_a_taken_name(own_registry):
    with pytest.raises(ConfigError, match="'spike_trains', which is no input kind"):
        figure("raster", needs="spike_trains", caption="")
    with pytest.raises(ConfigError, match="'neural_overview' is registered already"):
        figure("neural_overview", needs="assemblies", caption="")(lambda path: Figure())


def test_figures_list_prints_every_registered_figure_with_its_input_and_caption(peak_count_figure, capsys):
    assert main(["figures", "--list"]) == 0
    rows = [line.split(maxsplit=2) for line in capsys.readouterr().out.splitlines()]
    assert [row[0] for row in rows] == BUILT_IN_ORDER[:3] + ["peak_bins"] + BUILT_IN_ORDER[3:]
    assert rows[3][1:] == ["scored_models", "Time bin of peak predictivity per model"]
    assert rows[-1][1] == "assemblies"


def test_figures_without_a_results_folder_or_list_says_what_it_needs(capsys):
    assert main(["figures"]) == 2
    assert capsys.readouterr().err.startswith("chronoscore: error: figures needs RESULTS_DIR")
