"""Finding a results folder's figures, ``chronoscore figures`` and ``chronoscore report``."""

import base64
import re

import numpy as np
import pytest

from chronoscore.cli import main
from chronoscore.figures.gallery import draw, find_inputs, plan_figures

from .tiny_results import write_csv, write_matrix, write_scored_model, write_tiny_assembly, write_tiny_stimuli, \
    write_step_scores, write_training_run

SCORE = np.array([[0.2, 0.4, 0.5, 0.45], [0.1, 0.2, 0.3, 0.25]])
CEILING = np.full((2, 4), 0.81)
ALL_FIGURES = {"predictivity_timecourse", "predictivity_bars", "predictivity_vs_parameters", "training_curves",
               "step_bin_heatmap_hgru", "rdm_similarity_over_steps", "memory_vs_steps", "pathfinder_accuracy",
               "lesion_effects", "stimulus_sheet", "neural_overview"}
SWEEP_FIGURES = {"predictivity_over_checkpoints", "top_models_timecourse"}
"""Drawn from a sweep folder, which the results folder below does not hold (tests/figures/test_sweep_figures.py)."""


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """A results folder with one input of every kind, and a benchmark folder beside it."""
    root = tmp_path_factory.mktemp("gallery")
    folder, benchmark = root / "results", root / "benchmark"
    write_scored_model(folder / "scores" / "hgru", "hgru", SCORE, parameters=400, ceiling=CEILING)
    write_matrix(folder / "scores" / "hgru", np.stack([SCORE] * 3, axis=1), name="hgru")
    write_step_scores(folder / "scores" / "hgru_kiani", SCORE, name="hgru")
    write_scored_model(folder / "scores" / "ff", "ff", SCORE * 0.8, parameters=9000, ceiling=CEILING,
                       feedforward=True)
    (folder / "scores" / "hgru" / "summary.md").write_text("# hgru on tiny\n\n| region | r |\n| --- | --- |\n"
                                                           "| V4 | 0.5 |\n")
    (folder / "comparison").mkdir()
    (folder / "comparison" / "comparison.nc").write_bytes(b"")
    (folder / "comparison" / "comparison.md").write_text("# Model comparison against ff\n\nΔr table here.\n")
    run = write_training_run(folder / "runs" / "hgru_run", "hgru", loss=[2.0, 1.0], val_loss=[1.2])
    write_training_run(run / "checkpoints", "hidden", loss=[1.0], val_loss=[1.0])     # not searched
    write_csv(folder / "tables" / "memory.csv", "algorithm,n_steps,peak_mb,device", ["bptt,2,10,cpu", "crbp,2,5,cpu"])
    write_csv(folder / "tables" / "pathfinder.csv", "model,path_length,accuracy,n_parameters,seed",
              ["hgru,6,0.9,400,0", "hgru,14,0.8,400,0"])
    write_csv(folder / "tables" / "lesions.csv", "model,variant,accuracy,seed",
              ["hgru,full,0.9,0", "hgru,lesion_mu_kappa,0.6,0"])
    write_csv(folder / "tables" / "notes.csv", "what,when", ["x,y"])
    write_tiny_assembly(benchmark / "assembly.nc")
    write_tiny_stimuli(benchmark / "stimuli")
    return folder, benchmark


def test_find_inputs_recognises_files_by_name_and_tables_by_header(results):
    folder, benchmark = results
    found = find_inputs(folder, benchmark)
    assert found.scored_models == [folder / "scores" / "ff", folder / "scores" / "hgru"]
    assert found.matrix_scores == [folder / "scores" / "hgru" / "scores_matrix.nc"]
    assert found.step_scores == [folder / "scores" / "hgru_kiani" / "scores_per_step.nc"]
    assert found.training_runs == [folder / "runs" / "hgru_run"]          # checkpoints/ is not searched
    assert found.memory_tables == [folder / "tables" / "memory.csv"]
    assert found.pathfinder_tables == [folder / "tables" / "pathfinder.csv"]
    assert found.lesion_tables == [folder / "tables" / "lesions.csv"]
    assert [path.name for path in found.stimulus_tables] == ["stimulus_chronoscore_objects_test_seed0.csv"]
    assert found.assemblies == [benchmark / "assembly.nc"] and found.comparisons == [folder / "comparison"]


