"""Stimulus metadata (a stimulus table's columns) added to an assembly's presentations."""

from __future__ import annotations

import os

import pandas as pd
import xarray as xr

from chronoscore.errors import StimulusMismatchError

__all__ = ["merge_stimulus_metadata"]

_MATCHING_FILES = "the assembly and stimulus files come from different data sets. Use the matching files."


def merge_stimulus_metadata(assembly: xr.DataArray, stimuli: pd.DataFrame, source: str | os.PathLike,
                            fix: str = _MATCHING_FILES) -> xr.DataArray:
    """Add the stimulus table's columns the assembly lacks as presentation coords.

    Parameters
    ----------
    assembly : xarray.DataArray, shape (presentation, neuroid, time_bin)
    stimuli : pandas.DataFrame
        One row per stimulus, with a str ``stimulus_id`` column; a ``path``
        column is not copied.
    source : str or path-like
        Where the assembly came from, for the error message.
    fix : str
        What the error message tells the user to do.

    Returns
    -------
    xarray.DataArray, shape (presentation, neuroid, time_bin)

    Raises
    ------
    StimulusMismatchError
        If the assembly holds stimuli the table lacks, naming some of them.
    """
    rows = pd.Index(stimuli["stimulus_id"]).get_indexer(assembly["stimulus_id"].values.astype(str))
    if (rows < 0).any():
        unknown = pd.unique(assembly["stimulus_id"].values[rows < 0])
        raise StimulusMismatchError(
            f"{source}: {len(unknown)} stimulus id(s) are not in the stimulus table, e.g. {unknown[:5].tolist()}; "
            f"{fix}"
        )
    extra = [column for column in stimuli.columns if column != "path" and column not in assembly.coords]
    return assembly.assign_coords({column: ("presentation", stimuli[column].to_numpy()[rows]) for column in extra})
