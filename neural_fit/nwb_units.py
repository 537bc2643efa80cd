"""The sorted units of an NWB file: which to keep, where they were recorded, and where their spikes are.

A unit's metadata becomes neuroid coords:

``unit_id``
    the units table's id;
``electrode``
    the id of the unit's electrode in the electrodes table (its first one when
    it lists several), -1 for units without electrodes;
``region``
    the electrode's ``location``; for units without electrodes, a units column
    ``location``, ``brain_area``, ``brain_region`` or ``region``; a region given
    by the caller overrides both;
``animal``
    the file's ``subject.subject_id``, unless the caller names the animal.

A units table may record when each unit was observed (``obs_intervals``, in
seconds); responses outside those intervals are unknown, not zero.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from chronoscore.errors import ConfigError, DataFormatError
from chronoscore.neural_fit.nwb_file import column_values
from chronoscore.neural_fit.spike_counts import unit_bounds

__all__ = ["UNIT_REGION_COLUMNS", "Units", "read_units"]

UNIT_REGION_COLUMNS = ("location", "brain_area", "brain_region", "region")
"""Columns of a units table (without electrodes) taken, in this order, as the region."""

_EXAMPLES = 5


@dataclass(frozen=True)
class Units:
    """The selected units of one file, with a handle on their spikes.

    Attributes
    ----------
    spike_times : h5py.Dataset, shape (spike,)
        Every unit's spike times (s), unit after unit (read lazily).
    first, stop : numpy.ndarray of int64, shape (unit,)
        The slice of ``spike_times`` holding each selected unit's spikes.
    coords : dict of str to numpy.ndarray, each shape (unit,)
        ``unit_id``, ``electrode``, ``region`` and ``animal``.
    observed : list of numpy.ndarray, each shape (interval, 2), or None
        Each unit's observation intervals (start, stop) in seconds; None when the
        table records none (every unit observed throughout).
    """

    spike_times: Any
    first: np.ndarray
    stop: np.ndarray
    coords: dict[str, np.ndarray]
    observed: list[np.ndarray] | None = None

    def observed_during(self, spans: np.ndarray) -> np.ndarray:
        """Whether each unit was observed throughout each time span.

        Parameters
        ----------
        spans : numpy.ndarray, shape (presentation, 2)
            (start, end) in seconds.

        Returns
        -------
        numpy.ndarray of bool, shape (presentation, unit)
            True where one of the unit's observation intervals holds the whole span.
        """
        if self.observed is None:
            return np.ones((len(spans), len(self.first)), dtype=bool)
        return np.stack([
            ((intervals[None, :, 0] <= spans[:, None, 0]) & (spans[:, None, 1] <= intervals[None, :, 1])).any(axis=1)
            for intervals in self.observed], axis=1)


def read_units(nwbfile: Any, *, units_filter: Mapping[str, str] | None = None, region: str | None = None,
               animal: str | None = None) -> Units:
    """Select units and read their metadata from an open NWB file (spike times stay in the file).

    Parameters
    ----------
    nwbfile : pynwb.NWBFile
    units_filter : dict of str to str, optional
        Keep only units whose column (e.g. ``quality``) holds the given value,
        compared as text (``{"quality": "good"}``); several entries must all hold.
    region, animal : str, optional
        Override the region and animal read from the file.

    Returns
    -------
    Units

    Raises
    ------
    DataFormatError
        If the file has no units table or spike times, no unit passes the
        filter, or the region or animal is not recorded and not given.
    ConfigError
        If the filter names a column the units table lacks.
    """
    units = nwbfile.units
    if units is None:
        raise DataFormatError(
            "the file has no units table (sorted spikes); chronoscore reads spike times from units. Convert a "
            "file with spike-sorted units (pynwb: nwbfile.add_unit(spike_times=...)), or sort the raw recording "
            "first (e.g. with SpikeInterface)."
        )
    names = {column.name for column in units.columns}
    if "spike_times" not in names or "spike_times_index" not in names:
        raise DataFormatError(f"the units table has no spike times (columns: {sorted(names)}); convert a file "
                              "whose units hold spike_times.")
    first, stop = unit_bounds(column_values(units, "spike_times_index"))
    unit_ids = np.asarray(units.id.data[:])
    kept = _filtered(units, names, units_filter or {}, len(unit_ids))
    coords = {
        "unit_id": unit_ids[kept],
        **_electrode_coords(nwbfile, units, names, kept, region),
        "animal": np.full(int(kept.sum()), _animal(nwbfile, animal), dtype=object),
    }
    observed = _observation_intervals(units, names, kept)
    return Units(column_values(units, "spike_times"), first[kept], stop[kept], coords, observed)


def _observation_intervals(units: Any, names: set[str], kept: np.ndarray) -> list[np.ndarray] | None:
    """Each kept unit's ``obs_intervals`` (interval, 2), or None when the table has none."""
    if "obs_intervals" not in names or "obs_intervals_index" not in names:
        return None
    intervals = np.asarray(column_values(units, "obs_intervals")[:], dtype=np.float64).reshape(-1, 2)
    first, stop = unit_bounds(column_values(units, "obs_intervals_index"))
    return [intervals[low:high] for low, high in zip(first[kept], stop[kept])]


