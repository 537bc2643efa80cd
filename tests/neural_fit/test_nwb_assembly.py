"""NWB files (DANDI layouts) as time-resolved assemblies: counts against a hand binning, metadata, sessions."""

import numpy as np
import pytest

from chronoscore.neural_fit import read_assembly, time_bins, write_assembly
from chronoscore.neural_fit.nwb_assembly import read_nwb_assembly
from tests.neural_fit.nwb_recordings import hand_counts, simulate_recording, write_nwb

pytest.importorskip("pynwb")

STIMULI = ["img_a", "img_b", "img_c"]
BINS = time_bins(0, 300, 10)


def _by_time(assembly, recording):
    """Assembly rows in the recording's presentation order (stimulus, repetition in time order)."""
    seen = {}
    keys = []
    for stimulus in recording.stimulus_id:
        keys.append((stimulus, seen.get(stimulus, 0)))
        seen[stimulus] = seen.get(stimulus, 0) + 1
    rows = {(s, int(r)): i for i, (s, r) in enumerate(zip(assembly["stimulus_id"].values,
                                                        assembly["repetition"].values))}
    return assembly.values[[rows[key] for key in keys]]


@pytest.mark.parametrize("layout, seed", [("trials", 0), ("intervals", 1), ("index_series", 2)])
def test_counts_equal_a_hand_binning_in_every_layout(tmp_path, layout, seed):
    recording = simulate_recording(STIMULI, repetitions=4, n_units=4, seed=seed)
    path = write_nwb(recording, tmp_path / "session.nwb", layout=layout)
    assembly = read_nwb_assembly(path, bins=BINS, statistic="count")
    assert assembly.dims == ("presentation", "neuroid", "time_bin")
    assert assembly.shape == (12, 4, 30)
    np.testing.assert_array_equal(_by_time(assembly, recording), hand_counts(recording, BINS))
    assert sorted(zip(assembly["stimulus_id"].values, assembly["repetition"].values.tolist())) == \
        [(stimulus, repetition) for stimulus in STIMULI for repetition in range(4)]


def test_rates_are_counts_per_second_and_uneven_bins_are_kept(tmp_path):
    recording = simulate_recording(STIMULI, repetitions=2, n_units=3, seed=3)
    path = write_nwb(recording, tmp_path / "session.nwb")
    bins = [(-50.0, 0.0), (0.0, 20.0), (20.0, 25.0), (100.0, 250.0)]
    assembly = read_nwb_assembly(path, bins=bins)
    widths_s = np.array([0.05, 0.02, 0.005, 0.15])
    np.testing.assert_allclose(_by_time(assembly, recording), hand_counts(recording, bins) / widths_s, rtol=1e-12)
    np.testing.assert_array_equal(assembly["time_bin_start"].values, [-50, 0, 20, 100])
    np.testing.assert_array_equal(assembly["time_bin_end"].values, [0, 20, 25, 250])


def test_offset_alignment_measures_bins_from_each_stop_time(tmp_path):
    recording = simulate_recording(STIMULI, repetitions=2, n_units=2, seed=4, on_s=0.15)
    path = write_nwb(recording, tmp_path / "session.nwb")
    bins = time_bins(-100, 100, 20)
    assembly = read_nwb_assembly(path, bins=bins, align="offset", statistic="count")
    np.testing.assert_array_equal(_by_time(assembly, recording), hand_counts(recording, bins, align="offset"))
    assert not np.array_equal(hand_counts(recording, bins, align="offset"), hand_counts(recording, bins))


def test_electrodes_give_region_electrode_and_animal(tmp_path):
    recording = simulate_recording(STIMULI, repetitions=2, n_units=4, seed=5, locations=("V4", "IT"))
    assembly = read_nwb_assembly(write_nwb(recording, tmp_path / "s.nwb"), bins=BINS)
    assert assembly["region"].values.tolist() == ["V4", "IT", "V4", "IT"]
    assert assembly["electrode"].values.tolist() == [0, 1, 2, 3]
    assert assembly["animal"].values.tolist() == ["monkeyA"] * 4
    assert assembly["neuroid_id"].values.tolist() == [f"session1.{unit}" for unit in range(4)]
    assert assembly["session"].values.tolist() == ["session1"] * 4


def test_units_without_electrodes_take_a_location_column_or_the_given_region(tmp_path):
    recording = simulate_recording(STIMULI, repetitions=2, n_units=3, seed=6, locations=("IT", "V4", "IT"))
    with_column = write_nwb(recording, tmp_path / "column.nwb", electrodes=False, unit_location_column="brain_area")
    assembly = read_nwb_assembly(with_column, bins=BINS, statistic="count")
    assert assembly["region"].values.tolist() == ["IT", "V4", "IT"]
    assert assembly["electrode"].values.tolist() == [-1, -1, -1]
    np.testing.assert_array_equal(_by_time(assembly, recording), hand_counts(recording, BINS))
    bare = write_nwb(recording, tmp_path / "bare.nwb", electrodes=False)
    given = read_nwb_assembly(bare, bins=BINS, region="IT", animal="monkeyB")
    assert set(given["region"].values) == {"IT"} and set(given["animal"].values) == {"monkeyB"}


