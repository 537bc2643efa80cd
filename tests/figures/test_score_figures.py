"""Figures of Scores: time courses, step × bin heatmap, peak/mean bars, predictivity against parameters."""

import numpy as np
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.image import AxesImage

from chronoscore.errors import FileFormatError
from chronoscore.figures.predictivity_bars import predictivity_bars
from chronoscore.figures.predictivity_timecourse import predictivity_timecourse
from chronoscore.figures.predictivity_vs_parameters import predictivity_vs_parameters
from chronoscore.figures.step_bin_heatmap import step_bin_heatmap
from chronoscore.figures.style import PALETTE

from .tiny_results import BIN_END, BIN_START, write_matrix, write_scored_model

RECURRENT = np.array([[np.nan, 0.4, 0.5, 0.45], [0.1, 0.2, 0.3, 0.25]])     # (region, time_bin)
FEEDFORWARD = np.array([[0.3, 0.35, 0.3, 0.2], [0.05, 0.1, 0.2, 0.15]])
CEILING = np.array([[0.49, 0.64, 0.81, 0.64], [0.04, 0.25, 0.36, 0.49]])


@pytest.fixture
def two_models(tmp_path):
    return [write_scored_model(tmp_path / "rnn", "rnn", RECURRENT, parameters=2_000, ceiling=CEILING),
            write_scored_model(tmp_path / "ff", "ff", FEEDFORWARD, parameters=50_000, ceiling=CEILING,
                               feedforward=True)]


def _model_lines(axis, names):
    return {line.get_label(): line for line in axis.get_lines() if line.get_label() in names}


def test_timecourse_has_a_panel_per_region_a_line_per_model_and_the_ceiling_band(two_models):
    figure = predictivity_timecourse(two_models)
    axes = figure.axes
    assert [axis.get_title() for axis in axes] == ["V4", "IT"]
    assert "(ms)" in figure._supxlabel.get_text() and "r" in axes[0].get_ylabel()
    centres = (BIN_START + BIN_END) / 2
    for region, axis in enumerate(axes):
        lines = _model_lines(axis, {"rnn", "ff"})
        assert set(lines) == {"rnn", "ff"}
        np.testing.assert_allclose(lines["rnn"].get_xdata(), centres)
        np.testing.assert_allclose(lines["rnn"].get_ydata(), RECURRENT[region])
        assert lines["rnn"].get_linestyle() == "-" and lines["ff"].get_linestyle() == "--"
        assert lines["rnn"].get_color() == PALETTE[0] and lines["ff"].get_color() == PALETTE[1]
        bands = [c for c in axis.collections if isinstance(c, PolyCollection) and c.get_label().startswith("ceiling")]
        assert len(bands) == 1
        top = bands[0].get_paths()[0].vertices[:, 1]
        np.testing.assert_allclose(np.unique(top[top > 0]), np.unique(np.sqrt(CEILING[region])))
        assert sum(isinstance(c, PolyCollection) for c in axis.collections) == 3      # ceiling + 2 error bands


def test_timecourse_colours_and_labels_can_be_fixed(two_models):
    figure = predictivity_timecourse(two_models, labels=["A", "B"], colours={"B": "#000000"})
    lines = _model_lines(figure.axes[0], {"A", "B"})
    assert lines["B"].get_color() == "#000000" and lines["A"].get_color() == PALETTE[0]


def test_timecourse_refuses_models_scored_on_other_bins(tmp_path, two_models):
    other = write_scored_model(tmp_path / "short", "short", RECURRENT[:, :3])
    with pytest.raises(FileFormatError, match="short: its regions/time bins differ"):
        predictivity_timecourse([two_models[0], other])


def test_heatmap_is_steps_by_bins_per_region(tmp_path):
    matrix = np.arange(2 * 5 * 4, dtype=float).reshape(2, 5, 4) / 100
    matrix[0, 0] = np.nan
    path = write_matrix(tmp_path, matrix, name="rnn")
    figure = step_bin_heatmap(path)
    panels = [axis for axis in figure.axes if axis.get_title() in ("V4", "IT")]
    assert len(panels) == 2
    for region, axis in enumerate(panels):
        images = [child for child in axis.get_children() if isinstance(child, AxesImage)]
        assert len(images) == 1
        shown = np.ma.filled(images[0].get_array(), np.nan)
        assert shown.shape == (5, 4)                                            # steps × bins
        np.testing.assert_array_equal(shown, matrix[region])
        assert images[0].get_extent() == [70.0, 110.0, -0.5, 4.5]
        best = axis.get_lines()[0].get_ydata()
        np.testing.assert_array_equal(best, [4, 4, 4, 4])                      # values grow with the step
    assert "step" in panels[0].get_ylabel() and "10 ms per step" in panels[0].get_ylabel()
    assert "(ms)" in figure._supxlabel.get_text()


