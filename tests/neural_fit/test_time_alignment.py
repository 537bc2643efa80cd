"""Sliding-window time bins re-binned into contiguous bins as Brain-Score's temporal benchmarks do."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from chronoscore.errors import DataFormatError
from chronoscore.neural_fit.brainscore_convert import from_brainscore
from chronoscore.neural_fit.netcdf_io import read_assembly
from chronoscore.neural_fit.brainscore_data import load_majajhong2015
from chronoscore.neural_fit.time_alignment import align_time_bins, bins_overlap, brainscore_target_bins
from tests.neural_fit.test_brainscore_data import NC, STIMULI, write_fake_files


def sliding_recording(n_stimuli: int, n_repetitions: int, n_neuroids: int, first: int, last_start: int,
                      width: int, seed: int, nan_fraction: float = 0.0,
                      stimulus_ids: list[str] | None = None) -> xr.DataArray:
    """A Brain-Score-style raw assembly (MultiIndexes) with ``width`` ms windows starting every 10 ms."""
    from brainscore_core.supported_data_standards.brainio.assemblies import NeuronRecordingAssembly

    rng = np.random.default_rng(seed)
    starts = np.arange(first, last_start + 1, 10)
    values = rng.gamma(2.0, 3.0, size=(n_stimuli * n_repetitions, n_neuroids, len(starts))).astype(np.float32)
    values[rng.random(values.shape) < nan_fraction] = np.nan
    presentation = pd.MultiIndex.from_arrays(
        [(stimulus_ids or [f"s{index}" for index in range(n_stimuli)]) * n_repetitions,
         np.repeat(np.arange(n_repetitions), n_stimuli)], names=["stimulus_id", "repetition"])
    neuroid = pd.MultiIndex.from_arrays(
        [[f"n{index}" for index in range(n_neuroids)], ["V4" if index % 2 else "IT" for index in range(n_neuroids)]],
        names=["neuroid_id", "region"])
    time_bin = pd.MultiIndex.from_arrays([starts, starts + width], names=["time_bin_start", "time_bin_end"])
    plain = xr.DataArray(values, dims=["presentation", "neuroid", "time_bin"],
                         coords={"presentation": presentation, "neuroid": neuroid, "time_bin": time_bin})
    return NeuronRecordingAssembly(plain)


@pytest.mark.brainscore
@pytest.mark.parametrize("n_stimuli, n_repetitions, n_neuroids, first, last_start, width, seed, nan_fraction", [
    (5, 3, 4, -100, 280, 20, 0, 0.0),   # MajajHong2015's temporal layout
    (7, 2, 3, -20, 150, 30, 1, 0.0),    # wider windows: three sources per target
    (4, 4, 5, 0, 200, 20, 2, 0.05),     # NaN padding in raw trials
])
def test_equals_brainscore_assembly_time_align(n_stimuli, n_repetitions, n_neuroids, first, last_start, width, seed,
                                               nan_fraction):
    from brainscore_vision.model_helpers.brain_transformation.temporal import assembly_time_align

    recording = sliding_recording(n_stimuli, n_repetitions, n_neuroids, first, last_start, width, seed, nan_fraction)
    targets = brainscore_target_bins(recording["time_bin_end"].values.max())
    expected = from_brainscore(assembly_time_align(recording, targets), allow_nan=True)
    ours = from_brainscore(recording, allow_nan=True, overlapping_bins="align_10ms")
    assert ours["time_bin_start"].values.tolist() == [start for start, _ in targets]
    assert ours["time_bin_end"].values.tolist() == expected["time_bin_end"].values.tolist()
    assert ours.dtype == expected.dtype == np.float32
    np.testing.assert_allclose(ours.values, expected.transpose(*ours.dims).values, rtol=1e-6, equal_nan=True)
    assert ours["stimulus_id"].values.tolist() == expected["stimulus_id"].values.tolist()


def plain_sliding(values: np.ndarray, starts: list[int], width: int) -> xr.DataArray:
    """(1, 1, S) values in windows ``(start, start + width)``."""
    return xr.DataArray(values.reshape(1, 1, -1), dims=["presentation", "neuroid", "time_bin"],
                        coords={"time_bin_start": ("time_bin", starts),
                                "time_bin_end": ("time_bin", [start + width for start in starts])})


def test_each_target_is_the_overlap_weighted_mean_of_its_sources():
    # sources 0-20, 10-30, 20-40 hold 2, 4, 8; the target 10-20 holds half of 0-20 and half of 10-30
    # (weights 0.5 and 0.5), the target 20-30 half of 10-30 and half of 20-40
    aligned = align_time_bins(plain_sliding(np.array([2.0, 4.0, 8.0]), [0, 10, 20], 20), [(10, 20), (20, 30)])
    np.testing.assert_allclose(aligned.values.ravel(), [3.0, 6.0])
    assert aligned["time_bin_start"].values.tolist() == [10, 20]
    assert aligned["time_bin_start"].dtype.kind == "i"


def test_wider_targets_weight_sources_by_the_fraction_inside():
    # target 0-30 holds all of 0-20 and of 10-30 (weights 1) and half of 20-40 (0.5): (2 + 4 + 0.5 * 8) / 2.5
    aligned = align_time_bins(plain_sliding(np.array([2.0, 4.0, 8.0]), [0, 10, 20], 20), [(0.0, 30.0)])
    np.testing.assert_allclose(aligned.values.ravel(), [4.0])
    assert aligned["time_bin_end"].dtype.kind == "f"


def test_a_nan_outside_the_target_does_not_reach_it():
    # 0-10 holds half of 0-20 only; 10-20 halves of 0-20 and 10-30; the NaN in 20-40 touches neither
    aligned = align_time_bins(plain_sliding(np.array([2.0, 4.0, np.nan]), [0, 10, 20], 20), [(0, 10), (10, 20)])
    np.testing.assert_allclose(aligned.values.ravel(), [2.0, 3.0])


def test_a_target_outside_the_recorded_span_is_refused():
    with pytest.raises(DataFormatError, match=r"not covered .* span 0-40 ms"):
        align_time_bins(plain_sliding(np.array([2.0, 4.0, 8.0]), [0, 10, 20], 20), [(30, 40), (40, 50)])


@pytest.mark.parametrize("starts, ends, expected", [
    ([0, 10, 20], [10, 20, 30], False),
    ([0, 10, 20], [20, 30, 40], True),
    ([20, 0], [30, 25], True),           # unsorted: 0-25 overlaps 20-30
    ([0, 50], [100, 60], True),          # a long bin holds a later one
    ([70], [170], False),
])
def test_bins_overlap(starts, ends, expected):
    assert bins_overlap(starts, ends) is expected


def test_brainscore_target_bins_stop_one_bin_short_of_the_last_end():
    assert brainscore_target_bins(60) == [(0, 10), (10, 20), (20, 30), (30, 40), (40, 50)]


@pytest.mark.brainscore
def test_read_assembly_refuses_sliding_windows_unless_asked_to_align(tmp_path):
    from brainscore_core.supported_data_standards.brainio.packaging import write_netcdf

    path = tmp_path / "sliding.nc"
    write_netcdf(sliding_recording(3, 2, 2, -20, 80, 20, 0), path)
    with pytest.raises(DataFormatError, match="overlapping_bins='align_10ms'"):
        read_assembly(path)
    aligned = read_assembly(path, overlapping_bins="align_10ms")
    assert aligned["time_bin_start"].values.tolist() == list(range(0, 90, 10))  # ends at 100 ms
    assert aligned.sizes["presentation"] == 6


@pytest.mark.brainscore
def test_majajhong2015_temporal_windows_load_as_brainscores_10ms_bins(tmp_path):
    from brainscore_core.supported_data_standards.brainio.packaging import write_netcdf

    write_fake_files(tmp_path, tmp_path, tmp_path)
    recording = sliding_recording(len(STIMULI), 2, 4, -100, 280, 20, 3, stimulus_ids=STIMULI)
    write_netcdf(recording, tmp_path / NC)
    assembly, _ = load_majajhong2015("MajajHong2015.temporal.public", folder=tmp_path)
    assert assembly["time_bin_start"].values.tolist() == list(range(0, 290, 10))
    assert assembly["time_bin_end"].values.tolist() == list(range(10, 300, 10))
    # 0-10 ms: halves of the windows -10-10 and 0-20 (sources 9 and 10 counted from -100 ms)
    expected = (recording.values[..., 9] + recording.values[..., 10]) / 2
    np.testing.assert_allclose(assembly.isel(time_bin=0).values, expected, rtol=1e-6)
    assert assembly["object_name"].values.tolist() == ["car", "dog", "car"] * 2


def test_target_bins_of_a_recording_that_starts_after_0_ms_begin_at_its_first_start():
    assert brainscore_target_bins(120, min_start=65) == [(70, 80), (80, 90), (90, 100), (100, 110)]
    assert brainscore_target_bins(60, min_start=-100) == brainscore_target_bins(60)
