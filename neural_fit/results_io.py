"""Reading and writing model features and Scores as netCDF4 files.

netCDF4 has no 16-bit float type. Features held as float16 are written as
float32 (every float16 value is exactly a float32 value; the variable attribute
``chronoscore_dtype = "float16"`` says so; zlib compresses away the mantissa
bits that float16 leaves at zero), and :func:`read_features`
returns them as float16 again, so the values and the dtype round-trip exactly.
Any netCDF reader sees the same numbers as float32.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import xarray as xr

from chronoscore.errors import FileFormatError
from chronoscore.neural_fit.netcdf_files import netcdf_attrs, open_dataset_checked, write_dataset_atomic

__all__ = ["write_features", "read_features", "write_scores", "read_scores", "FEATURES_VARIABLE"]

FEATURES_VARIABLE = "activations"
"""Name of the data variable in a features file."""

_COMPRESSION = {"zlib": True, "complevel": 4}
_DTYPE_ATTRIBUTE = "chronoscore_dtype"
_WIDENED = {np.dtype(np.float16): np.float32}
_SCORE_VARIABLES = ("score", "error")
_PER_SPLIT_VARIABLES = ("r", "similarity")
"""Per-split values: r per neuroid (regression metrics) or one similarity per region (RSA, CKA)."""


def write_features(features: xr.DataArray, path: str | os.PathLike) -> Path:
    """Write Activations (presentation, neuroid[, time_step]) to ``path`` atomically.

    float16 features are stored as exact float32 values marked to be read back as
    float16 (see the module docstring); other dtypes are stored as they are.
    """
    storable = features.copy(deep=False)
    storable.attrs = netcdf_attrs(features.attrs)
    widened = _WIDENED.get(features.dtype)
    if widened is not None:
        storable = storable.astype(widened)
    dataset = storable.to_dataset(name=FEATURES_VARIABLE, promote_attrs=True)
    if widened is not None:
        dataset[FEATURES_VARIABLE].attrs[_DTYPE_ATTRIBUTE] = features.dtype.name
    return write_dataset_atomic(dataset, path, encoding={FEATURES_VARIABLE: _COMPRESSION}, what="features")


def read_features(path: str | os.PathLike) -> xr.DataArray:
    """Read model features written by :func:`write_features` (or any netCDF with one
    variable on dims presentation and neuroid), in the dtype they were written in."""
    dataset = open_dataset_checked(path, "model features")
    names = [FEATURES_VARIABLE] if FEATURES_VARIABLE in dataset.data_vars else [
        name for name, variable in dataset.data_vars.items() if {"presentation", "neuroid"} <= set(variable.dims)]
    if len(names) != 1:
        raise FileFormatError(
            f"{path}: expected one variable with dims (presentation, neuroid[, time_step]), found "
            f"{ {name: v.dims for name, v in dataset.data_vars.items()} }; write features with write_features(...).")
    features = dataset[names[0]]
    attrs = {**dataset.attrs, **features.attrs}
    stored_dtype = attrs.pop(_DTYPE_ATTRIBUTE, None)
    if stored_dtype is not None:
        features = features.astype(_stored_dtype(stored_dtype, path))
    features.attrs = attrs
    return features


def _stored_dtype(name: object, path: str | os.PathLike) -> np.dtype:
    """The dtype a features file marks its values to be read as (one that :func:`write_features` widens)."""
    dtype = next((dtype for dtype in _WIDENED if dtype.name == name), None)
    if dtype is None:
        raise FileFormatError(f"{path}: its features are marked {_DTYPE_ATTRIBUTE}={name!r}, which chronoscore does "
                              f"not write; expected one of {[dtype.name for dtype in _WIDENED]}. Write the file "
                              "again with write_features(...).")
    return dtype


def write_scores(scores: xr.Dataset, path: str | os.PathLike) -> Path:
    """Write a Scores dataset (with its provenance attributes) to ``path`` atomically."""
    storable = scores.copy(deep=False)
    storable.attrs = netcdf_attrs(scores.attrs)
    encoding = {name: _COMPRESSION for name in scores.data_vars}
    return write_dataset_atomic(storable, path, encoding=encoding, what="scores")


def read_scores(path: str | os.PathLike) -> xr.Dataset:
    """Read a Scores dataset; raise :class:`FileFormatError` if it is not one."""
    scores = open_dataset_checked(path, "scores")
    missing = [name for name in _SCORE_VARIABLES if name not in scores.data_vars]
    if not any(name in scores.data_vars for name in _PER_SPLIT_VARIABLES):
        missing.append(" or ".join(_PER_SPLIT_VARIABLES))
    if missing:
        raise FileFormatError(f"{path}: not a chronoscore scores file (missing {missing}); "
                              "write it with chronoscore fit or write_scores(...).")
    return scores
