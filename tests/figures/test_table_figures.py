"""Figures of result tables: training curves, Pathfinder accuracy, memory against steps, lesion effects."""

import numpy as np
import pytest
from matplotlib.container import BarContainer

from chronoscore.errors import FileFormatError
from chronoscore.figures.lesion_effects import lesion_effects, variant_label
from chronoscore.figures.memory_vs_steps import ALGORITHM_COLOURS, memory_vs_steps
from chronoscore.figures.pathfinder_accuracy import pathfinder_accuracy
from chronoscore.figures.training_curves import METRICS_SCHEMA, training_curves
from chronoscore.models.training.metrics import METRIC_COLUMNS

from .tiny_results import write_csv, write_training_run


def test_training_curves_draw_train_and_val_per_run(tmp_path):
    first = write_training_run(tmp_path / "a", "hgru", loss=[2.0, 1.5, 1.0], val_loss=[1.6, 1.1])
    second = write_training_run(tmp_path / "b", "hgru", loss=[2.2, 2.0], val_loss=[2.1])
    figure = training_curves([first, second / "metrics.csv"])
    loss_axis, accuracy_axis = figure.axes
    assert len(loss_axis.get_lines()) == 2 * 2 and len(accuracy_axis.get_lines()) == 2 * 2   # runs × phases
    train, val = loss_axis.get_lines()[:2]
    np.testing.assert_array_equal(train.get_xdata(), [10, 20, 30])
    np.testing.assert_allclose(train.get_ydata(), [2.0, 1.5, 1.0])
    np.testing.assert_array_equal(val.get_xdata(), [20, 30])
    np.testing.assert_allclose(val.get_ydata(), [1.6, 1.1])
    assert train.get_linestyle() == "-" and val.get_linestyle() == "--"
    assert "loss" in loss_axis.get_ylabel() and "accuracy" in accuracy_axis.get_ylabel()
    assert "(steps)" in figure._supxlabel.get_text()
    legend = [text.get_text() for text in figure.legends[0].get_texts()]
    assert legend == ["hgru", "train", "val"]                             # runs of one model share an entry
    assert loss_axis.get_lines()[0].get_color() == loss_axis.get_lines()[2].get_color()


def test_training_curves_read_only_columns_the_trainer_writes():
    assert set(METRICS_SCHEMA.columns) <= set(METRIC_COLUMNS)


def test_training_curves_name_the_broken_metrics_file(tmp_path):
    write_csv(tmp_path / "run" / "metrics.csv", "step,phase,loss", ["10,train,1.0"])
    with pytest.raises(FileFormatError, match="run/metrics.csv: the training metrics table lacks column"):
        training_curves([tmp_path / "run"])
    with pytest.raises(FileFormatError, match="nowhere/metrics.csv: no such file"):
        training_curves([tmp_path / "nowhere"])
    write_csv(tmp_path / "odd" / "metrics.csv", "step,phase,loss,accuracy", ["10,test,1.0,0.5"])
    with pytest.raises(FileFormatError, match="no row has phase 'train' or 'val'"):
        training_curves([tmp_path / "odd"])


PATHFINDER_HEADER = "model,path_length,accuracy,n_parameters,seed"
PATHFINDER_ROWS = ["hgru,6,0.90,360,0", "hgru,6,0.94,360,1", "hgru,14,0.80,360,0", "hgru,14,0.86,360,1",
                   "ff,6,0.70,2000000,0", "ff,14,0.55,2000000,0"]


def test_pathfinder_accuracy_has_a_line_per_model_with_seed_means(tmp_path):
    figure = pathfinder_accuracy(write_csv(tmp_path / "p.csv", PATHFINDER_HEADER, PATHFINDER_ROWS))
    (axis,) = figure.axes
    lines = {container.get_label(): container.lines[0] for container in axis.containers}     # one per model
    assert set(lines) == {"hgru (360 params)", "ff (2M params)"}
    hgru = lines["hgru (360 params)"]
    np.testing.assert_array_equal(np.asarray(hgru.get_xdata(), float), [6, 14])    # errorbar keeps objects
    np.testing.assert_allclose(np.asarray(hgru.get_ydata(), float), [0.92, 0.83])
    assert axis.get_xlabel() == "path length (paddles)" and "accuracy" in axis.get_ylabel()
    assert any(line.get_label() == "chance" and line.get_ydata()[0] == 0.5 for line in axis.get_lines())


@pytest.mark.parametrize("rows, message", [
    (PATHFINDER_ROWS + ["hgru,6,0.91,360,0"], "line 8 repeats model=hgru, path_length=6, seed=0"),
    (["hgru,6,1.5,360,0"], "accuracy must be a fraction from 0 to 1; line 2 has 1.5"),
    (["hgru,6,0.9,360,0", "hgru,9,0.9,361,0"], "model 'hgru' has several n_parameters"),
    (["hgru,six,0.9,360,0"], "column 'path_length' must hold a whole number"),
])
def test_malformed_pathfinder_tables_raise(tmp_path, rows, message):
    with pytest.raises(FileFormatError, match="p.csv") as error:
        pathfinder_accuracy(write_csv(tmp_path / "p.csv", PATHFINDER_HEADER, rows))
    assert message in str(error.value)