def test_heatmap_reads_the_folder_and_refuses_per_bin_scores(tmp_path, two_models):
    write_matrix(tmp_path / "m", np.zeros((2, 3, 4)))
    assert step_bin_heatmap(tmp_path / "m") is not None
    with pytest.raises(FileFormatError, match="scores_per_bin.nc: expected step × bin scores"):
        step_bin_heatmap(two_models[0] / "scores_per_bin.nc")


def test_bars_show_peak_and_mean_per_model_and_region(two_models):
    figure = predictivity_bars(two_models)
    peak_axis, mean_axis = figure.axes
    for axis, expected in ((peak_axis, {"rnn": np.nanmax(RECURRENT, 1), "ff": FEEDFORWARD.max(1)}),
                           (mean_axis, {"rnn": np.nanmean(RECURRENT, 1), "ff": FEEDFORWARD.mean(1)})):
        assert len(axis.patches) == 2 * 2                                      # models × regions
        containers = {container.get_label(): container for container in axis.containers
                      if container.get_label() in ("rnn", "ff")}
        for name, heights in expected.items():
            np.testing.assert_allclose([bar.get_height() for bar in containers[name]], heights)
        assert [label.get_text() for label in axis.get_xticklabels()] == ["V4", "IT"]
    assert peak_axis.get_ylabel() == "PLS held-out r (median over sites)"


def test_bars_of_ceiled_scores_and_scores_without_ceiling(tmp_path, two_models):
    figure = predictivity_bars(two_models, value="ceiled_score")
    assert figure.axes[0].get_ylabel() == "noise-corrected r²"
    heights = [bar.get_height() for bar in figure.axes[0].containers[0]]
    np.testing.assert_allclose(heights, np.nanmax(RECURRENT ** 2 / CEILING, axis=1))
    bare = write_scored_model(tmp_path / "bare", "bare", RECURRENT)
    with pytest.raises(FileFormatError, match="bare.*no 'ceiled_score'"):
        predictivity_bars([bare], value="ceiled_score")


def test_predictivity_against_parameters_places_one_marker_per_model(two_models):
    figure = predictivity_vs_parameters(two_models)
    assert figure.axes[0].get_xscale() == "log" and "parameters" in figure._supxlabel.get_text()
    for region, axis in enumerate(figure.axes):
        lines = _model_lines(axis, {"rnn", "ff"})
        assert lines["rnn"].get_xdata()[0] == 2_000 and lines["ff"].get_xdata()[0] == 50_000
        assert lines["rnn"].get_ydata()[0] == pytest.approx(np.nanmax(RECURRENT[region]))
        assert lines["ff"].get_marker() == "s" and lines["rnn"].get_marker() == "o"


def test_predictivity_against_parameters_needs_parameter_counts(tmp_path):
    folder = write_scored_model(tmp_path / "anonymous", "anonymous", RECURRENT, parameters=None)
    with pytest.raises(FileFormatError, match="anonymous/model.json: no parameter count"):
        predictivity_vs_parameters([folder])


def test_ceiled_axes_say_when_bins_below_the_ceiling_floor_are_left_out():
    import xarray as xr

    from chronoscore.figures.predictivity_bars import value_label

    reliable = xr.Dataset({"ceiling_below_floor": (("region", "time_bin"), [[False, False]])},
                          attrs={"ceiling_floor": 0.1})
    noisy = xr.Dataset({"ceiling_below_floor": (("region", "time_bin"), [[True, False]])}, attrs={"ceiling_floor": 0.1})
    assert "left out" not in value_label("ceiled_score", [reliable])
    assert "bins with ceiling < 0.1 left out" in value_label("ceiled_score", [reliable, noisy])
    assert "left out" not in value_label("score", [noisy])
