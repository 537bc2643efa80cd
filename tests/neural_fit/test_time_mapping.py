import numpy as np
import pytest

from chronoscore.errors import ConfigError
from chronoscore.neural_fit.binning import time_bins
from chronoscore.neural_fit.time_mapping import TimeMapping

BINS = np.array(time_bins())


def test_latency_mapping_gives_one_step_per_10ms_bin():
    steps = TimeMapping("latency", latency_ms=70, step_ms=10).steps_for_bins(BINS[:, 0], BINS[:, 1], 19)
    np.testing.assert_array_equal(steps, np.arange(19))


def test_bins_beyond_the_model_use_its_last_step_with_a_warning():
    with pytest.warns(UserWarning, match="outside"):
        steps = TimeMapping("latency", latency_ms=50, step_ms=20).steps_for_bins(BINS[:, 0], BINS[:, 1], 5)
    assert steps[0] == 1 and steps[-1] == 4 and np.all(np.diff(steps) >= 0)


def test_single_mapping_and_feedforward_models_use_step_zero():
    assert TimeMapping("single").steps_for_bins(BINS[:, 0], BINS[:, 1], 12).tolist() == [0] * 19
    assert TimeMapping("latency").steps_for_bins(BINS[:, 0], BINS[:, 1], 1).tolist() == [0] * 19


def test_table_mapping_is_checked_against_bins_and_steps():
    mapping = TimeMapping("table", table=(0, 0, 1))
    assert mapping.steps_for_bins(BINS[:3, 0], BINS[:3, 1], 2).tolist() == [0, 0, 1]
    with pytest.raises(ConfigError, match="3 entries for 19 time bins"):
        mapping.steps_for_bins(BINS[:, 0], BINS[:, 1], 2)
    with pytest.raises(ConfigError, match="outside"):
        TimeMapping("table", table=(0, 5, 1)).steps_for_bins(BINS[:3, 0], BINS[:3, 1], 2)
    with pytest.raises(ConfigError, match="needs table"):
        TimeMapping("table")


def test_a_table_of_the_wrong_length_is_rejected_even_for_single_step_features():
    with pytest.raises(ConfigError, match="one model step per neural time bin"):
        TimeMapping("table", table=(0, 0)).steps_for_bins(BINS[:, 0], BINS[:, 1], 1)


def test_an_unset_step_length_is_read_from_the_features_time():
    resolved = TimeMapping("latency", latency_ms=70).resolve(np.array([0.0, 25.0, 50.0, 75.0]))
    assert resolved == TimeMapping("latency", latency_ms=70, step_ms=25.0)
    centres = (BINS[:, 0] + BINS[:, 1]) / 2
    with pytest.warns(UserWarning, match="outside"):
        steps = resolved.steps_for_bins(BINS[:, 0], BINS[:, 1], 4)
    np.testing.assert_array_equal(steps, np.clip((centres - 70) // 25, 0, 3).astype(int))
    assert resolved.describe() == "latency 70 ms, 25 ms per step"


def test_without_times_an_unset_step_length_counts_10ms():
    assert TimeMapping().resolve(None).step_ms == 10.0
    assert TimeMapping().resolve(np.array([0.0])).step_ms == 10.0     # one step: no spacing to read
    np.testing.assert_array_equal(TimeMapping().steps_for_bins(BINS[:, 0], BINS[:, 1], 19), np.arange(19))
    assert TimeMapping().describe() == "latency 70 ms, the features' ms per step"


def test_a_step_length_that_contradicts_the_features_time_names_both():
    with pytest.raises(ConfigError, match=r"step_ms is 10 ms but the features' time_ms advance 25 ms per step"):
        TimeMapping("latency", step_ms=10).resolve(np.array([0.0, 25.0, 50.0]))
    agreeing = TimeMapping("latency", step_ms=25)
    assert agreeing.resolve(np.array([0.0, 25.0, 50.0])) is agreeing


def test_a_per_region_table_keeps_its_own_step_length():
    """Brain-Score's CORnet form (start, duration, steps) defines its region's times on purpose."""
    _, mapping = TimeMapping.parse_region("V4=90,50,4")
    assert mapping.resolve(np.array([0.0, 10.0, 20.0, 30.0])) is mapping


def test_unevenly_spaced_times_are_refused():
    with pytest.raises(ConfigError, match=r"time_ms must increase evenly.*\[0.0, 10.0, 30.0\]"):
        TimeMapping().resolve(np.array([0.0, 10.0, 30.0]))


def test_kinds_without_milliseconds_ignore_the_times():
    for mapping in (TimeMapping("single"), TimeMapping("best"), TimeMapping("table", table=(0, 1))):
        assert mapping.resolve(np.array([0.0, 25.0])) is mapping
