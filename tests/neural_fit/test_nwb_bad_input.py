"""Bad NWB input raises a chronoscore error that says what is wrong and how to fix it."""

import sys

import numpy as np
import pytest

from chronoscore.errors import ConfigError, DataFormatError, FileFormatError, StimulusMismatchError
from chronoscore.neural_fit import time_bins
from chronoscore.neural_fit.nwb_assembly import read_nwb_assembly
from tests.neural_fit.nwb_recordings import simulate_recording, write_nwb

pytest.importorskip("pynwb")

BINS = time_bins(0, 300, 10)


@pytest.fixture
def recording():
    return simulate_recording(["a", "b", "c"], repetitions=2, n_units=3, seed=0)


def test_a_missing_pynwb_names_the_extra(tmp_path, recording, monkeypatch):
    path = write_nwb(recording, tmp_path / "s.nwb")
    monkeypatch.setitem(sys.modules, "pynwb", None)
    with pytest.raises(ConfigError, match=r"pip install 'chronoscore\[nwb\]'"):
        read_nwb_assembly(path, bins=BINS)


def test_a_file_without_units_is_refused(tmp_path, recording):
    path = write_nwb(recording, tmp_path / "s.nwb", units=False)
    with pytest.raises(DataFormatError, match="no units table.*spike-sorted units"):
        read_nwb_assembly(path, bins=BINS)


def test_a_file_without_presentations_is_refused(tmp_path, recording):
    path = write_nwb(recording, tmp_path / "s.nwb", layout="none")
    with pytest.raises(DataFormatError, match="records no stimulus presentations.*--stimulus-column"):
        read_nwb_assembly(path, bins=BINS)


def test_a_table_without_the_usual_stimulus_column_must_be_named(tmp_path, recording):
    path = write_nwb(recording, tmp_path / "s.nwb", stimulus_column="picture")
    with pytest.raises(DataFormatError, match="--stimulus-column"):
        read_nwb_assembly(path, bins=BINS)
    assert read_nwb_assembly(path, bins=BINS, stimulus_column="picture").sizes["presentation"] == 6
    with pytest.raises(DataFormatError, match="no intervals table or IndexSeries named 'blocks'"):
        read_nwb_assembly(path, bins=BINS, presentations="blocks")


def test_spike_times_on_another_clock_are_refused(tmp_path, recording):
    recording.spikes = [times * 1000.0 for times in recording.spikes]  # milliseconds instead of seconds
    path = write_nwb(recording, tmp_path / "s.nwb")
    with pytest.raises(DataFormatError, match="no spike of any unit falls inside.*clock in seconds"):
        read_nwb_assembly(path, bins=BINS)


def test_a_unit_with_spikes_outside_every_presentation_is_refused_or_dropped_on_request(tmp_path, recording):
    recording.spikes[1] = np.array([0.1, 0.5, 1.0])  # all before the first presentation (at 2 s)
    path = write_nwb(recording, tmp_path / "s.nwb")
    with pytest.raises(DataFormatError, match=r"1 unit\(s\) have no spike.*\[1\].*--drop-silent-units"):
        read_nwb_assembly(path, bins=BINS)
    kept = read_nwb_assembly(path, bins=BINS, drop_silent_units=True)
    assert kept["unit_id"].values.tolist() == [0, 2]
    assert kept.attrs["silent_units_left_out"] == {"session1": 1}


def test_overlapping_presentations_are_refused(tmp_path, recording):
    recording.offset_s = recording.onset_s + 0.3  # the next one starts 0.2 s after each onset
    path = write_nwb(recording, tmp_path / "s.nwb")
    with pytest.raises(DataFormatError, match="start before the previous one ends.*--presentations NAME"):
        read_nwb_assembly(path, bins=BINS)


def test_presentations_ending_before_they_start_are_refused(tmp_path, recording):
    recording.offset_s = recording.onset_s.copy()
    recording.offset_s[2] -= 0.05
    path = write_nwb(recording, tmp_path / "s.nwb")
    with pytest.raises(DataFormatError, match="end before they start.*fix their stop times"):
        read_nwb_assembly(path, bins=BINS)


def test_offset_alignment_needs_recorded_offsets(tmp_path, recording):
    path = write_nwb(recording, tmp_path / "s.nwb", layout="index_series")
    with pytest.raises(ConfigError, match="offset.*not recorded.*align the bins to the onset"):
        read_nwb_assembly(path, bins=BINS, align="offset")


@pytest.mark.parametrize("damage", ["truncated", "not_hdf5", "missing"])
def test_a_corrupt_or_missing_file_is_refused(tmp_path, recording, damage):
    path = write_nwb(recording, tmp_path / "s.nwb")
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif damage == "not_hdf5":
        path.write_text("<html>rate limited</html>")
    else:
        path.unlink()
    with pytest.raises(FileFormatError, match="truncated, corrupt|no such file"):
        read_nwb_assembly(path, bins=BINS)


def test_sessions_without_a_shared_stimulus_are_refused(tmp_path):
    first = simulate_recording(["a", "b"], repetitions=2, n_units=2, seed=1, session_id="day1")
    second = simulate_recording(["c", "d"], repetitions=2, n_units=2, seed=2, session_id="day2")
    paths = [write_nwb(first, tmp_path / "1.nwb"), write_nwb(second, tmp_path / "2.nwb")]
    with pytest.raises(StimulusMismatchError, match="share no stimulus.*Convert them separately"):
        read_nwb_assembly(paths, bins=BINS)


def test_two_files_of_one_session_are_refused(tmp_path, recording):
    paths = [write_nwb(recording, tmp_path / "1.nwb"), write_nwb(recording, tmp_path / "2.nwb")]
    with pytest.raises(ConfigError, match="both session 'session1'"):
        read_nwb_assembly(paths, bins=BINS)


@pytest.mark.parametrize("bins", [[0.0, 10.0], [], [(0.0, 10.0, 20.0)]])
def test_bins_that_are_not_pairs_are_refused(tmp_path, recording, bins):
    with pytest.raises(ConfigError, match="start_ms, end_ms"):
        read_nwb_assembly(write_nwb(recording, tmp_path / "s.nwb"), bins=bins)


def test_bad_unit_selection_and_region_are_refused(tmp_path, recording):
    path = write_nwb(recording, tmp_path / "s.nwb")
    with pytest.raises(ConfigError, match="no column 'isolation'"):
        read_nwb_assembly(path, bins=BINS, units_filter={"isolation": "good"})
    with pytest.raises(DataFormatError, match="no unit passes the filter"):
        read_nwb_assembly(path, bins=BINS, units_filter={"quality": "excellent"})
    bare = write_nwb(recording, tmp_path / "bare.nwb", electrodes=False)
    with pytest.raises(DataFormatError, match="region is unknown.*--region"):
        read_nwb_assembly(bare, bins=BINS)
    recording.subject_id = None
    anonymous = write_nwb(recording, tmp_path / "anonymous.nwb")
    with pytest.raises(DataFormatError, match="no subject_id.*--animal"):
        read_nwb_assembly(anonymous, bins=BINS)
