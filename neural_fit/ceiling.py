"""Split-half noise ceilings over repetitions, per neuroid and time bin.

The procedure is Brain-Score's ``internal_consistency`` ceiling: the unique
repetition numbers are split in halves by ``ShuffleSplit(10, train_size=0.5,
random_state=1)``; each half is averaged per stimulus; the two halves are
correlated per neuroid over stimuli (Pearson r) and corrected with the
Spearman-Brown formula for doubling the number of trials,
``r_sb = 2r / (1 + r)``. The aggregate ceiling is the mean over splits of the
median over neuroids; per-neuroid ceilings are the mean over splits.

Missing trials (NaN, e.g. a stimulus shown fewer times) are skipped when
averaging a half; a stimulus that has no valid trial in one half is left out of
that neuroid's correlation for that split.
"""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import ShuffleSplit

from chronoscore.errors import DataFormatError

__all__ = ["CEILING_FLOOR", "ceiling_normalised", "spearman_brown", "split_half_consistency", "trials_by_repetition"]

CEILING_FLOOR = 0.1
"""Ceilings below this (split-half reliability, Spearman-Brown corrected) normalise nothing: NaN ceiled scores."""


def ceiling_normalised(r: np.ndarray, ceiling: np.ndarray, convention: str,
                       floor: float = CEILING_FLOOR) -> np.ndarray:
    """Ceiling-normalised score of correlations ``r`` with ``ceiling`` (broadcast together).

    ``r² / ceiling`` (``"r2_over_ceiling"``, Brain-Score's) or ``(r / ceiling)²``
    (``"squared_ratio"``). Where the ceiling is below ``floor`` (or NaN) the data
    are too unreliable to normalise by: the result is NaN there (a ceiling near
    zero would otherwise turn any r into an arbitrarily large or negative value).
    """
    r, ceiling = np.asarray(r, dtype=float), np.asarray(ceiling, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ceiled = r**2 / ceiling if convention == "r2_over_ceiling" else (r / ceiling) ** 2
        return np.where(ceiling >= floor, ceiled, np.nan)


def spearman_brown(r: np.ndarray, n: float = 2.0) -> np.ndarray:
    """Reliability of an ``n``-times longer measurement with reliability ``r``."""
    return n * r / (1.0 + (n - 1.0) * r)


def trials_by_repetition(values: np.ndarray, stimulus_id: np.ndarray, repetition: np.ndarray
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Arrange raw trials into a dense (stimulus, repetition, ...) array.

    Parameters
    ----------
    values : (n_trials, ...) array
        One row per presentation (trial).
    stimulus_id, repetition : (n_trials,) arrays
        Stimulus and repetition number of each trial.

    Returns
    -------
    dense : (n_stimuli, n_repetitions, ...) float array
        NaN where a stimulus has no trial with that repetition number.
    stimuli : (n_stimuli,) array
        Sorted unique stimulus ids.
    repetitions : (n_repetitions,) array
        Sorted unique repetition numbers.
    """
    stimuli, stimulus_index = np.unique(np.asarray(stimulus_id), return_inverse=True)
    repetitions, repetition_index = np.unique(np.asarray(repetition), return_inverse=True)
    if len(repetitions) < 2:
        raise DataFormatError(
            "a split-half ceiling needs at least 2 repetitions per stimulus, but the data has "
            f"{len(repetitions)} repetition value(s). Pass raw trials with repeated presentations, or drop the "
            "repetition coord to score without a ceiling.")
    cells = stimulus_index * len(repetitions) + repetition_index
    if len(np.unique(cells)) != len(cells):
        raise DataFormatError(
            "some (stimulus_id, repetition) pairs occur more than once; number the repetitions of each "
            "stimulus 0, 1, 2, ... so each trial is unique.")
    dense = np.full((len(stimuli), len(repetitions), *values.shape[1:]), np.nan)
    dense[stimulus_index, repetition_index] = values
    return dense, stimuli, repetitions


def split_half_consistency(dense: np.ndarray, *, n_splits: int = 10, random_state: int = 1
                           ) -> np.ndarray:
    """Spearman-Brown corrected split-half correlation per split and column.

    Parameters
    ----------
    dense : (n_stimuli, n_repetitions, ...) array
        Trials arranged by :func:`trials_by_repetition` (NaN = missing trial).
    n_splits, random_state : int
        Brain-Score uses 10 splits with seed 1.

    Returns
    -------
    (n_splits, ...) array
        Corrected r per split for every trailing index (e.g. neuroid × time bin);
        NaN where a column is constant or has fewer than 3 usable stimuli.
    """
    n_repetitions = dense.shape[1]
    splitter = ShuffleSplit(n_splits=n_splits, train_size=0.5, random_state=random_state)
    out = []
    for first, second in splitter.split(np.zeros(n_repetitions)):
        half_a = _nanmean_over_repetitions(dense, first)
        half_b = _nanmean_over_repetitions(dense, second)
        out.append(spearman_brown(_masked_pearson(half_a, half_b)))
    return np.stack(out)


def _nanmean_over_repetitions(dense: np.ndarray, repetitions: np.ndarray) -> np.ndarray:
    """Mean of ``dense[:, repetitions]`` over axis 1 ignoring NaN; NaN where every trial is missing (no warning).

    Accumulated one repetition at a time, in order, so that no copy of the
    selected trials is made (on a large assembly that copy and its temporaries
    cost more than the sums).

    Parameters
    ----------
    dense : (n_stimuli, n_repetitions, ...) array
    repetitions : (k,) int array
        Positions along axis 1.

    Returns
    -------
    (n_stimuli, ...) array
    """
    total = np.zeros((dense.shape[0], *dense.shape[2:]))
    count = np.zeros(total.shape, dtype=np.int64)
    for repetition in repetitions:
        trials = dense[:, repetition]
        valid = ~np.isnan(trials)
        total += np.where(valid, trials, 0.0)
        count += valid
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _masked_pearson(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson r over axis 0 using only rows where both are finite, per column."""
    both = ~(np.isnan(a) | np.isnan(b))
    n = both.sum(0)
    a0, b0 = np.where(both, a, 0.0), np.where(both, b, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_a, mean_b = a0.sum(0) / n, b0.sum(0) / n
        da, db = np.where(both, a0 - mean_a, 0.0), np.where(both, b0 - mean_b, 0.0)
        r = (da * db).sum(0) / np.sqrt((da * da).sum(0) * (db * db).sum(0))
    return np.where(n >= 3, np.clip(r, -1.0, 1.0), np.nan)