def test_every_figure_is_planned_and_a_model_keeps_its_colour_across_figures(results):
    planned, skipped = plan_figures(find_inputs(*results))
    assert {figure.name for figure in planned} == ALL_FIGURES
    assert {item.name: item.reason for item in skipped} == {name: "no sweep folder (sweep.json) found"
                                                            for name in SWEEP_FIGURES}
    by_name = {figure.name: figure for figure in planned}
    timecourse = draw(by_name["predictivity_timecourse"])
    pathfinder = draw(by_name["pathfinder_accuracy"])
    training = draw(by_name["training_curves"])
    hgru_line = next(line for line in timecourse.axes[0].get_lines() if line.get_label() == "hgru")
    hgru_path = next(c for c in pathfinder.axes[0].containers if c.get_label().startswith("hgru")).lines[0]
    assert hgru_line.get_color() == hgru_path.get_color() == training.axes[0].get_lines()[0].get_color()


def test_an_empty_folder_skips_every_figure_naming_what_is_missing(tmp_path):
    planned, skipped = plan_figures(find_inputs(tmp_path))
    assert not planned
    reasons = {item.name: item.reason for item in skipped}
    assert set(reasons) == {"predictivity_timecourse", "predictivity_bars", "predictivity_vs_parameters",
                            "training_curves", "step_bin_heatmap", "rdm_similarity_over_steps", "memory_vs_steps",
                            "pathfinder_accuracy", "lesion_effects", "stimulus_sheet", "neural_overview",
                            *SWEEP_FIGURES}
    assert "scores_per_bin.nc" in reasons["predictivity_bars"] and "metrics.csv" in reasons["training_curves"]
    assert "algorithm,n_steps,peak_mb,device" in reasons["memory_vs_steps"]


def test_figures_command_saves_png_and_pdf_of_each_figure(results, tmp_path, capsys):
    tables = results[0] / "tables"                    # the tables only, to keep it quick; the report draws them all
    assert main(["figures", str(tables), "--out", str(tmp_path / "out")]) == 0
    saved = {path.name for path in (tmp_path / "out").iterdir()}
    drawn = ("memory_vs_steps", "pathfinder_accuracy", "lesion_effects")
    assert saved == {f"{name}.{suffix}" for name in drawn for suffix in ("png", "pdf")}
    printed = capsys.readouterr().out
    assert printed.count("drew ") == 3 and printed.count("skipped ") == 8 + len(SWEEP_FIGURES)
    assert "3 figure(s) drawn into" in printed and "skipped neural_overview: no neural assembly" in printed


def test_figures_command_skips_a_malformed_table_and_says_why(tmp_path, capsys):
    write_csv(tmp_path / "lesions.csv", "model,variant,accuracy,seed", ["hgru,lesion_mu_kappa,0.6,0"])
    write_csv(tmp_path / "memory.csv", "algorithm,n_steps,peak_mb,device", ["bptt,2,10,cpu"])
    assert main(["figures", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert re.search(r"skipped lesion_effects: .*lesions.csv: no row has variant 'full'", printed)
    assert "skipped training_curves: no training run (metrics.csv) found" in printed
    assert sorted(path.name for path in (tmp_path / "figures").iterdir()) == ["memory_vs_steps.pdf",
                                                                             "memory_vs_steps.png"]


def test_commands_refuse_a_missing_folder(tmp_path, capsys):
    assert main(["figures", str(tmp_path / "nowhere")]) == 2
    assert main(["report", str(tmp_path / "nowhere")]) == 2
    assert "nowhere: no such folder" in capsys.readouterr().err


def test_report_is_one_self_contained_html_file(results, tmp_path, capsys):
    folder, benchmark = results
    out = tmp_path / "page" / "report.html"
    assert main(["report", str(folder), "--out", str(out), "--include", str(benchmark), "--title", "Tiny"]) == 0
    assert [path.name for path in out.parent.iterdir()] == ["report.html"]
    page = out.read_text(encoding="utf-8")
    images = re.findall(r'<img [^>]*src="([^"]*)"', page)
    assert len(images) == len(ALL_FIGURES) == page.count("<img ")
    for source in images:
        assert source.startswith("data:image/png;base64,")
        assert base64.b64decode(source.split(",", 1)[1]).startswith(b"\x89PNG\r\n\x1a\n")
    without_images = re.sub(r'src="data:[^"]*"', "", page)
    assert not re.search(r"https?://|href=|src=|<link|url\(|@import", without_images)
    assert "<title>Tiny</title>" in page and "Model comparison against ff" in page
    assert "<td>V4</td><td>0.5</td>" in page                                 # the model's summary.md table
    assert "hgru_run" in page and "memory vs steps" in page                  # training runs and result tables
    assert "report with 11 figure(s) written to" in capsys.readouterr().out


def test_report_lists_what_it_could_not_draw(tmp_path):
    write_csv(tmp_path / "lesions.csv", "model,variant,accuracy,seed", ["hgru,lesion_mu_kappa,0.6,0"])
    assert main(["report", str(tmp_path)]) == 0
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<h2>Not drawn</h2>" in page and "no row has variant" in page and "<img" not in page