def test_units_filter_keeps_units_whose_column_holds_the_value(tmp_path):
    recording = simulate_recording(STIMULI, repetitions=2, n_units=6, seed=7)
    assembly = read_nwb_assembly(write_nwb(recording, tmp_path / "s.nwb"), bins=BINS,
                                 units_filter={"quality": "good"}, statistic="count")
    good = [unit for unit, quality in enumerate(recording.quality) if quality == "good"]
    assert assembly["unit_id"].values.tolist() == good
    np.testing.assert_array_equal(_by_time(assembly, recording), hand_counts(recording, BINS)[:, good])


def test_small_blocks_give_the_same_assembly(tmp_path):
    recording = simulate_recording(STIMULI, repetitions=3, n_units=3, seed=8)
    path = write_nwb(recording, tmp_path / "s.nwb")
    whole = read_nwb_assembly(path, bins=BINS)
    blocked = read_nwb_assembly(path, bins=BINS, block_size=7)
    np.testing.assert_array_equal(whole.values, blocked.values)


def test_sessions_merge_over_shared_stimuli_with_nan_for_missing_repetitions(tmp_path):
    first = simulate_recording(["a", "b", "c"], repetitions=3, n_units=2, seed=9, session_id="day1")
    second = simulate_recording(["b", "c", "d"], repetitions=2, n_units=3, seed=10, session_id="day2")
    paths = [write_nwb(first, tmp_path / "day1.nwb"), write_nwb(second, tmp_path / "day2.nwb")]
    merged = read_nwb_assembly(paths, bins=BINS, statistic="count")
    assert merged.sizes["neuroid"] == 5
    assert merged["session"].values.tolist() == ["day1"] * 2 + ["day2"] * 3
    assert sorted(set(merged["stimulus_id"].values)) == ["b", "c"]
    assert merged.sizes["presentation"] == 6  # b and c, 3 repetitions each (day1 has 3, day2 has 2)
    assert merged.attrs["stimuli_left_out"] == {"day1": 1, "day2": 1}
    for recording, columns in ((first, slice(0, 2)), (second, slice(2, 5))):
        expected = hand_counts(recording, BINS)
        seen = {}
        for row, stimulus in enumerate(recording.stimulus_id):
            repetition = seen.get(stimulus, 0)
            seen[stimulus] = repetition + 1
            if stimulus not in ("b", "c"):
                continue
            index = np.flatnonzero((merged["stimulus_id"].values == stimulus)
                                   & (merged["repetition"].values == repetition))
            np.testing.assert_array_equal(merged.values[index[0], columns], expected[row])
    third_repetition = merged["repetition"].values == 2
    assert np.isnan(merged.values[third_repetition][:, 2:]).all()
    assert not np.isnan(merged.values[third_repetition][:, :2]).any()


def test_the_assembly_round_trips_through_brainio_netcdf(tmp_path):
    first = simulate_recording(["a", "b"], repetitions=3, n_units=2, seed=11, session_id="day1")
    second = simulate_recording(["a", "b"], repetitions=2, n_units=2, seed=12, session_id="day2")
    merged = read_nwb_assembly([write_nwb(first, tmp_path / "1.nwb"), write_nwb(second, tmp_path / "2.nwb")],
                               bins=BINS)
    loaded = read_assembly(write_assembly(merged, tmp_path / "assembly.nc"), allow_nan=True)
    np.testing.assert_array_equal(loaded.values, merged.values)
    for name in ("stimulus_id", "repetition", "neuroid_id", "region", "animal", "electrode", "session"):
        assert loaded[name].values.tolist() == merged[name].values.tolist()


def test_numeric_stimulus_ids_become_text(tmp_path):
    recording = simulate_recording([7, 30, 201], repetitions=2, n_units=2, seed=13)
    path = write_nwb(recording, tmp_path / "s.nwb", stimulus_column="image_index")
    assembly = read_nwb_assembly(path, bins=BINS, stimulus_column="image_index", statistic="count")
    assert sorted(set(assembly["stimulus_id"].values)) == ["201", "30", "7"]
    recording.stimulus_id = [str(stimulus) for stimulus in recording.stimulus_id]
    np.testing.assert_array_equal(_by_time(assembly, recording), hand_counts(recording, BINS))


def test_presentations_outside_a_units_observation_intervals_are_nan(tmp_path):
    recording = simulate_recording(STIMULI, repetitions=4, n_units=3, seed=14)
    until = float(recording.onset_s[6])  # unit 1 is lost after the second round of stimuli
    recording.observed = [[(0.0, 1000.0)], [(0.0, until)], [(0.0, 1000.0)]]
    assembly = read_nwb_assembly(write_nwb(recording, tmp_path / "s.nwb"), bins=BINS, statistic="count")
    values = _by_time(assembly, recording)
    expected = hand_counts(recording, BINS).astype(float)
    lost = recording.onset_s + 0.3 > until  # the last bin ends 300 ms after the onset
    expected[lost, 1] = np.nan
    assert lost.sum() == 7
    np.testing.assert_array_equal(values, expected)
