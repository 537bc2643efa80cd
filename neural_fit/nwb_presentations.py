"""Stimulus presentations of an NWB file: when each stimulus was on the screen, and which one it was.

DANDI sets record presentations in one of two layouts:

* a ``TimeIntervals`` table (``intervals/trials`` or ``intervals/<name>``) with
  ``start_time``, ``stop_time`` (s) and a column naming the stimulus
  (``stimulus_id``, ``image_id``, ...);
* an ``IndexSeries`` (in ``stimulus/``) whose ``data`` indexes the images of an
  ``Images`` container (its ``order_of_images``) at its ``timestamps``: each
  image stays on until the next timestamp, so the last presentation's offset is
  not recorded.

A stimulus is named by its column value as text, or by the ``Image``'s name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from chronoscore.errors import ConfigError, DataFormatError
from chronoscore.neural_fit.nwb_file import column_values

__all__ = ["Alignment", "STIMULUS_COLUMNS", "Presentations", "read_presentations"]

Alignment = Literal["onset", "offset"]

STIMULUS_COLUMNS = ("stimulus_id", "image_id", "stimulus_name", "image_name", "stimulus", "image")
"""Columns of an intervals table taken, in this order, as the stimulus identity."""

_EXAMPLES = 5


@dataclass(frozen=True)
class Presentations:
    """One session's stimulus presentations, sorted by onset.

    Attributes
    ----------
    stimulus_id : numpy.ndarray of object (str), shape (presentation,)
    onset_s, offset_s : numpy.ndarray of float64, shape (presentation,)
        Times on the file's clock (s); ``offset_s`` is NaN where not recorded.
    source : str
        Where in the file they were read, e.g. ``"intervals/trials"``.
    """

    stimulus_id: np.ndarray
    onset_s: np.ndarray
    offset_s: np.ndarray
    source: str

    def align_times(self, align: Alignment) -> np.ndarray:
        """(presentation,) times (s) the time bins are measured from: onsets or offsets.

        Raises
        ------
        ConfigError
            If ``align`` is unknown, or is ``"offset"`` and some offsets are not recorded.
        """
        if align == "onset":
            return self.onset_s
        if align != "offset":
            raise ConfigError(f"align={align!r}; choose 'onset' or 'offset'.")
        unknown = int(np.isnan(self.offset_s).sum())
        if unknown:
            raise ConfigError(
                f"{self.source}: {unknown} presentation offset(s) are not recorded (an IndexSeries records onsets "
                "only, so its last image has no offset); align the bins to the onset, or read the presentations "
                "from an intervals table with stop_time."
            )
        return self.offset_s


def read_presentations(nwbfile: Any, name: str | None = None, stimulus_column: str | None = None) -> Presentations:
    """Read and check the stimulus presentations of an open NWB file.

    Parameters
    ----------
    nwbfile : pynwb.NWBFile
    name : str, optional
        An intervals table (``"trials"``, ``"presentations"``, ...) or an
        ``IndexSeries`` in ``stimulus/``. By default the one source that names
        stimuli: ``trials`` if it has a stimulus column, else the only other
        intervals table with one, else the only ``IndexSeries`` over ``Images``.
    stimulus_column : str, optional
        The intervals table's column naming the stimulus; by default the first of
        :data:`STIMULUS_COLUMNS` it has.

    Returns
    -------
    Presentations

    Raises
    ------
    DataFormatError
        If the file records no presentations, several sources qualify, the named
        source is absent, or the presentations are malformed (no stimulus column,
        missing ids or times, an offset before its onset, overlapping presentations).
    """
    from pynwb.image import IndexSeries

    tables = dict(nwbfile.intervals) if nwbfile.intervals else {}
    series = {key: value for key, value in dict(nwbfile.stimulus).items()
              if isinstance(value, IndexSeries) and value.indexed_images is not None}
    if name is None:
        name = _default_source(tables, series, stimulus_column)
    if name in tables:
        presentations = _from_intervals(tables[name], name, stimulus_column)
    elif name in series:
        presentations = _from_index_series(series[name], name)
    else:
        raise DataFormatError(
            f"the file has no intervals table or IndexSeries named {name!r} (intervals tables: {sorted(tables)}, "
            f"IndexSeries over Images: {sorted(series)}); name one of these."
        )
    return _checked(presentations)


def _default_source(tables: dict, series: dict, stimulus_column: str | None) -> str:
    """The one intervals table or IndexSeries that names stimuli; raise when none or several do."""
    naming = [key for key, table in tables.items() if _stimulus_column(table, stimulus_column) is not None]
    if "trials" in naming:
        return "trials"
    candidates = naming + sorted(series)
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise DataFormatError(
            f"the file records no stimulus presentations: no intervals table with a stimulus column "
            f"({stimulus_column or ' / '.join(STIMULUS_COLUMNS)}; intervals tables: {sorted(tables)}) and no "
            "IndexSeries over an Images container in stimulus/. Name the table's stimulus column "
            "(--stimulus-column), or add the presentations to the file (pynwb: nwbfile.add_trial_column and "
            "add_trial, or an IndexSeries)."
        )
    raise DataFormatError(
        f"several sources could hold the stimulus presentations: {candidates}; name one (--presentations NAME)."
    )


def _stimulus_column(table: Any, wanted: str | None) -> str | None:
    """The table's stimulus column: ``wanted`` if it has it, else the first of STIMULUS_COLUMNS it has."""
    names = set(table.colnames)
    if wanted is not None:
        return wanted if wanted in names else None
    return next((column for column in STIMULUS_COLUMNS if column in names), None)


