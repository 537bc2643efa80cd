"""Figures of the data: stimulus contact sheet and neural data overview."""

import numpy as np
import pytest
import xarray as xr
from matplotlib.collections import PolyCollection
from matplotlib.image import AxesImage

from chronoscore.cli import main
from chronoscore.analyses.neural_ceilings import save_noise_ceilings
from chronoscore.errors import FileFormatError
from chronoscore.figures.neural_overview import neural_overview
from chronoscore.figures.stimulus_sheet import stimulus_sheet
from chronoscore.figures.style import REGION_COLOURS
from chronoscore.neural_fit import read_assembly, write_assembly
from chronoscore.neural_fit.scoring import noise_ceiling

from .tiny_results import BIN_END, BIN_START, write_tiny_assembly, write_tiny_stimuli


def test_stimulus_sheet_shows_the_contact_sheet_of_the_set(tmp_path):
    csv = write_tiny_stimuli(tmp_path / "stimuli", n=5)
    figure = stimulus_sheet(tmp_path, n=4, tile=32)                        # found in the folder's stimuli/
    (axis,) = figure.axes
    (image,) = [child for child in axis.get_children() if isinstance(child, AxesImage)]
    # 2 × 2 cells of (32 + 2·4) px wide and (32 + 2·4 + 14) px high, as write_contact_sheet lays them out
    assert image.get_array().shape == (2 * 54, 2 * 40, 3)
    assert "first 4 of 5" in axis.get_title()
    assert stimulus_sheet(csv, n=1, tile=32).axes[0].get_images()[0].get_array().shape == (54, 40, 3)


def test_stimulus_sheet_without_a_table_names_the_folder(tmp_path):
    with pytest.raises(FileFormatError, match="expected one stimulus table"):
        stimulus_sheet(tmp_path)


def test_neural_overview_draws_mean_responses_and_ceilings_per_region(tmp_path):
    values = write_tiny_assembly(tmp_path / "assembly.nc")
    assert main(["data", "ceilings", str(tmp_path)]) == 0                   # saved beside it, as the builders do
    figure = neural_overview(tmp_path)                                      # the benchmark folder
    response_axis, ceiling_axis = figure.axes
    lines = {line.get_label(): line for line in response_axis.get_lines()}
    assert set(lines) == {"V4 (2 sites)", "IT (3 sites)"}
    np.testing.assert_allclose(lines["V4 (2 sites)"].get_xdata(), (BIN_START + BIN_END) / 2)
    np.testing.assert_allclose(lines["IT (3 sites)"].get_ydata(), values[:, 2:].mean(axis=(0, 1)), rtol=1e-5)
    assert lines["V4 (2 sites)"].get_color() == REGION_COLOURS["V4"]
    assert response_axis.get_ylabel() == "mean response (spikes/s)" and "(ms)" in figure._supxlabel.get_text()
    ceilings = ceiling_axis.get_lines()
    assert len(ceilings) == 2 and "ceiling" in ceiling_axis.get_ylabel()
    assert all(0.5 < np.min(line.get_ydata()) <= 1 for line in ceilings)     # signal sd 5 against noise sd 1
    assert sum(isinstance(c, PolyCollection) for c in ceiling_axis.collections) == 2


def test_neural_overview_draws_the_saved_ceilings_and_computes_none(tmp_path):
    write_tiny_assembly(tmp_path / "assembly.nc")
    figure = neural_overview(tmp_path)
    assert not figure.axes[1].get_lines()
    assert "chronoscore data ceilings assembly.nc" in figure.axes[1].texts[0].get_text()
    written = save_noise_ceilings(tmp_path / "assembly.nc")
    assert written == tmp_path / "ceilings.nc"
    saved = xr.load_dataset(written)
    expected = noise_ceiling(read_assembly(tmp_path / "assembly.nc", allow_nan=True))
    np.testing.assert_allclose(saved["ceiling"].values, expected["ceiling"].values)
    planted = saved.copy(deep=True)
    planted["ceiling"][:] = np.array([[0.25], [0.75]]) * np.ones(planted["ceiling"].shape)
    planted.to_netcdf(tmp_path / "planted.nc")
    written.unlink()
    (tmp_path / "planted.nc").rename(written)
    figure = neural_overview(tmp_path)
    drawn = {round(float(np.mean(line.get_ydata())), 6) for line in figure.axes[1].get_lines()}
    assert drawn == {0.25, 0.75}                                            # the file's values, not recomputed


def test_neural_overview_of_trial_averaged_data_says_there_is_no_ceiling(tmp_path):
    write_tiny_assembly(tmp_path / "raw.nc")
    averaged = read_assembly(tmp_path / "raw.nc").groupby("stimulus_id").mean("presentation")
    averaged = averaged.rename(stimulus_id="presentation").assign_coords(
        stimulus_id=("presentation", averaged["stimulus_id"].values))
    write_assembly(averaged, tmp_path / "mean_assembly.nc")
    assert save_noise_ceilings(tmp_path / "mean_assembly.nc") is None
    figure = neural_overview(tmp_path / "mean_assembly.nc")
    assert not figure.axes[1].get_lines()
    assert "no split-half ceiling" in figure.axes[1].texts[0].get_text()


def test_neural_overview_names_a_missing_assembly(tmp_path):
    with pytest.raises(FileFormatError, match="assembly.nc: no such file"):
        neural_overview(tmp_path)
