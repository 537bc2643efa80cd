"""Conversion between chronoscore assemblies and Brain-Score's (brainio) assemblies.

A chronoscore assembly (see :mod:`chronoscore.neural_fit.assembly`) keeps its
coords as plain coordinates on their dim. Brain-Score's assemblies gather them
into one pandas MultiIndex per dim, may hold the dims in another order, may
lack a ``time_bin`` dim (a single response window) and may name the stimulus
``image_id``. :func:`to_brainscore` and :func:`from_brainscore` convert between
the two.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
import xarray as xr

from chronoscore.errors import ConfigError, DataFormatError
from chronoscore.neural_fit.assembly import DIMS, validate_assembly
from chronoscore.neural_fit.time_alignment import align_time_bins, bins_overlap, brainscore_target_bins
from chronoscore.optional import import_brainscore

if TYPE_CHECKING:
    from brainscore_core.supported_data_standards.brainio.assemblies import NeuronRecordingAssembly

__all__ = ["to_brainscore", "from_brainscore", "OverlappingBins"]

OverlappingBins = Literal["refuse", "align_10ms"]


def to_brainscore(assembly: xr.DataArray) -> NeuronRecordingAssembly:
    """Convert to Brain-Score's ``NeuronRecordingAssembly``, one MultiIndex per dim.

    Parameters
    ----------
    assembly : xarray.DataArray, shape (presentation, neuroid, time_bin)
        A valid chronoscore assembly (raw trials may hold NaN padding).

    Returns
    -------
    brainscore_core NeuronRecordingAssembly, shape (presentation, neuroid, time_bin)
        Each dim's coords become levels of a MultiIndex named after the dim, in
        their order in ``assembly``; attrs are kept.
    """
    assemblies = import_brainscore("brainscore_core.supported_data_standards.brainio.assemblies", "to_brainscore")

    validate_assembly(assembly, allow_nan=True)
    indexes = {}
    for dim in DIMS:
        names = [name for name, coord in assembly.coords.items() if coord.dims == (dim,)]
        # an explicit MultiIndex keeps a lone coord's name, which Brain-Score's own
        # gathering would replace by the dim's name
        indexes[dim] = pd.MultiIndex.from_arrays([assembly[name].values for name in names], names=names)
    scalars = {name: coord for name, coord in assembly.coords.items() if not coord.dims}
    plain = xr.DataArray(assembly.values, dims=DIMS, coords={**indexes, **scalars}, attrs=dict(assembly.attrs))
    return assemblies.NeuronRecordingAssembly(plain)


def from_brainscore(
    assembly: xr.DataArray,
    *,
    allow_nan: bool = False,
    time_bin: tuple[float, float] | None = None,
    overlapping_bins: OverlappingBins = "refuse",
) -> xr.DataArray:
    """Convert a Brain-Score assembly (or any brainio-style DataArray) to a chronoscore one.

    MultiIndexes are reset into plain coords, a legacy ``image_id`` coord supplies a
    missing ``stimulus_id``, dims are put in the order (presentation, neuroid,
    time_bin), lazily loaded values are read into memory, and the result is validated.

    Parameters
    ----------
    assembly : xarray.DataArray (or a Brain-Score subclass)
        Dims (presentation, neuroid[, time_bin]) in any order.
    allow_nan : bool
        Accept NaN padding in raw trials (see the NaN policy of :mod:`chronoscore.neural_fit.assembly`).
    time_bin : (start_ms, end_ms), optional
        The window of an assembly without a ``time_bin`` dim. By default it is read
        from scalar ``time_bin_start``/``time_bin_end`` coords (as left by
        ``.squeeze('time_bin')``), a scalar ``time_bin`` coord, or ``time_bin_start``/
        ``time_bin_end`` attrs.
    overlapping_bins : {"refuse", "align_10ms"}
        What to do with time bins that overlap (sliding windows): refuse them
        (DataFormatError), or re-bin them into Brain-Score's contiguous 10 ms
        bins as its temporal benchmarks do
        (:mod:`chronoscore.neural_fit.time_alignment`). Bins that do not
        overlap are kept as they are either way.

    Returns
    -------
    xarray.DataArray, shape (presentation, neuroid, time_bin)

    Raises
    ------
    DataFormatError
        If there is no time bin to be found, or the result is not a valid assembly.
    """
    if not isinstance(assembly, xr.DataArray):
        raise DataFormatError(f"expected an xarray.DataArray or Brain-Score assembly, got {type(assembly).__name__}.")
    plain = xr.DataArray(
        assembly.values, dims=assembly.dims, coords=assembly.coords, attrs=dict(assembly.attrs), name=assembly.name
    )
    multi = [name for name, index in plain.indexes.items() if isinstance(index, pd.MultiIndex)]
    plain = plain.reset_index(multi)
    if "image_id" in plain.coords and "stimulus_id" not in plain.coords:
        plain = plain.assign_coords(stimulus_id=plain["image_id"])
    if "time_bin" not in plain.dims:
        plain = _add_time_bin(plain, time_bin)
    if set(plain.dims) == set(DIMS):
        plain = plain.transpose(*DIMS)
    plain = _resolve_overlapping_bins(plain, overlapping_bins)
    validate_assembly(plain, allow_nan=allow_nan)
    return plain


def _resolve_overlapping_bins(assembly: xr.DataArray, overlapping_bins: OverlappingBins) -> xr.DataArray:
    """``assembly`` re-binned into Brain-Score's 10 ms bins if asked and its bins overlap, else as it is."""
    if overlapping_bins not in ("refuse", "align_10ms"):
        raise ConfigError(f"overlapping_bins must be 'refuse' or 'align_10ms', got {overlapping_bins!r}.")
    edges = [assembly.coords.get(name) for name in ("time_bin_start", "time_bin_end")]
    if (overlapping_bins == "refuse" or any(edge is None or edge.dims != ("time_bin",) for edge in edges)
            or not bins_overlap(edges[0].values, edges[1].values)):
        return assembly
    targets = brainscore_target_bins(float(edges[1].values.max()), min_start=float(edges[0].values.min()))
    return align_time_bins(assembly, targets)


def _add_time_bin(assembly: xr.DataArray, time_bin: tuple[float, float] | None) -> xr.DataArray:
    """Give an assembly without a time_bin dim one bin, from ``time_bin``, scalar coords or attrs."""
    edges = ("time_bin_start", "time_bin_end")
    if time_bin is None and all(name in assembly.coords for name in edges):
        time_bin = tuple(assembly[name].item() for name in edges)
    elif time_bin is None and "time_bin" in assembly.coords and np.ndim(assembly["time_bin"].item()) == 1:
        time_bin = tuple(assembly["time_bin"].item())
    elif time_bin is None and all(name in assembly.attrs for name in edges):
        time_bin = tuple(assembly.attrs[name] for name in edges)
    if time_bin is None or len(time_bin) != 2:
        raise DataFormatError(
            f"assembly has no time_bin dim (dims {assembly.dims}) and no time window in its scalar coords or "
            "attrs time_bin_start/time_bin_end; pass time_bin=(start_ms, end_ms) giving the response window."
        )
    assembly = assembly.drop_vars([name for name in (*edges, "time_bin") if name in assembly.coords])
    assembly = assembly.expand_dims("time_bin", axis=-1)
    return assembly.assign_coords(
        time_bin_start=("time_bin", [time_bin[0]]), time_bin_end=("time_bin", [time_bin[1]])
    )
