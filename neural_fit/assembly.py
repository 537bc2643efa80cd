"""Neural assemblies: responses as a plain ``xarray.DataArray`` (presentation, neuroid, time_bin).

An assembly holds one value per (presentation, neuroid, time bin):

* ``presentation`` coords: ``stimulus_id`` (str), optional ``repetition`` (int) on raw
  trials, ``object_name`` and any other stimulus metadata;
* ``neuroid`` coords: ``neuroid_id``, ``region``, usually ``animal``, plus any others;
* ``time_bin`` coords: ``time_bin_start`` and ``time_bin_end`` in milliseconds.

Coords are plain (non-index) coordinates on their dim. Brain-Score's assemblies
instead gather them into one pandas MultiIndex per dim;
:mod:`chronoscore.neural_fit.brainscore_convert` converts between the two.

An assembly without a ``repetition`` coord is *trial-averaged*: each ``stimulus_id``
appears once. One with it holds *raw trials*: each (``stimulus_id``, ``repetition``)
pair appears once.

NaN policy
----------
Trial-averaged responses must be finite: a NaN raises, naming how many values and
which neuroids hold them. Raw trials may hold NaN only as padding for missing
repetitions, and only when validated with ``allow_nan=True``;
:func:`average_repetitions` then ignores them (a nan-mean), but a stimulus whose every
repetition is NaN for some neuroid and time bin raises, because its average would be
undefined. Infinite values always raise.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse
import xarray as xr

from chronoscore.errors import DataFormatError

__all__ = [
    "DIMS",
    "REQUIRED_COORDS",
    "make_assembly",
    "validate_assembly",
    "average_repetitions",
]

DIMS = ("presentation", "neuroid", "time_bin")
"""The dims of every assembly, in this order."""

REQUIRED_COORDS = {
    "presentation": ("stimulus_id",),
    "neuroid": ("neuroid_id", "region"),
    "time_bin": ("time_bin_start", "time_bin_end"),
}
"""The coords every assembly must hold, by dim."""

_LISTED = 5  # how many offending ids an error message names


def make_assembly(
    values: Any,
    *,
    stimulus_id: Any,
    neuroid_id: Any,
    time_bin_start: Any,
    time_bin_end: Any,
    region: Any,
    animal: Any = None,
    repetition: Any = None,
    presentation_coords: Mapping[str, Any] | pd.DataFrame | None = None,
    neuroid_coords: Mapping[str, Any] | pd.DataFrame | None = None,
    allow_nan: bool = False,
) -> xr.DataArray:
    """Build and validate an assembly from arrays.

    Parameters
    ----------
    values : array-like, shape (presentation, neuroid, time_bin) or (presentation, neuroid)
        Responses; a 2-d array gets a single time bin.
    stimulus_id : array-like, shape (presentation,)
    neuroid_id : array-like, shape (neuroid,)
    time_bin_start, time_bin_end : array-like, shape (time_bin,), or scalars for one bin
        Bin edges in milliseconds.
    region, animal : str or array-like, shape (neuroid,)
        A scalar applies to every neuroid. ``animal`` is left out when None.
    repetition : array-like of int, shape (presentation,), optional
        Trial index within each stimulus; give it for raw (not averaged) data.
    presentation_coords, neuroid_coords : dict of 1-d arrays or DataFrame, optional
        Further coords, one entry (column) per coord, one value per presentation
        (neuroid).
    allow_nan : bool
        Accept NaN padding in raw trials (see the module's NaN policy).

    Returns
    -------
    xarray.DataArray, shape (presentation, neuroid, time_bin)

    Raises
    ------
    DataFormatError
        If the shapes disagree or the result fails :func:`validate_assembly`.
    """
    values = np.asarray(values)
    if values.ndim == 2:
        values = values[:, :, np.newaxis]
    if values.ndim != 3:
        raise DataFormatError(
            f"values has shape {values.shape}; expected (presentation, neuroid, time_bin) "
            "or (presentation, neuroid). Reshape the responses to one of these."
        )
    sizes = dict(zip(DIMS, values.shape))
    given = {
        "presentation": {"stimulus_id": stimulus_id, "repetition": repetition},
        "neuroid": {"neuroid_id": neuroid_id, "region": region, "animal": animal},
        "time_bin": {"time_bin_start": time_bin_start, "time_bin_end": time_bin_end},
    }
    _add_extra_coords(given["presentation"], presentation_coords, "presentation_coords")
    _add_extra_coords(given["neuroid"], neuroid_coords, "neuroid_coords")
    broadcastable = {"region", "animal", "time_bin_start", "time_bin_end"}
    coords = {
        name: (dim, _coord_array(value, sizes[dim], name, dim, broadcast=name in broadcastable))
        for dim, named in given.items()
        for name, value in named.items()
        if value is not None
    }
    assembly = xr.DataArray(values, dims=DIMS, coords=coords)
    validate_assembly(assembly, allow_nan=allow_nan)
    return assembly


def _add_extra_coords(
    target: dict[str, Any], extra: Mapping[str, Any] | pd.DataFrame | None, argument: str
) -> None:
    """Add ``extra``'s columns to ``target``, refusing names already given."""
    if extra is None:
        return
    for name, value in extra.items():
        if name in target or name in DIMS:
            raise DataFormatError(
                f"{argument} holds a coord named {name!r}, which is given elsewhere or is a dim name; "
                "rename it or pass it only once."
            )
        target[name] = value


def _coord_array(value: Any, size: int, name: str, dim: str, *, broadcast: bool) -> np.ndarray:
    """Return ``value`` as a 1-d array of ``size`` (strings as object dtype)."""
    array = np.asarray(value)
    if array.ndim == 0 and broadcast:
        array = np.full(size, array.item(), dtype=object if array.dtype.kind in "US" else array.dtype)
    if array.ndim != 1 or len(array) != size:
        raise DataFormatError(
            f"coord {name!r} has shape {array.shape} but the assembly has {size} {dim}(s); "
            f"give one value per {dim}."
        )
    return array.astype(object) if array.dtype.kind in "US" else array


def validate_assembly(
    assembly: xr.DataArray, *, trial_averaged: bool | None = None, allow_nan: bool = False
) -> None:
    """Check that ``assembly`` is a well-formed neural assembly; raise if not.

    Parameters
    ----------
    assembly : xarray.DataArray, shape (presentation, neuroid, time_bin)
    trial_averaged : bool, optional
        Whether the data must be trial-averaged (unique ``stimulus_id``) or raw trials
        (a ``repetition`` coord, unique (``stimulus_id``, ``repetition``) pairs). By
        default, inferred from whether a ``repetition`` coord exists.
    allow_nan : bool
        Accept NaN padding in raw trials (see the module's NaN policy).

    Raises
    ------
    DataFormatError
        Naming the first problem found and how to fix it.
    """
    _check_structure(assembly)
    averaged = "repetition" not in assembly.coords if trial_averaged is None else trial_averaged
    _check_ids(assembly, averaged)
    _check_time_bins(assembly)
    _check_finite(assembly, averaged, allow_nan)


def _check_structure(assembly: Any) -> None:
    """Type, dims, dim order, sizes, index style, required coords and value dtype."""
    if not isinstance(assembly, xr.DataArray):
        raise DataFormatError(
            f"expected an xarray.DataArray, got {type(assembly).__name__}; "
            "build one with make_assembly(...) or load one with read_assembly(...)."
        )
    if set(assembly.dims) != set(DIMS):
        missing = sorted(set(DIMS) - set(assembly.dims))
        fix = (
            "give it one bin with from_brainscore(assembly, time_bin=(start_ms, end_ms))"
            if set(assembly.dims) == {"presentation", "neuroid"}
            else "rebuild it with make_assembly(...)"
        )
        raise DataFormatError(
            f"assembly has dims {assembly.dims}; expected {DIMS}. Missing: {missing}, "
            f"unexpected: {sorted(set(assembly.dims) - set(DIMS))}; {fix}."
        )
    if assembly.dims != DIMS:
        raise DataFormatError(
            f"assembly dims are in the order {assembly.dims}; expected {DIMS}. "
            f"Fix with assembly.transpose{DIMS}."
        )
    empty = [dim for dim in DIMS if assembly.sizes[dim] == 0]
    if empty:
        raise DataFormatError(f"assembly has no entries along {empty}; select data that is not empty.")
    multi = [name for name, index in assembly.indexes.items() if isinstance(index, pd.MultiIndex)]
    if multi:
        raise DataFormatError(
            f"assembly has pandas MultiIndexes on {multi} (Brain-Score style); "
            "convert it with from_brainscore(assembly)."
        )
    for dim, names in REQUIRED_COORDS.items():
        for name in names:
            if name not in assembly.coords or assembly.coords[name].dims != (dim,):
                present = [c for c in assembly.coords if assembly.coords[c].dims == (dim,)]
                raise DataFormatError(
                    f"assembly lacks the coord {name!r} along {dim!r} (it has {present}); "
                    f"add it with assembly.assign_coords({name}=({dim!r}, values))."
                )
    if assembly.dtype.kind not in "iuf":
        raise DataFormatError(
            f"assembly values have dtype {assembly.dtype}; expected numbers. "
            "Convert with assembly.astype(float)."
        )


def _check_ids(assembly: xr.DataArray, averaged: bool) -> None:
    """Ids present; unique neuroids; unique stimuli (averaged) or (stimulus, repetition) pairs (raw)."""
    for name in ("stimulus_id", "neuroid_id"):
        absent = int(pd.isna(assembly[name].values).sum())
        if absent:
            raise DataFormatError(f"{absent} {name} value(s) are missing (None/NaN); give every entry an id.")
    _raise_on_duplicates(pd.DataFrame({"neuroid_id": assembly["neuroid_id"].values}), "neuroid")
    if averaged:
        _raise_on_duplicates(
            pd.DataFrame({"stimulus_id": assembly["stimulus_id"].values}),
            "presentation",
            hint="average the trials with average_repetitions(assembly), or add a repetition coord",
        )
        return
    if "repetition" not in assembly.coords or assembly["repetition"].dims != ("presentation",):
        raise DataFormatError(
            "raw trials need a 'repetition' coord along 'presentation' numbering each stimulus's trials; "
            "add it, or validate with trial_averaged=True."
        )
    pairs = pd.DataFrame(
        {"stimulus_id": assembly["stimulus_id"].values, "repetition": assembly["repetition"].values}
    )
    _raise_on_duplicates(pairs, "presentation", hint="number each stimulus's trials 0, 1, 2, ...")


def _raise_on_duplicates(keys: pd.DataFrame, dim: str, hint: str = "give each one a unique id") -> None:
    """Raise if rows of ``keys`` repeat."""
    repeated = keys[keys.duplicated()].drop_duplicates()
    if len(repeated):
        names = "/".join(keys.columns)
        examples = [tuple(row) if len(row) > 1 else row[0] for row in repeated.to_numpy()[:_LISTED].tolist()]
        raise DataFormatError(
            f"{len(repeated)} {names} value(s) occur more than once along {dim!r}, e.g. {examples}; {hint}."
        )


def _check_time_bins(assembly: xr.DataArray) -> None:
    """Bins numeric, start < end, sorted by start and not overlapping."""
    start = assembly["time_bin_start"].values
    end = assembly["time_bin_end"].values
    if start.dtype.kind not in "iuf" or end.dtype.kind not in "iuf":
        raise DataFormatError(
            f"time_bin_start/time_bin_end have dtypes {start.dtype}/{end.dtype}; give milliseconds as numbers."
        )
    bins = list(zip(start.tolist(), end.tolist()))
    empty = [b for b in bins if not b[0] < b[1]]
    if empty:
        raise DataFormatError(f"time bins {empty[:_LISTED]} do not have start < end; fix their edges.")
    if np.any(np.diff(start) <= 0):
        raise DataFormatError(
            f"time bins are not sorted by start: {bins}; "
            "sort them with assembly.sortby('time_bin_start') (and remove repeated bins)."
        )
    overlapping = [(a, b) for a, b in zip(bins[:-1], bins[1:]) if b[0] < a[1]]
    if overlapping:
        raise DataFormatError(
            f"time bins overlap: {overlapping[:_LISTED]}; each bin must end before the next one starts. "
            "Select non-overlapping bins with assembly.isel(time_bin=[...]), or re-bin sliding windows into "
            "contiguous 10 ms bins as Brain-Score does: read_assembly(path, overlapping_bins='align_10ms')."
        )


def _check_finite(assembly: xr.DataArray, averaged: bool, allow_nan: bool) -> None:
    """Apply the NaN policy of the module docstring."""
    values = assembly.values
    if values.dtype.kind != "f":
        return
    infinite = np.isinf(values)
    if infinite.any():
        raise DataFormatError(
            f"assembly holds {int(infinite.sum())} infinite value(s) in neuroids "
            f"{_neuroids_with(assembly, infinite)}; remove or replace them."
        )
    missing = np.isnan(values)
    if not missing.any():
        return
    if averaged or not allow_nan:
        why = "trial-averaged responses must be finite" if averaged else "raw trials were checked with allow_nan=False"
        raise DataFormatError(
            f"assembly holds {int(missing.sum())} NaN value(s) in neuroids {_neuroids_with(assembly, missing)}; "
            f"{why}. Drop those neuroids or presentations, or, for NaN padding of missing repetitions in raw "
            "trials, pass allow_nan=True."
        )
    codes, stimuli = pd.factorize(assembly["stimulus_id"].values)
    recorded = _group_sum(~missing, codes, len(stimuli))
    unrecorded = recorded == 0
    if unrecorded.any():
        stimulus_rows = np.flatnonzero(unrecorded.any(axis=(1, 2)))
        raise DataFormatError(
            f"{int(unrecorded.any(axis=2).sum())} (stimulus, neuroid) pair(s) are NaN in every repetition, "
            f"e.g. stimuli {stimuli[stimulus_rows[:_LISTED]].tolist()} in neuroids "
            f"{_neuroids_with(assembly, unrecorded)}; their average is undefined. Drop those stimuli or neuroids."
        )


def _neuroids_with(assembly: xr.DataArray, mask: np.ndarray) -> list:
    """Up to a few neuroid ids where ``mask`` (..., neuroid, time_bin) is set."""
    hit = mask.any(axis=(0, 2))
    return assembly["neuroid_id"].values[hit][:_LISTED].tolist()


def _group_sum(values: np.ndarray, codes: np.ndarray, n_groups: int) -> np.ndarray:
    """Sum rows of ``values`` (n, ...) into ``n_groups`` rows by ``codes`` (n,), in float64."""
    membership = scipy.sparse.csr_matrix(
        (np.ones(len(codes)), (codes, np.arange(len(codes)))), shape=(n_groups, len(codes))
    )
    flat = np.asarray(values, dtype=np.float64).reshape(len(codes), -1)
    return np.asarray(membership @ flat).reshape((n_groups,) + values.shape[1:])


def average_repetitions(assembly: xr.DataArray) -> xr.DataArray:
    """Average raw trials over repetitions, one presentation per stimulus.

    NaN padding is ignored (a nan-mean, see the module's NaN policy).

    Parameters
    ----------
    assembly : xarray.DataArray, shape (presentation, neuroid, time_bin)
        Raw trials with a ``repetition`` coord; an assembly without one is validated
        and returned unchanged.

    Returns
    -------
    xarray.DataArray, shape (stimulus, neuroid, time_bin), float64
        Stimuli in the order of their first appearance. Presentation coords that are
        constant within every stimulus are kept; the others (``repetition``, trial
        times, ...) are dropped. Neuroid and time-bin coords and attrs are kept.
    """
    if isinstance(assembly, xr.DataArray) and "repetition" not in assembly.coords:
        validate_assembly(assembly, trial_averaged=True)
        return assembly
    validate_assembly(assembly, trial_averaged=False, allow_nan=True)
    codes, stimuli = pd.factorize(assembly["stimulus_id"].values)
    values = assembly.values
    missing = np.isnan(values)
    if missing.any():
        totals = _group_sum(np.where(missing, 0.0, values), codes, len(stimuli))
        counts = _group_sum(~missing, codes, len(stimuli))
    else:
        totals = _group_sum(values, codes, len(stimuli))
        counts = np.bincount(codes)[:, np.newaxis, np.newaxis]
    first = np.unique(codes, return_index=True)[1]
    coords = {
        name: ("presentation", coord.values[first])
        for name, coord in assembly.coords.items()
        if coord.dims == ("presentation",) and name != "repetition" and _constant_within(coord.values, codes, first)
    }
    coords.update({name: coord for name, coord in assembly.coords.items() if "presentation" not in coord.dims})
    return xr.DataArray(totals / counts, dims=DIMS, coords=coords, attrs=dict(assembly.attrs), name=assembly.name)


def _constant_within(values: np.ndarray, codes: np.ndarray, first: np.ndarray) -> bool:
    """Whether ``values`` (presentation,) is the same across each group of ``codes``."""
    representative = values[first][codes]
    same = pd.Series(values == representative) | (pd.isna(values) & pd.isna(representative))
    return bool(same.all())
