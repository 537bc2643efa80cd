"""Activations written to a features file come back with their values and their dtype, float16 included."""

import netCDF4
import numpy as np
import pytest
import xarray as xr

from chronoscore.errors import FileFormatError
from chronoscore.neural_fit.results_io import read_features, write_features


def activations(dtype, seed=0, shape=(7, 5, 3)):
    """Random activations with a NaN, an infinity, float16's extremes and a subnormal, as ``dtype``."""
    values = np.random.default_rng(seed).standard_normal(shape) * 100
    values.flat[:5] = [np.nan, np.inf, 65504.0, -65504.0, 2.0 ** -24]
    return xr.DataArray(values.astype(dtype), dims=("presentation", "neuroid", "time_step"),
                        coords={"stimulus_id": ("presentation", [f"s{index}" for index in range(shape[0])]),
                                "layer": ("neuroid", ["V4"] * shape[1]), "time_step": np.arange(shape[2])},
                        attrs={"model": "tiny", "n_steps": shape[2]})


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("shape, with_time", [((7, 5, 3), True), ((1, 1, 1), True), ((4, 9, 1), False)])
def test_values_and_dtype_round_trip(tmp_path, dtype, shape, with_time):
    written = activations(dtype, shape=shape)
    if not with_time:
        written = written.isel(time_step=0, drop=True)
    write_features(written, tmp_path / "features.nc")
    read = read_features(tmp_path / "features.nc")
    assert read.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(read.values, written.values)
    assert read.attrs == written.attrs
    assert read["stimulus_id"].values.tolist() == written["stimulus_id"].values.tolist()


def test_float16_is_stored_as_exact_float32_that_any_netcdf_reader_sees(tmp_path):
    written = activations(np.float16)
    write_features(written, tmp_path / "features.nc")
    with netCDF4.Dataset(tmp_path / "features.nc") as dataset:
        variable = dataset["activations"]
        assert variable.dtype == np.float32 and variable.getncattr("chronoscore_dtype") == "float16"
        np.testing.assert_array_equal(variable[:].filled(np.nan), written.values.astype(np.float32))


def test_an_unknown_dtype_mark_is_a_file_format_error(tmp_path):
    write_features(activations(np.float16), tmp_path / "features.nc")
    with netCDF4.Dataset(tmp_path / "features.nc", "a") as dataset:
        dataset["activations"].setncattr("chronoscore_dtype", "bfloat16")
    with pytest.raises(FileFormatError, match="bfloat16"):
        read_features(tmp_path / "features.nc")