def test_memory_against_steps_has_a_line_per_algorithm_and_a_panel_per_device(tmp_path):
    rows = ["bptt,8,200,cpu", "bptt,2,50,cpu", "crbp,2,40,cpu", "crbp,8,41,cpu", "bptt,2,30,cuda", "crbp,2,20,cuda"]
    figure = memory_vs_steps(write_csv(tmp_path / "m.csv", "algorithm,n_steps,peak_mb,device", rows))
    cpu, cuda = figure.axes
    assert cpu.get_title() == "device: cpu" and cuda.get_title() == "device: cuda"
    lines = {line.get_label(): line for line in cpu.get_lines()}
    assert set(lines) == {"BPTT", "C-RBP"}
    np.testing.assert_array_equal(lines["BPTT"].get_xdata(), [2, 8])        # sorted by steps
    np.testing.assert_allclose(lines["BPTT"].get_ydata(), [50, 200])
    assert lines["BPTT"].get_color() == ALGORITHM_COLOURS["bptt"] and lines["C-RBP"].get_color() == ALGORITHM_COLOURS[
        "crbp"]
    assert cpu.get_ylabel() == "peak memory (MB)" and "(steps)" in figure._supxlabel.get_text()


def test_memory_table_problems_name_the_file(tmp_path):
    with pytest.raises(FileFormatError, match="m.csv: the memory vs steps table lacks column"):
        memory_vs_steps(write_csv(tmp_path / "m.csv", "algorithm,n_steps,peak_mb", ["bptt,2,50"]))
    with pytest.raises(FileFormatError, match="line 3 repeats algorithm=bptt, n_steps=2, device=cpu"):
        memory_vs_steps(write_csv(tmp_path / "m.csv", "algorithm,n_steps,peak_mb,device",
                                  ["bptt,2,50,cpu", "bptt,2,51,cpu"]))


LESION_HEADER = "model,variant,accuracy,seed"


def test_lesion_effects_draw_a_bar_per_model_and_variant_with_the_intact_first(tmp_path):
    rows = ["hgru,lesion_mu_kappa,0.6,0", "hgru,full,0.9,0", "hgru,full,0.8,1", "hgru,lesion_alpha_omega,0.7,0",
            "hgru,lesion_mu_kappa,0.7,1", "hgru2,full,0.95,0", "hgru2,lesion_mu_kappa,0.5,0",
            "hgru2,lesion_alpha_omega,0.4,0"]
    figure = lesion_effects(write_csv(tmp_path / "l.csv", LESION_HEADER, rows))
    (axis,) = figure.axes
    assert len(axis.patches) == 2 * 3                                       # models × variants
    assert [label.get_text() for label in axis.get_xticklabels()] == ["intact", "μ=κ=0", "α=ω=0"]
    bars = {container.get_label(): container for container in axis.containers if container.get_label()
            in ("hgru", "hgru2")}
    np.testing.assert_allclose([bar.get_height() for bar in bars["hgru"]], [0.85, 0.65, 0.7])
    np.testing.assert_allclose([bar.get_height() for bar in bars["hgru2"]], [0.95, 0.5, 0.4])
    intact_lines = [line.get_ydata()[0] for line in axis.get_lines() if line.get_linestyle() == "--"]
    assert intact_lines == pytest.approx([0.85, 0.95])
    assert "accuracy" in axis.get_ylabel()


def test_lesion_effects_of_lesioned_models_named_after_themselves_join_the_one_intact_model(tmp_path):
    rows = ["hgru,full,0.9,0", "hgru_lesion_alpha_omega,alpha_omega,0.7,0", "hgru_lesion_mu_kappa,mu_kappa,0.6,0",
            "hgru_lesion_mu_kappa,mu_kappa,0.5,1"]
    (axis,) = lesion_effects(write_csv(tmp_path / "l.csv", LESION_HEADER, rows)).axes
    (bars,) = [container for container in axis.containers if isinstance(container, BarContainer)]
    assert [bar.get_height() for bar in bars] == pytest.approx([0.9, 0.7, 0.55])
    assert bars.get_label() == "hgru" and len(axis.patches) == 3
    assert [label.get_text() for label in axis.get_xticklabels()] == ["intact", "α=ω=0", "μ=κ=0"]


@pytest.mark.parametrize("rows, message", [
    (["hgru,lesion_mu_kappa,0.5,0"], "l.csv: no row has variant 'full'"),
    (["a,full,0.9,0", "b,full,0.8,0", "c,mu_kappa,0.5,0"],
     "l.csv: model 'c' has no rows with variant 'full' and several intact models (a, b)"),
    (["hgru,full,0.9,0", "hgru_lesion_mu_kappa,mu_kappa,0.6,0", "hgru,mu_kappa,0.5,0"],
     "line 4 repeats model=hgru, variant=mu_kappa, seed=0"),
])
def test_lesion_rows_without_a_clear_intact_reference_raise(tmp_path, rows, message):
    with pytest.raises(FileFormatError) as error:
        lesion_effects(write_csv(tmp_path / "l.csv", LESION_HEADER, rows))
    assert message in str(error.value)


def test_variant_labels():
    assert variant_label("full") == "intact"
    assert variant_label("lesion_alpha_omega") == "α=ω=0"
    assert variant_label("mu_kappa") == "μ=κ=0"
    assert variant_label("hgru_lesion_gain") == "gain"
    assert variant_label("no_bn") == "no bn"