def _filtered(units: Any, names: set[str], units_filter: Mapping[str, str], n_units: int) -> np.ndarray:
    """(unit,) bool: units whose every filtered column holds the wanted value (as text)."""
    kept = np.ones(n_units, dtype=bool)
    for column, wanted in units_filter.items():
        if column not in names:
            raise ConfigError(f"the units table has no column {column!r} to filter on (its columns: "
                              f"{sorted(names)}); filter on one of these.")
        values = column_values(units, column)[:]
        text = np.asarray([value.decode() if isinstance(value, bytes) else str(value) for value in values])
        kept &= text == str(wanted)
    if not kept.any():
        raise DataFormatError(f"no unit passes the filter {dict(units_filter)}; check the column's values.")
    return kept


def _electrode_coords(nwbfile: Any, units: Any, names: set[str], kept: np.ndarray,
                      region: str | None) -> dict[str, np.ndarray]:
    """``electrode`` (-1 without one) and ``region`` of the kept units."""
    n_kept = int(kept.sum())
    if "electrodes" in names:
        rows = _first_electrode_rows(units, names)[kept]
        electrodes = nwbfile.electrodes
        electrode = np.asarray(electrodes.id.data[:])[rows]
        locations = np.asarray(column_values(electrodes, "location")[:])[rows]
    else:
        electrode = np.full(n_kept, -1, dtype=np.int64)
        column = next((name for name in UNIT_REGION_COLUMNS if name in names), None)
        locations = None if column is None else np.asarray(column_values(units, column)[:])[kept]
    if region is not None:
        return {"electrode": electrode, "region": np.full(n_kept, region, dtype=object)}
    if locations is None:
        raise DataFormatError(
            "the units have no electrodes and no region column (" + ", ".join(UNIT_REGION_COLUMNS) + "), so "
            "their region is unknown; name it (--region IT)."
        )
    text = np.asarray([value.decode() if isinstance(value, bytes) else str(value) for value in locations],
                      dtype=object)
    return {"electrode": electrode, "region": text}


def _first_electrode_rows(units: Any, names: set[str]) -> np.ndarray:
    """(unit,) row in the electrodes table of each unit's first electrode."""
    rows = np.asarray(column_values(units, "electrodes")[:], dtype=np.int64)
    if "electrodes_index" not in names:
        return rows
    ends = np.asarray(column_values(units, "electrodes_index")[:], dtype=np.int64)
    starts = np.concatenate([[0], ends[:-1]])
    if np.any(ends <= starts):
        raise DataFormatError(f"units {np.flatnonzero(ends <= starts)[:_EXAMPLES].tolist()} (rows) list no "
                              "electrode; give each unit its electrode or drop the electrodes column.")
    return rows[starts]


def _animal(nwbfile: Any, animal: str | None) -> str:
    if animal is not None:
        return animal
    subject = nwbfile.subject
    if subject is None or not subject.subject_id:
        raise DataFormatError("the file records no subject_id, so the animal is unknown; name it (--animal NAME).")
    return str(subject.subject_id)
