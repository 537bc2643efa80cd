"""NWB recordings (as shared on DANDI) as a time-resolved raw-trial neural assembly.

:func:`read_nwb_assembly` reads each file's stimulus presentations
(:mod:`~chronoscore.neural_fit.nwb_presentations`) and units
(:mod:`~chronoscore.neural_fit.nwb_units`), counts every unit's spikes in each
time bin around each presentation, streaming the spike times from the file
(:mod:`~chronoscore.neural_fit.spike_counts`), and merges the sessions over the
stimuli they share (:mod:`~chronoscore.neural_fit.session_merge`).

Memory holds the counts (presentation × unit × bin of every session) and one
block of spike times, never a file's spike times.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import xarray as xr

from chronoscore.errors import ConfigError, DataFormatError
from chronoscore.neural_fit.assembly import make_assembly
from chronoscore.neural_fit.binning import time_bins
from chronoscore.neural_fit.nwb_file import open_nwb
from chronoscore.neural_fit.nwb_presentations import Alignment, read_presentations
from chronoscore.neural_fit.nwb_units import Units, read_units
from chronoscore.neural_fit.session_merge import merge_sessions
from chronoscore.neural_fit.spike_counts import DEFAULT_BLOCK_SIZE, count_spikes, presentation_windows

__all__ = ["SpikeStatistic", "read_nwb_assembly"]

SpikeStatistic = Literal["rate", "count"]

_EXAMPLES = 5


def read_nwb_assembly(
    paths: str | os.PathLike | Sequence[str | os.PathLike],
    *,
    bins: Sequence[tuple[float, float]] | np.ndarray | None = None,
    align: Alignment = "onset",
    presentations: str | None = None,
    stimulus_column: str | None = None,
    units_filter: Mapping[str, str] | None = None,
    region: str | None = None,
    animal: str | None = None,
    statistic: SpikeStatistic = "rate",
    drop_silent_units: bool = False,
    block_size: int = DEFAULT_BLOCK_SIZE,
) -> xr.DataArray:
    """Bin the spikes of NWB files' units around each stimulus presentation.

    Parameters
    ----------
    paths : path-like or sequence of path-like
        One NWB file per session.
    bins : sequence of (start_ms, end_ms), shape (bin, 2), optional
        Time bins relative to each presentation's onset (or offset); default
        10 ms bins from 0 to 300 ms. A bin holds the spikes ``t`` with
        ``start <= t - align_time < end`` (times compared in seconds).
    align : {"onset", "offset"}
        Measure the bins from each presentation's onset or offset.
    presentations : str, optional
        The intervals table or ``IndexSeries`` holding the presentations
        (default: the only one naming stimuli, see
        :func:`~chronoscore.neural_fit.nwb_presentations.read_presentations`).
    stimulus_column : str, optional
        The intervals table's column naming the stimulus.
    units_filter : dict of str to str, optional
        Keep units whose column holds the value, e.g. ``{"quality": "good"}``.
    region, animal : str, optional
        Override the region and animal read from the files.
    statistic : {"rate", "count"}
        Spikes per second in each bin, or the spike count.
    drop_silent_units : bool
        Leave out units with no spike in any bin of any presentation (by
        default they raise). The assembly's attrs record how many were left out.
    block_size : int
        Most spike times read from a file at once.

    Returns
    -------
    xarray.DataArray, shape (presentation, neuroid, time_bin), float64
        Raw trials: ``stimulus_id`` and ``repetition`` (each stimulus's
        presentations numbered 0, 1, ... in time order) on presentation;
        ``neuroid_id`` (``<session>.<unit id>``), ``unit_id``, ``session``,
        ``electrode``, ``region`` and ``animal`` on neuroid; ``time_bin_start``
        and ``time_bin_end`` (ms). NaN where a unit was not observed throughout
        a presentation's bins (the units' ``obs_intervals``, when recorded).
        Several sessions are merged over the stimuli all of them showed, with
        NaN for repetitions a session lacks. Attrs
        record the files, the presentations' source, the alignment, the
        statistic, and per session the presentations' source and the stimuli and
        silent units left out.

    Raises
    ------
    ConfigError
        If pynwb is missing, an option is unknown, or two files have one session name.
    FileFormatError
        If a file is missing or not a readable NWB file.
    DataFormatError
        If a file lacks units or presentations, its presentations overlap, a
        unit (or every unit) has no spike inside any bin, or the sessions share
        no stimulus.
    """
    if statistic not in ("rate", "count"):
        raise ConfigError(f"statistic={statistic!r}; choose 'rate' or 'count'.")
    paths = [Path(paths)] if isinstance(paths, (str, os.PathLike)) else [Path(path) for path in paths]
    if not paths:
        raise ConfigError("no NWB file given; pass at least one.")
    bins = np.asarray(time_bins(0, 300, 10) if bins is None else bins, dtype=np.float64)
    if bins.ndim != 2 or bins.shape[1] != 2 or len(bins) == 0:
        raise ConfigError(f"bins have shape {bins.shape}; give (start_ms, end_ms) pairs, e.g. time_bins(0, 300, 10).")
    sessions, names, silent = [], [], {}
    for path in paths:
        assembly, name, dropped = _session_assembly(
            path, bins, align=align, presentations=presentations, stimulus_column=stimulus_column,
            units_filter=units_filter, region=region, animal=animal, statistic=statistic,
            drop_silent_units=drop_silent_units, block_size=block_size)
        if name in names:
            raise ConfigError(f"{paths[names.index(name)]} and {path} are both session {name!r}; convert them "
                              "separately, or rename one file (the file name names a session without session_id).")
        sessions.append(assembly)
        names.append(name)
        silent[name] = dropped
    merged, left_out = merge_sessions(sessions, names)
    merged.attrs = {
        "source_files": [path.name for path in paths],
        "presentations": {name: session.attrs["presentations"] for name, session in zip(names, sessions)},
        "align": align,
        "statistic": statistic,
        "stimuli_left_out": left_out,
        "silent_units_left_out": silent,
    }
    return merged


def _session_assembly(path: Path, bins: np.ndarray, *, align: Alignment, presentations: str | None,
                      stimulus_column: str | None, units_filter: Mapping[str, str] | None, region: str | None,
                      animal: str | None, statistic: SpikeStatistic, drop_silent_units: bool,
                      block_size: int) -> tuple[xr.DataArray, str, int]:
    """One file's assembly, its session name and how many silent units were left out."""
    with open_nwb(path) as nwbfile:
        try:
            shown = read_presentations(nwbfile, presentations, stimulus_column)
            units = read_units(nwbfile, units_filter=units_filter, region=region, animal=animal)
            windows = presentation_windows(shown.align_times(align), bins)
            counts, totals = count_spikes(units.spike_times, units.first, units.stop, windows,
                                          block_size=block_size)
            audible = _audible_units(counts, totals, units, shown.onset_s, drop_silent_units)
            name = str(nwbfile.session_id or path.stem)
            kept = counts if audible.all() else counts[:, audible]  # no copy when every unit is kept
            assembly = _binned_assembly(kept, bins, statistic, shown.stimulus_id,
                                        {key: value[audible] for key, value in units.coords.items()}, name,
                                        observed=units.observed_during(_spans(windows))[:, audible])
        except (DataFormatError, ConfigError) as error:
            raise type(error)(f"{path}: {error}") from error
    assembly.attrs["presentations"] = shown.source
    return assembly, name, int((~audible).sum())


