"""Merging raw-trial assemblies of several recording sessions into one.

Sessions record different neuroids and usually show each stimulus a different
number of times. The merged assembly holds every session's neuroids side by
side over the stimuli *all* sessions showed: presentation ``(stimulus_id,
repetition)`` of one session is put beside the same pair of the others, and a
session that showed a stimulus fewer times than another gets NaN for the
missing repetitions (the NaN padding of raw trials, see
:mod:`chronoscore.neural_fit.assembly`). Stimuli only some sessions showed are
left out; :func:`merge_sessions` reports how many.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import xarray as xr

from chronoscore.errors import DataFormatError, StimulusMismatchError
from chronoscore.neural_fit.assembly import DIMS, validate_assembly

__all__ = ["merge_sessions"]

_EXAMPLES = 5


def merge_sessions(assemblies: Sequence[xr.DataArray], names: Sequence[str]) -> tuple[xr.DataArray, dict[str, int]]:
    """Concatenate sessions' neuroids over the stimuli every session showed.

    Parameters
    ----------
    assemblies : sequence of xarray.DataArray, each shape (presentation, neuroid, time_bin)
        Raw trials (``stimulus_id`` and ``repetition`` coords) with the same time
        bins and the same neuroid coords; neuroid ids unique across sessions.
    names : sequence of str
        One name per session, for messages and the returned counts.

    Returns
    -------
    merged : xarray.DataArray, shape (pair, neuroid, time_bin)
        One presentation per (stimulus, repetition) pair of the shared stimuli, in
        the order of the first session's first presentation of each stimulus and
        then by repetition; NaN where a session has fewer repetitions. Only
        ``stimulus_id`` and ``repetition`` are kept on presentation (other
        presentation coords differ between sessions); attrs of the first session.
    left_out : dict of str to int
        Per session, how many of its stimuli were left out for not being shown in
        every session.

    Raises
    ------
    StimulusMismatchError
        If no stimulus was shown in every session.
    DataFormatError
        If the time bins or neuroid coords differ, or neuroid ids repeat.
    """
    if len(assemblies) == 1:
        return assemblies[0], {names[0]: 0}
    _check_compatible(assemblies, names)
    stimuli = [pd.unique(assembly["stimulus_id"].values) for assembly in assemblies]
    others = [set(ids) for ids in stimuli[1:]]
    shared = [stimulus for stimulus in stimuli[0] if all(stimulus in other for other in others)]
    if not shared:
        shown = {name: list(ids[:_EXAMPLES]) for name, ids in zip(names, stimuli)}
        raise StimulusMismatchError(
            f"the sessions {list(names)} share no stimulus (first stimuli of each: {shown}); only sessions that "
            "showed the same stimuli can be merged. Convert them separately, or check that their stimulus ids "
            "are named alike (the same column, the same stimulus set)."
        )
    keys = _presentation_keys(assemblies, shared)
    values = np.full((len(keys), sum(a.sizes["neuroid"] for a in assemblies), assemblies[0].sizes["time_bin"]),
                     np.nan)
    column = 0
    for assembly in assemblies:
        own = pd.MultiIndex.from_arrays([assembly["stimulus_id"].values, assembly["repetition"].values])
        rows = keys.get_indexer(own)
        kept = rows >= 0
        width = assembly.sizes["neuroid"]
        values[rows[kept], column:column + width] = assembly.values[kept]
        column += width
    merged = xr.DataArray(
        values, dims=DIMS,
        coords={
            "stimulus_id": ("presentation", keys.get_level_values(0).to_numpy(dtype=object)),
            "repetition": ("presentation", keys.get_level_values(1).to_numpy(dtype=np.int64)),
            **_neuroid_coords(assemblies),
            **{name: coord for name, coord in assemblies[0].coords.items() if coord.dims == ("time_bin",)},
        },
        attrs=dict(assemblies[0].attrs),
    )
    validate_assembly(merged, allow_nan=True)
    shared_set = set(shared)
    return merged, {name: int(sum(stimulus not in shared_set for stimulus in ids)) for name, ids in zip(names, stimuli)}


def _check_compatible(assemblies: Sequence[xr.DataArray], names: Sequence[str]) -> None:
    """Same time bins and neuroid coord names; neuroid ids unique over sessions."""
    reference = assemblies[0]
    for name, assembly in zip(names[1:], assemblies[1:]):
        for coord in ("time_bin_start", "time_bin_end"):
            if not np.array_equal(assembly[coord].values, reference[coord].values):
                raise DataFormatError(
                    f"session {name!r} has other time bins than {names[0]!r}; bin every session with the same bins."
                )
        if _neuroid_names(assembly) != _neuroid_names(reference):
            raise DataFormatError(
                f"session {name!r} has neuroid coords {sorted(_neuroid_names(assembly))} but {names[0]!r} has "
                f"{sorted(_neuroid_names(reference))}; give every session the same neuroid metadata."
            )
    ids = pd.Series(np.concatenate([assembly["neuroid_id"].values for assembly in assemblies]))
    if ids.duplicated().any():
        raise DataFormatError(
            f"neuroid ids {ids[ids.duplicated()].unique()[:_EXAMPLES].tolist()} occur in several sessions; "
            "name each session differently so that its neuroid ids are its own."
        )


def _neuroid_names(assembly: xr.DataArray) -> set[str]:
    return {name for name, coord in assembly.coords.items() if coord.dims == ("neuroid",)}


def _neuroid_coords(assemblies: Sequence[xr.DataArray]) -> dict[str, tuple[str, np.ndarray]]:
    """Every neuroid coord, concatenated over the sessions."""
    return {name: ("neuroid", np.concatenate([assembly[name].values for assembly in assemblies]))
            for name in sorted(_neuroid_names(assemblies[0]))}


def _presentation_keys(assemblies: Sequence[xr.DataArray], shared: list) -> pd.MultiIndex:
    """(stimulus_id, repetition) pairs of the shared stimuli, up to each stimulus's most repetitions."""
    most = pd.concat(
        [pd.Series(assembly["repetition"].values).groupby(assembly["stimulus_id"].values).max()
         for assembly in assemblies], axis=1).max(axis=1)
    pairs = [(stimulus, repetition) for stimulus in shared for repetition in range(int(most[stimulus]) + 1)]
    return pd.MultiIndex.from_tuples(pairs, names=["stimulus_id", "repetition"])