def _from_intervals(table: Any, name: str, wanted: str | None) -> Presentations:
    column = _stimulus_column(table, wanted)
    if column is None:
        raise DataFormatError(
            f"intervals/{name} has no stimulus column {wanted or ' / '.join(STIMULUS_COLUMNS)} (its columns: "
            f"{list(table.colnames)}); name the column holding the stimulus identities (--stimulus-column)."
        )
    return Presentations(
        stimulus_id=_as_text(column_values(table, column)[:], f"intervals/{name}.{column}"),
        onset_s=np.asarray(column_values(table, "start_time")[:], dtype=np.float64),
        offset_s=np.asarray(column_values(table, "stop_time")[:], dtype=np.float64),
        source=f"intervals/{name}",
    )


def _from_index_series(series: Any, name: str) -> Presentations:
    images = series.indexed_images
    order = images.order_of_images
    if order is None:
        raise DataFormatError(
            f"stimulus/{name} indexes the Images container {images.name!r}, which has no order_of_images, so its "
            "indices name no image; write the container with order_of_images=ImageReferences(...)."
        )
    names = np.asarray([image.name for image in order.data], dtype=object)
    indices = np.asarray(series.data[:], dtype=np.int64)
    outside = indices[(indices < 0) | (indices >= len(names))]
    if len(outside):
        raise DataFormatError(
            f"stimulus/{name} holds indices {np.unique(outside)[:_EXAMPLES].tolist()} outside its {len(names)} "
            "images; fix the IndexSeries data."
        )
    if series.timestamps is not None:
        onsets = np.asarray(series.timestamps[:], dtype=np.float64)
    else:
        onsets = series.starting_time + np.arange(len(indices)) / series.rate
    offsets = np.concatenate([onsets[1:], [np.nan]])
    return Presentations(names[indices], onsets, offsets, f"stimulus/{name}")


def _as_text(values: Any, where: str) -> np.ndarray:
    """Stimulus ids as str (bytes decoded, numbers written out); raise on missing ones."""
    values = np.asarray(values)
    if values.dtype.kind == "f":
        missing = np.isnan(values)
        if missing.any():
            raise DataFormatError(f"{where}: {int(missing.sum())} presentation(s) name no stimulus (NaN); "
                                  "fill them in or drop those presentations from the table.")
        if np.all(values == np.round(values)):
            values = values.astype(np.int64)
    text = np.asarray([value.decode() if isinstance(value, bytes) else str(value) for value in values], dtype=object)
    empty = np.flatnonzero(text == "")
    if len(empty):
        raise DataFormatError(f"{where}: presentations {empty[:_EXAMPLES].tolist()} name no stimulus (empty); "
                              "fill them in or drop those presentations from the table.")
    return text


def _checked(presentations: Presentations) -> Presentations:
    """Sort by onset; refuse missing onsets, offsets not after onsets and overlapping presentations."""
    where = presentations.source
    onset, offset = presentations.onset_s, presentations.offset_s
    if len(onset) == 0:
        raise DataFormatError(f"{where}: holds no presentations; choose the table that records the stimuli.")
    if not np.all(np.isfinite(onset)):
        raise DataFormatError(f"{where}: {int((~np.isfinite(onset)).sum())} presentation onset(s) are not finite; "
                              "fix their start times.")
    order = np.argsort(onset, kind="stable")
    onset, offset, ids = onset[order], offset[order], presentations.stimulus_id[order]
    reversed_rows = np.flatnonzero(offset <= onset)
    if len(reversed_rows):
        raise DataFormatError(
            f"{where}: {len(reversed_rows)} presentation(s) end before they start, e.g. "
            f"{[(onset[i], offset[i]) for i in reversed_rows[:_EXAMPLES]]} s; fix their stop times."
        )
    overlapping = np.flatnonzero(onset[1:] < offset[:-1])
    if len(overlapping):
        pairs = [(ids[i], float(onset[i]), float(offset[i]), ids[i + 1], float(onset[i + 1]))
                 for i in overlapping[:3]]
        raise DataFormatError(
            f"{where}: {len(overlapping)} presentation(s) start before the previous one ends, e.g. (stimulus, "
            f"onset, offset, next stimulus, its onset) {pairs}; one screen shows one stimulus at a time. The table "
            "may mix several tasks or hold trial (not stimulus) times: choose the table of single stimulus "
            "presentations (--presentations NAME) or fix its stop times."
        )
    return Presentations(ids, onset, offset, where)
