"""Reading and writing assemblies as netCDF4 files in brainio's format.

brainio (``brainscore_core``'s ``write_netcdf``) stores an assembly as a netCDF4
file holding one data variable named ``"data"`` with dims (presentation, neuroid,
time_bin), compressed with zlib at level 9; every MultiIndex level is a plain
coordinate variable on its dim, and the assembly's attrs are the file's global
attributes (and the variable's). Attrs netCDF cannot store are handled like
brainio does where it can, see :func:`write_assembly`. Files written here load
with Brain-Score's ``DataAssembly.from_files`` and brainio's files load here.
"""

from __future__ import annotations

import os
from pathlib import Path

import xarray as xr

from chronoscore.errors import DataFormatError, FileFormatError
from chronoscore.neural_fit.assembly import validate_assembly
from chronoscore.neural_fit.brainscore_convert import OverlappingBins, from_brainscore
from chronoscore.neural_fit.netcdf_files import netcdf_attrs, open_dataset_checked, write_dataset_atomic

__all__ = ["DATA_VARIABLE", "write_assembly", "read_assembly"]

DATA_VARIABLE = "data"
"""Name of the data variable in brainio's (and chronoscore's) netCDF files."""

_COMPRESSION = {"zlib": True, "complevel": 9}


def write_assembly(assembly: xr.DataArray, path: str | os.PathLike) -> Path:
    """Write an assembly to ``path`` as brainio does, atomically.

    The file is first written to a temporary file in the same folder, then moved
    onto ``path``, so a crash never leaves a half-written file under that name.

    Parameters
    ----------
    assembly : xarray.DataArray, shape (presentation, neuroid, time_bin)
        A valid chronoscore assembly (raw trials may hold NaN padding).
    path : str or path-like
        Target file; missing parent folders are created.

    Returns
    -------
    pathlib.Path
        ``path``.

    Notes
    -----
    Attrs netCDF cannot store are converted: ``None``, pandas and xarray objects
    (e.g. a ``stimulus_set`` table) are dropped, as brainio drops them; booleans
    become 0/1; dicts and mixed lists or tuples become JSON strings; other objects
    become ``str(value)``.

    Brain-Score's loader names a dim's index after the dim when the dim has one
    coord only, so give every dim at least two coords (e.g. ``object_name`` beside
    ``stimulus_id``) if Brain-Score will read the file.
    """
    validate_assembly(assembly, allow_nan=True)
    storable = assembly.copy(deep=False)
    storable.attrs = netcdf_attrs(assembly.attrs)
    dataset = storable.to_dataset(name=DATA_VARIABLE, promote_attrs=True)
    return write_dataset_atomic(dataset, path, encoding={DATA_VARIABLE: _COMPRESSION}, what="assembly")


def read_assembly(
    path: str | os.PathLike,
    *,
    allow_nan: bool = False,
    time_bin: tuple[float, float] | None = None,
    overlapping_bins: OverlappingBins = "refuse",
) -> xr.DataArray:
    """Read an assembly written by brainio or by :func:`write_assembly`.

    Parameters
    ----------
    path : str or path-like
    allow_nan : bool
        Accept NaN padding in raw trials (see :mod:`chronoscore.neural_fit.assembly`).
    time_bin : (start_ms, end_ms), optional
        Window of a file whose data has no time_bin dim and no window in its
        coords or attrs.
    overlapping_bins : {"refuse", "align_10ms"}
        Refuse overlapping (sliding-window) time bins, or re-bin them into
        Brain-Score's contiguous 10 ms bins (see
        :func:`~chronoscore.neural_fit.brainscore_convert.from_brainscore`).

    Returns
    -------
    xarray.DataArray, shape (presentation, neuroid, time_bin)
        In memory, unnamed, with plain coords; the file is closed.

    Raises
    ------
    FileFormatError
        If the file is missing, unreadable (truncated, corrupt, not netCDF) or holds
        no assembly-like data variable.
    DataFormatError
        If the data does not form a valid assembly.
    """
    path = Path(path)
    dataset = open_dataset_checked(path, "neural assembly (brainio netCDF)")
    data = _single_level_indexes_named(dataset[_data_variable(dataset, path)].rename(None))
    data.attrs = {**dataset.attrs, **data.attrs}
    try:
        return from_brainscore(data, allow_nan=allow_nan, time_bin=time_bin, overlapping_bins=overlapping_bins)
    except DataFormatError as error:
        raise type(error)(f"{path}: {error}") from error


_ID_COORDS = {"presentation": "stimulus_id", "neuroid": "neuroid_id"}


def _single_level_indexes_named(data: xr.DataArray) -> xr.DataArray:
    """Give a brainio single-level index its name back: ``presentation_`` → ``stimulus_id``, ``neuroid_`` → ``neuroid_id``.

    brainio turns a dim with one coordinate into a plain index and, when writing,
    resets it to a coordinate named ``<dim>_``; the original name is not stored.
    On presentation and neuroid that one coordinate can only be the id the
    assembly needs, so it is read as such when the id is missing.
    """
    renames = {}
    for dim, name in _ID_COORDS.items():
        on_dim = [coord for coord, values in data.coords.items() if values.dims == (dim,)]
        if name not in data.coords and on_dim == [f"{dim}_"]:
            renames[f"{dim}_"] = name
    return data.rename(renames) if renames else data


def _data_variable(dataset: xr.Dataset, path: Path) -> str:
    """Name of the variable holding the assembly: ``"data"``, else the only neural-looking one."""
    if DATA_VARIABLE in dataset.data_vars:
        return DATA_VARIABLE
    candidates = [name for name, array in dataset.data_vars.items() if {"presentation", "neuroid"} <= set(array.dims)]
    if len(candidates) != 1:
        found = {name: variable.dims for name, variable in dataset.data_vars.items()}
        raise FileFormatError(
            f"{path}: holds no variable {DATA_VARIABLE!r} and {len(candidates)} variables with presentation and "
            f"neuroid dims (variables: {found}); write the assembly with write_assembly(...) or brainio's "
            "write_netcdf, which name it 'data'."
        )
    return candidates[0]
