"""Tiny NWB files written with pynwb in the layouts DANDI data sets use, with spike times known to the test.

``Recording`` holds the ground truth (presentations and every unit's spikes);
``write_nwb`` writes it as

* ``"trials"``: ``intervals/trials`` with a stimulus column;
* ``"intervals"``: an ``intervals/presentations`` table with an ``image_id`` column;
* ``"index_series"``: an ``IndexSeries`` in ``stimulus/`` over an ``Images``
  container in ``stimulus_template/`` (one ``RGBImage``, ``RGBAImage`` or
  ``GrayscaleImage`` per stimulus, named by its id, pixels from
  :func:`template_pixels` in sorted id order), with onsets as timestamps;

with units on electrodes (an electrodes table with locations) or without.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

BIN_EDGE_S = 0.01
"""Spikes are also put exactly on bin edges (onset + k * 10 ms) to test which bin holds them."""


@dataclass
class Recording:
    """Ground truth of one session.

    Attributes
    ----------
    stimulus_id : list of str, (presentation,)
    onset_s, offset_s : numpy.ndarray, (presentation,)
    spikes : list of numpy.ndarray, one per unit
    locations : list of str, the region of each unit's electrode
    observed : list of (start, stop) lists, one per unit, optional; written as ``obs_intervals``
    """

    stimulus_id: list[str]
    onset_s: np.ndarray
    offset_s: np.ndarray
    spikes: list[np.ndarray]
    locations: list[str]
    quality: list[str] = field(default_factory=list)
    session_id: str = "session1"
    subject_id: str | None = "monkeyA"
    observed: list[list[tuple[float, float]]] | None = None


def simulate_recording(stimuli: list[str], repetitions: int, n_units: int, *, seed: int, session_id: str = "session1",
                       on_s: float = 0.1, off_s: float = 0.1, rate_hz: float = 60.0, start_s: float = 2.0,
                       locations: tuple[str, ...] = ("IT", "V4")) -> Recording:
    """Presentations in a shuffled order (``on_s`` on, ``off_s`` off) and Poisson-like spikes per unit.

    Spikes cover the whole session and a margin before and after it, plus a few
    spikes exactly on bin edges after onsets, and are stored sorted.
    """
    random = np.random.default_rng(seed)
    order = [stimulus for _ in range(repetitions) for stimulus in random.permutation(stimuli).tolist()]
    onsets = start_s + np.arange(len(order)) * (on_s + off_s)
    end = onsets[-1] + 1.0
    spikes = []
    for _ in range(n_units):
        times = random.uniform(0.0, end, size=random.poisson(rate_hz * end))
        on_edges = onsets[random.integers(0, len(onsets), 6)] + random.integers(0, 30, 6) * BIN_EDGE_S
        spikes.append(np.sort(np.concatenate([times, on_edges])))
    return Recording(order, onsets, onsets + on_s, spikes,
                     [locations[unit % len(locations)] for unit in range(n_units)],
                     quality=["good" if unit % 3 else "mua" for unit in range(n_units)], session_id=session_id)


def write_nwb(recording: Recording, path: Path, *, layout: str = "trials", electrodes: bool = True,
              stimulus_column: str = "stimulus_id", unit_location_column: str | None = None,
              units: bool = True, image_mode: str = "rgb") -> Path:
    """Write ``recording`` as an NWB file in ``layout`` (see the module docstring; ``"none"``: no presentations)."""
    from pynwb import NWBHDF5IO, NWBFile
    from pynwb.file import Subject

    subject = None if recording.subject_id is None else Subject(subject_id=recording.subject_id,
                                                                  species="Macaca mulatta")
    nwbfile = NWBFile(session_description="passive viewing", identifier=f"id-{recording.session_id}",
                      session_start_time=datetime(2024, 1, 1, tzinfo=timezone.utc), session_id=recording.session_id,
                      subject=subject)
    if layout != "none":
        _add_presentations(nwbfile, recording, layout, stimulus_column, image_mode)
    if units:
        _add_units(nwbfile, recording, electrodes, unit_location_column)
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwbfile)
    return path


def _add_presentations(nwbfile, recording: Recording, layout: str, stimulus_column: str, image_mode: str) -> None:
    from pynwb.epoch import TimeIntervals

    rows = list(zip(recording.onset_s, recording.offset_s, recording.stimulus_id))
    if layout == "trials":
        nwbfile.add_trial_column(stimulus_column, "the image shown")
        for onset, offset, stimulus in rows:
            nwbfile.add_trial(start_time=onset, stop_time=offset, **{stimulus_column: stimulus})
    elif layout == "intervals":
        table = TimeIntervals(name="presentations", description="image presentations")
        table.add_column("image_id", "the image shown")
        for onset, offset, stimulus in rows:
            table.add_row(start_time=onset, stop_time=offset, image_id=stimulus)
        nwbfile.add_time_intervals(table)
    elif layout == "index_series":
        _add_index_series(nwbfile, recording, image_mode)
    else:
        raise ValueError(layout)


def template_pixels(index: int, mode: str = "rgb") -> np.ndarray:
    """The pixels of image ``index`` of the ``Images`` container: (4, 5) grey, (4, 5, 3) RGB or (4, 5, 4) RGBA
    uint8, or (4, 5, 3) RGB floats in [0, 1] (``"float"``: the RGB pixels / 255)."""
    if mode == "float":
        return template_pixels(index, "rgb") / 255.0
    shape = {"grey": (4, 5), "rgb": (4, 5, 3), "rgba": (4, 5, 4)}[mode]
    return np.random.default_rng(index).integers(0, 256, shape, dtype=np.uint8)


def _add_index_series(nwbfile, recording: Recording, image_mode: str) -> None:
    from pynwb.base import ImageReferences, Images
    from pynwb.image import GrayscaleImage, IndexSeries, RGBAImage, RGBImage

    kind = {"grey": GrayscaleImage, "rgb": RGBImage, "rgba": RGBAImage, "float": RGBImage}[image_mode]
    names = sorted(set(recording.stimulus_id))
    images = [kind(name=name, data=template_pixels(index, image_mode)) for index, name in enumerate(names)]
    container = Images(name="natural_images", images=images,
                       order_of_images=ImageReferences(name="order_of_images", data=images))
    nwbfile.add_stimulus_template(container)
    nwbfile.add_stimulus(IndexSeries(name="image_presentations", data=np.asarray(
        [names.index(stimulus) for stimulus in recording.stimulus_id], dtype=np.uint32), indexed_images=container,
        unit="N/A", timestamps=recording.onset_s))


def _add_units(nwbfile, recording: Recording, electrodes: bool, unit_location_column: str | None) -> None:
    nwbfile.add_unit_column("quality", "spike sorting quality")
    if unit_location_column is not None:
        nwbfile.add_unit_column(unit_location_column, "brain area of the unit")
    if electrodes:
        device = nwbfile.create_device(name="utah_array")
        group = nwbfile.create_electrode_group("array", description="Utah array", location="ventral stream",
                                               device=device)
        for location in recording.locations:
            nwbfile.add_electrode(group=group, location=location)
    for unit, times in enumerate(recording.spikes):
        extra = {} if unit_location_column is None else {unit_location_column: recording.locations[unit]}
        if electrodes:
            extra["electrodes"] = [unit]
        if recording.observed is not None:
            extra["obs_intervals"] = recording.observed[unit]
        nwbfile.add_unit(spike_times=times, quality=recording.quality[unit], **extra)


def hand_counts(recording: Recording, bins_ms: list[tuple[float, float]], align: str = "onset") -> np.ndarray:
    """(presentation, unit, bin) spike counts by looping over every spike, in time order of presentations.

    A bin (start, end) of presentation p holds spike t when
    ``align_time + start / 1000 <= t < align_time + end / 1000``.
    """
    times = recording.onset_s if align == "onset" else recording.offset_s
    counts = np.zeros((len(times), len(recording.spikes), len(bins_ms)), dtype=int)
    for p, aligned in enumerate(times):
        for u, spikes in enumerate(recording.spikes):
            for b, (start, end) in enumerate(bins_ms):
                low, high = aligned + start / 1000, aligned + end / 1000
                counts[p, u, b] = sum(1 for t in spikes if low <= t < high)
    return counts
