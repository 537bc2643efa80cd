"""Merging sessions' raw trials over their shared stimuli, written out by hand on tiny assemblies."""

import numpy as np
import pytest

from chronoscore.errors import DataFormatError, StimulusMismatchError
from chronoscore.neural_fit import make_assembly
from chronoscore.neural_fit.session_merge import merge_sessions


def _session(stimuli, neuroids, values, bins=((0.0, 10.0),)):
    repetition = [stimuli[:index].count(stimulus) for index, stimulus in enumerate(stimuli)]
    return make_assembly(np.asarray(values, dtype=float).reshape(len(stimuli), len(neuroids), len(bins)),
                         stimulus_id=stimuli, repetition=repetition, neuroid_id=neuroids, region="IT",
                         time_bin_start=[b[0] for b in bins], time_bin_end=[b[1] for b in bins])


def test_shared_stimuli_are_aligned_by_repetition_with_nan_padding():
    first = _session(["a", "b", "a", "x"], ["n1"], [1, 2, 3, 4])
    second = _session(["b", "a", "b", "b"], ["n2", "n3"], [[5, 6], [7, 8], [9, 10], [11, 12]])
    merged, left_out = merge_sessions([first, second], ["one", "two"])
    rows = list(zip(merged["stimulus_id"].values, merged["repetition"].values.tolist()))
    assert rows == [("a", 0), ("a", 1), ("b", 0), ("b", 1), ("b", 2)]
    expected = np.array([[1, 7, 8], [3, np.nan, np.nan], [2, 5, 6], [np.nan, 9, 10], [np.nan, 11, 12]])
    np.testing.assert_array_equal(merged.values[:, :, 0], expected)
    assert merged["neuroid_id"].values.tolist() == ["n1", "n2", "n3"]
    assert left_out == {"one": 1, "two": 0}


def test_sessions_that_cannot_be_merged_are_refused():
    first = _session(["a"], ["n1"], [1])
    with pytest.raises(StimulusMismatchError, match="share no stimulus"):
        merge_sessions([first, _session(["b"], ["n2"], [1])], ["one", "two"])
    with pytest.raises(DataFormatError, match="other time bins"):
        merge_sessions([first, _session(["a"], ["n2"], [1], bins=((0.0, 20.0),))], ["one", "two"])
    with pytest.raises(DataFormatError, match=r"\['n1'\] occur in several sessions"):
        merge_sessions([first, _session(["a"], ["n1"], [1])], ["one", "two"])
