"""netCDF files in brainio's format, both directions with Brain-Score's own code."""

import json

import netCDF4
import numpy as np
import pandas as pd
import pytest
import xarray as xr

from chronoscore.errors import DataFormatError, FileFormatError
from chronoscore.neural_fit.assembly import DIMS, make_assembly
from chronoscore.neural_fit.brainscore_convert import to_brainscore
from chronoscore.neural_fit.netcdf_io import read_assembly, write_assembly


def raw_assembly():
    rng = np.random.default_rng(0)
    return make_assembly(
        rng.normal(size=(4, 3, 2)),
        stimulus_id=["s0", "s1", "s0", "s1"],
        repetition=[0, 0, 1, 1],
        neuroid_id=["n0", "n1", "n2"],
        region=["V4", "IT", "IT"],
        animal="tito",
        time_bin_start=[70, 80],
        time_bin_end=[80, 90],
        presentation_coords={"object_name": ["car", "dog", "car", "dog"]},
    )


def test_round_trip_is_identical(tmp_path):
    assembly = raw_assembly().assign_attrs(stimulus_set_identifier="hvm-public", n_splits=10)
    path = write_assembly(assembly, tmp_path / "sub" / "assembly.nc")
    assert path == tmp_path / "sub" / "assembly.nc"
    xr.testing.assert_identical(read_assembly(path), assembly)


def test_file_layout_matches_brainio(tmp_path):
    path = write_assembly(raw_assembly().assign_attrs(identifier="test.Assembly"), tmp_path / "a.nc")
    with netCDF4.Dataset(path) as dataset:
        assert dataset.data_model == "NETCDF4"
        assert list(dataset.variables) == [
            "stimulus_id", "repetition", "object_name", "neuroid_id", "region", "animal",
            "time_bin_start", "time_bin_end", "data",
        ]  # fmt: skip
        data = dataset["data"]
        assert data.dimensions == DIMS
        assert data.filters()["zlib"] and data.filters()["complevel"] == 9
        assert dataset.getncattr("identifier") == "test.Assembly"
        assert data.getncattr("identifier") == "test.Assembly"


def test_unstorable_attrs_are_dropped_or_converted(tmp_path):
    attrs = {
        "stimulus_set": pd.DataFrame({"stimulus_id": ["s0"]}),
        "nothing": None,
        "flag": True,
        "settings": {"alpha": 1, "solver": "svd"},
        "names": ("a", 1),
        "splits": [1, 2, 3],
        "folder": tmp_path,
    }
    path = write_assembly(raw_assembly().assign_attrs(attrs), tmp_path / "a.nc")
    loaded = read_assembly(path).attrs
    assert set(loaded) == {"flag", "settings", "names", "splits", "folder"}
    assert loaded["flag"] == 1
    assert json.loads(loaded["settings"]) == {"alpha": 1, "solver": "svd"}
    assert json.loads(loaded["names"]) == ["a", 1]
    assert list(loaded["splits"]) == [1, 2, 3]
    assert loaded["folder"] == str(tmp_path)