def _spans(windows: np.ndarray) -> np.ndarray:
    """(presentation, 2): from the earliest bin start to the latest bin end of each presentation (s)."""
    return np.stack([windows[:, :, 0].min(axis=1), windows[:, :, 1].max(axis=1)], axis=1)


def _binned_assembly(counts: np.ndarray, bins: np.ndarray, statistic: SpikeStatistic, stimulus_id: np.ndarray,
                     coords: dict[str, np.ndarray], session: str, observed: np.ndarray) -> xr.DataArray:
    """Counts (presentation, unit, bin) as an assembly of rates or counts, NaN where a unit was not observed."""
    values = counts.astype(np.float64)
    if statistic == "rate":
        values /= (bins[:, 1] - bins[:, 0]) / 1000.0
    values[~observed] = np.nan
    return make_assembly(
        values,
        stimulus_id=stimulus_id,
        repetition=pd.Series(stimulus_id).groupby(stimulus_id, sort=False).cumcount().to_numpy(),
        neuroid_id=np.asarray([f"{session}.{unit}" for unit in coords["unit_id"]], dtype=object),
        region=coords.pop("region"),
        animal=coords.pop("animal"),
        neuroid_coords={**coords, "session": np.full(len(coords["unit_id"]), session, dtype=object)},
        time_bin_start=bins[:, 0],
        time_bin_end=bins[:, 1],
        allow_nan=True,
    )


def _audible_units(counts: np.ndarray, totals: np.ndarray, units: Units, onsets: np.ndarray,
                   drop_silent_units: bool) -> np.ndarray:
    """(unit,) bool: units with a spike in some bin; raise on silent units unless they are to be dropped."""
    inside = counts.sum(axis=(0, 2))
    audible = inside > 0
    if audible.all():
        return audible
    if not audible.any():
        raise DataFormatError(
            f"no spike of any unit falls inside a time bin of any presentation ({int(totals.sum())} spikes, "
            f"{_span(units)}; presentations from {onsets.min():.6g} to {onsets.max():.6g} s). Spike times and "
            "presentation times must share the session's clock in seconds: check both, and the --bins window."
        )
    if drop_silent_units:
        return audible
    silent = units.coords["unit_id"][~audible]
    raise DataFormatError(
        f"{len(silent)} unit(s) have no spike inside any time bin of any presentation, e.g. unit ids "
        f"{silent[:_EXAMPLES].tolist()} ({int(totals[~audible].sum())} spikes in all, outside the bins); their "
        "responses would be constant. Leave them out (--drop-silent-units, drop_silent_units=True), select units "
        "(--units-filter COLUMN=VALUE), or widen the bins."
    )


def _span(units: Units) -> str:
    """The first and last recorded spike of the first and last selected unit, as text."""
    nonempty = np.flatnonzero(units.stop > units.first)
    if not len(nonempty):
        return "the units hold no spikes"
    first = float(units.spike_times[int(units.first[nonempty[0]])])
    last = float(units.spike_times[int(units.stop[nonempty[-1]]) - 1])
    return f"spikes recorded from about {first:.6g} to {last:.6g} s"
