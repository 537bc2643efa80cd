import warnings

import numpy as np
import pytest
from sklearn.model_selection import ShuffleSplit

from chronoscore.errors import DataFormatError
from chronoscore.neural_fit.ceiling import spearman_brown, split_half_consistency, trials_by_repetition


def test_spearman_brown_doubles_test_length():
    assert spearman_brown(np.array(0.5)) == pytest.approx(2 / 3)
    assert spearman_brown(np.array(0.0)) == 0.0
    assert spearman_brown(np.array(1.0)) == 1.0


def test_ceiling_recovers_the_reliability_of_simulated_neurons():
    """Signal variance 1, trial noise variance 4, 20 trials: the reliability of the mean of 20
    trials is 1 / (1 + 4/20) = 0.833, which the corrected 10-vs-10 split estimates."""
    rng = np.random.default_rng(0)
    signal = rng.normal(size=(2000, 1, 3))
    trials = signal + 2.0 * rng.normal(size=(2000, 20, 3))
    per_split = split_half_consistency(trials)
    assert per_split.shape == (10, 3)
    np.testing.assert_allclose(per_split.mean(0), 1 / (1 + 4 / 20), atol=0.02)


def test_missing_trials_are_skipped():
    rng = np.random.default_rng(1)
    trials = rng.normal(size=(300, 1, 2)) + rng.normal(size=(300, 8, 2))
    gappy = trials.copy()
    gappy[:150, 6:] = np.nan
    assert np.isfinite(split_half_consistency(gappy)).all()


@pytest.mark.parametrize("seed,shape", [(2, (120, 6, 3)), (3, (80, 9, 4, 2))])
def test_split_halves_with_missing_trials_match_the_definition_written_out(seed, shape):
    rng = np.random.default_rng(seed)
    trials = rng.normal(size=(shape[0], 1, *shape[2:])) + rng.normal(size=shape)
    trials[rng.random(shape) < 0.3] = np.nan
    trials[0] = np.nan                                    # a stimulus without any trial
    expected = []
    for first, second in ShuffleSplit(n_splits=10, train_size=0.5, random_state=1).split(np.zeros(shape[1])):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)   # all-NaN means
            half_a, half_b = np.nanmean(trials[:, first], 1), np.nanmean(trials[:, second], 1)
        a, b = half_a.reshape(shape[0], -1), half_b.reshape(shape[0], -1)
        per_column = []
        for column in range(a.shape[1]):
            both = np.isfinite(a[:, column]) & np.isfinite(b[:, column])
            r = np.corrcoef(a[both, column], b[both, column])[0, 1]
            per_column.append(2 * r / (1 + r))
        expected.append(np.reshape(per_column, shape[2:]))
    np.testing.assert_allclose(split_half_consistency(trials), np.stack(expected), rtol=1e-12, atol=1e-12)


def test_trials_are_arranged_by_stimulus_and_repetition():
    values = np.arange(6.0)[:, None]
    dense, stimuli, repetitions = trials_by_repetition(values, np.array(["b", "a", "b", "a", "b", "a"]),
                                                       np.array([0, 0, 1, 1, 2, 3]))
    assert list(stimuli) == ["a", "b"] and list(repetitions) == [0, 1, 2, 3]
    np.testing.assert_array_equal(dense[1, :, 0], [0, 2, 4, np.nan])
    np.testing.assert_array_equal(dense[0, :, 0], [1, 3, np.nan, 5])


def test_trial_arrangement_rejects_single_repetitions_and_duplicate_trials():
    with pytest.raises(DataFormatError, match="at least 2 repetitions"):
        trials_by_repetition(np.ones((3, 1)), np.array(["a", "b", "c"]), np.zeros(3))
    with pytest.raises(DataFormatError, match="more than once"):
        trials_by_repetition(np.ones((3, 1)), np.array(["a", "a", "b"]), np.array([0, 0, 1]))