def test_failed_write_keeps_old_file_and_leaves_no_temporary(tmp_path):
    path = write_assembly(raw_assembly(), tmp_path / "a.nc")
    mixed = raw_assembly().assign_coords(object_name=("presentation", np.array(["car", 1, "car", 2.5], dtype=object)))
    with pytest.raises(DataFormatError, match="cannot store the assembly in netCDF"):
        write_assembly(mixed, path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.nc"]
    xr.testing.assert_identical(read_assembly(path), raw_assembly())


def test_write_validates_first(tmp_path):
    with pytest.raises(DataFormatError, match="transpose"):
        write_assembly(raw_assembly().transpose("neuroid", "presentation", "time_bin"), tmp_path / "a.nc")
    assert not (tmp_path / "a.nc").exists()


def test_missing_file_raises(tmp_path):
    with pytest.raises(FileFormatError, match="missing.nc: no such file"):
        read_assembly(tmp_path / "missing.nc")


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty"])
def test_damaged_file_raises(tmp_path, damage):
    path = write_assembly(raw_assembly(), tmp_path / "a.nc")
    content = path.read_bytes()
    path.write_bytes({"truncate": content[: len(content) // 2], "garbage": b"\x89junk" * 500, "empty": b""}[damage])
    with pytest.raises(FileFormatError, match="a.nc: cannot be read as netCDF4.*truncated, corrupt"):
        read_assembly(path)


def test_file_without_assembly_variable_raises(tmp_path):
    path = tmp_path / "other.nc"
    xr.Dataset({"weights": ("x", [1.0, 2.0]), "bias": ("y", [0.0])}).to_netcdf(path)
    with pytest.raises(FileFormatError, match="other.nc: holds no variable 'data'.*'weights'"):
        read_assembly(path)


def test_single_unnamed_variable_is_read(tmp_path):
    path = tmp_path / "plain.nc"
    raw_assembly().to_netcdf(path)  # xarray's default name for an unnamed DataArray
    np.testing.assert_array_equal(read_assembly(path).values, raw_assembly().values)


def test_invalid_content_raises_naming_the_file(tmp_path):
    path = tmp_path / "dup.nc"
    raw_assembly().assign_coords(neuroid_id=("neuroid", ["n0", "n0", "n1"])).to_dataset(name="data").to_netcdf(path)
    with pytest.raises(DataFormatError, match="dup.nc: .*neuroid_id value\\(s\\) occur more than once"):
        read_assembly(path)


def test_file_without_time_bin_needs_a_window(tmp_path):
    path = tmp_path / "flat.nc"
    raw_assembly().isel(time_bin=0, drop=True).to_dataset(name="data").to_netcdf(path)
    with pytest.raises(DataFormatError, match="flat.nc: .*pass time_bin="):
        read_assembly(path)
    loaded = read_assembly(path, time_bin=(70, 170))
    assert (loaded["time_bin_start"].item(), loaded["time_bin_end"].item()) == (70, 170)


def test_nan_padding_needs_allow_nan_on_read(tmp_path):
    values = raw_assembly().values.copy()
    values[3] = np.nan
    path = write_assembly(raw_assembly().copy(data=values), tmp_path / "a.nc")
    with pytest.raises(DataFormatError, match="allow_nan=True"):
        read_assembly(path)
    assert np.isnan(read_assembly(path, allow_nan=True).values[3]).all()


@pytest.mark.brainscore
def test_file_written_by_brainscore_loads_here(tmp_path):
    from brainscore_core.supported_data_standards.brainio.packaging import write_netcdf

    assembly = raw_assembly()
    theirs = to_brainscore(assembly).transpose("neuroid", "presentation", "time_bin")  # MajajHong's dim order
    theirs.attrs.update(stimulus_set_identifier="hvm-public", stimulus_set=pd.DataFrame({"a": [1]}))
    write_netcdf(theirs, tmp_path / "bs.nc")
    loaded = read_assembly(tmp_path / "bs.nc")
    xr.testing.assert_identical(loaded, assembly.assign_attrs(stimulus_set_identifier="hvm-public"))


def one_presentation_coordinate_assembly(seed: int):
    """A Brain-Score ``NeuroidAssembly`` (5 × 3 × 2) whose presentation dim has only ``stimulus_id``, and its ids."""
    from brainscore_core.supported_data_standards.brainio.assemblies import NeuroidAssembly

    rng = np.random.default_rng(seed)
    ids = [f"image_{index:03d}" for index in rng.permutation(5)]
    assembly = NeuroidAssembly(rng.normal(size=(5, 3, 2)), dims=["presentation", "neuroid", "time_bin"], coords={
        "stimulus_id": ("presentation", ids),
        "neuroid_id": ("neuroid", ["a", "b", "c"]), "region": ("neuroid", ["IT", "IT", "V4"]),
        "time_bin_start": ("time_bin", [70, 80]), "time_bin_end": ("time_bin", [80, 90])})
    return assembly, ids


@pytest.mark.brainscore
@pytest.mark.parametrize("seed", [0, 1])
def test_a_brainscore_file_with_one_presentation_coordinate_loads_here(tmp_path, seed):
    """brainio writes a dim with a single coordinate as ``presentation_``: it is the stimulus_id."""
    from brainscore_core.supported_data_standards.brainio.packaging import write_netcdf

    theirs, ids = one_presentation_coordinate_assembly(seed)
    write_netcdf(theirs, tmp_path / "one.nc")
    with xr.open_dataset(tmp_path / "one.nc") as stored:
        assert "presentation_" in stored.coords and "stimulus_id" not in stored.coords  # brainio's own layout
    ours = read_assembly(tmp_path / "one.nc")
    assert ours["stimulus_id"].values.tolist() == ids
    np.testing.assert_array_equal(ours.values, theirs.values)


@pytest.mark.brainscore
def test_file_written_here_loads_in_brainscore(tmp_path):
    from brainscore_core.supported_data_standards.brainio.assemblies import NeuronRecordingAssembly

    assembly = raw_assembly()
    path = write_assembly(assembly, tmp_path / "ours.nc")
    loaded = NeuronRecordingAssembly.from_files(path).load()
    assert isinstance(loaded, NeuronRecordingAssembly)
    expected = to_brainscore(assembly)
    xr.testing.assert_equal(loaded, expected)
    for dim in DIMS:
        assert loaded.indexes[dim].equals(expected.indexes[dim])
        assert loaded.indexes[dim].names == expected.indexes[dim].names
