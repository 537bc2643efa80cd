"""The images an NWB file's IndexSeries shows, read as RGB uint8 arrays by stimulus id."""

import numpy as np
import pytest

from chronoscore.errors import DataFormatError
from chronoscore.neural_fit.nwb_images import read_nwb_images
from tests.neural_fit.nwb_recordings import simulate_recording, template_pixels, write_nwb

pytest.importorskip("pynwb")


def test_floats_in_the_unit_range_become_the_uint8_pixels(tmp_path):
    recording = simulate_recording(["x", "y"], repetitions=1, n_units=1, seed=0)
    name, images = read_nwb_images(write_nwb(recording, tmp_path / "s.nwb", layout="index_series",
                                             image_mode="float"))
    assert name == "natural_images" and sorted(images) == ["x", "y"]
    np.testing.assert_array_equal(images["y"], template_pixels(1, "rgb"))
    assert images["y"].dtype == np.uint8


def test_two_files_with_different_images_under_one_name_are_refused(tmp_path):
    first = simulate_recording(["x", "y"], repetitions=1, n_units=1, seed=0, session_id="day1")
    second = simulate_recording(["y", "z"], repetitions=1, n_units=1, seed=1, session_id="day2")  # y is image 0 here
    paths = [write_nwb(first, tmp_path / "1.nwb", layout="index_series"),
             write_nwb(second, tmp_path / "2.nwb", layout="index_series")]
    with pytest.raises(DataFormatError, match="image 'y' differs.*--stimuli"):
        read_nwb_images(paths)
