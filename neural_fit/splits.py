"""Cross-validation splits over stimuli, identical to Brain-Score's.

Brain-Score's ``CrossValidation`` draws its splits with scikit-learn's
``StratifiedShuffleSplit`` (or ``ShuffleSplit`` without stratification):
10 splits, train size 0.9, ``random_state=1``, over the presentations of the
*neural* assembly in its stored order, stratified by ``object_name``.
:func:`shuffle_splits` reproduces those index sets exactly given the same
stimulus order and labels; :func:`kfold_splits` and :func:`given_splits` cover
k-fold and user-chosen splits.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.model_selection import KFold, ShuffleSplit, StratifiedKFold, StratifiedShuffleSplit

from chronoscore.errors import FitError, StimulusMismatchError

__all__ = ["Split", "shuffle_splits", "kfold_splits", "given_splits"]

Split = tuple[np.ndarray, np.ndarray]
"""(train indices, test indices) into the stimulus order."""

_MIN_STIMULI = 2
"""Fewest stimuli on either side of a split: a regression needs two training stimuli and a
correlation over held-out stimuli needs two test stimuli."""


def shuffle_splits(stimulus_ids: Sequence[str], stratify_by: Sequence | None = None, *, n_splits: int = 10,
                   train_size: float = 0.9, random_state: int = 1, test_size: float | None = None) -> list[Split]:
    """Brain-Score's default splits: (stratified) shuffle splits over stimuli.

    Parameters
    ----------
    stimulus_ids : (n,) sequence of str
        Stimulus of each presentation, in the neural assembly's order.
    stratify_by : (n,) sequence, optional
        Class of each presentation (Brain-Score: ``object_name``); None for plain
        shuffle splits.
    n_splits, train_size, random_state
        Brain-Score's defaults are 10, 0.9 and 1.
    test_size : float, optional
        Fraction of held-out stimuli, given instead of ``train_size`` (the
        training set is the rest), as Brain-Score's test-only metrics (``rdm_cv``,
        ``cka_cv``: 0.9) draw their splits; scikit-learn rounds the two differently.

    Returns
    -------
    list of (train, test) index arrays
    """
    labels = _check_labels(stimulus_ids, stratify_by)
    sizes = {"train_size": train_size} if test_size is None else {"train_size": None, "test_size": test_size}
    splitter = (ShuffleSplit if labels is None else StratifiedShuffleSplit)(n_splits=n_splits,
                                                                            random_state=random_state, **sizes)
    return _draw(splitter, len(stimulus_ids), labels)


def kfold_splits(stimulus_ids: Sequence[str], stratify_by: Sequence | None = None, *, n_splits: int = 10,
                 random_state: int = 1) -> list[Split]:
    """Shuffled (stratified) k-fold splits, as Brain-Score's ``kfold=True``."""
    labels = _check_labels(stimulus_ids, stratify_by)
    splitter = (KFold if labels is None else StratifiedKFold)(n_splits=n_splits, shuffle=True,
                                                              random_state=random_state)
    return _draw(splitter, len(stimulus_ids), labels)


def given_splits(stimulus_ids: Sequence[str], splits: Sequence[tuple[Sequence[str], Sequence[str]]]) -> list[Split]:
    """Turn user-given (train stimulus ids, test stimulus ids) pairs into index splits.

    Raises
    ------
    StimulusMismatchError
        If a split names a stimulus that is not in ``stimulus_ids``.
    FitError
        If a split's train and test sets overlap or one of them has fewer than 2 stimuli.
    """
    position = {stimulus: index for index, stimulus in enumerate(stimulus_ids)}
    result = []
    for number, (train, test) in enumerate(splits):
        unknown = [s for s in [*train, *test] if s not in position]
        if unknown:
            raise StimulusMismatchError(
                f"split {number} names {len(unknown)} stimuli that are not in the data, e.g. {unknown[:3]}; "
                "give splits as stimulus_id values of the neural assembly.")
        overlap = set(train) & set(test)
        if overlap:
            raise FitError(
                f"split {number} has {len(overlap)} stimuli in both train and test, e.g. {sorted(overlap)[:3]}; "
                "give each split disjoint train and test stimuli.")
        result.append((np.array([position[s] for s in train]), np.array([position[s] for s in test])))
    return _check_sizes(result)


def _check_labels(stimulus_ids: Sequence[str], stratify_by: Sequence | None) -> np.ndarray | None:
    if len(stimulus_ids) < 2:
        raise FitError(f"cross-validation needs at least 2 stimuli, got {len(stimulus_ids)}.")
    if stratify_by is None:
        return None
    labels = np.asarray(stratify_by)
    if len(labels) != len(stimulus_ids):
        raise FitError(f"{len(labels)} stratification labels for {len(stimulus_ids)} stimuli.")
    unlabelled = pd.isna(labels)
    if unlabelled.any():
        raise FitError(
            f"{int(unlabelled.sum())} of {len(labels)} stimuli have no stratification label (None/NaN); "
            "label every stimulus or split without stratification (stratify=None, command line: --no-stratify).")
    classes, counts = np.unique(labels, return_counts=True)
    if len(classes) < 2:
        raise FitError(
            f"stratified splits need at least 2 classes, but every stimulus has the label {classes[0]!r}; "
            "pass stratify_by=None (command line: --no-stratify) to split without stratification.")
    if counts.min() < 2:
        rare = classes[counts < 2][:3]
        raise FitError(
            f"stratified splits need at least 2 stimuli per class; {int((counts < 2).sum())} classes have one "
            f"(e.g. {list(rare)}). Merge rare classes or split without stratification.")
    return labels


def _draw(splitter, n: int, labels: np.ndarray | None) -> list[Split]:
    try:
        splits = list(splitter.split(np.zeros(n), labels))
    except ValueError as error:
        raise FitError(
            f"cannot draw cross-validation splits ({error}); use more stimuli, fewer splits, another "
            "train_size (metric_options.test_size for rsa and cka) or no stratification.") from error
    return _check_sizes(splits)


def _check_sizes(splits: list[Split]) -> list[Split]:
    """Return ``splits``; raise if a train or test set has fewer than ``_MIN_STIMULI`` stimuli."""
    for number, (train, test) in enumerate(splits):
        if min(len(train), len(test)) < _MIN_STIMULI:
            raise FitError(
                f"split {number} has {len(train)} training and {len(test)} test stimuli, but each side needs at "
                f"least {_MIN_STIMULI} (to fit a regression and to correlate held-out predictions). Use more "
                "stimuli, fewer k-fold splits or a train_size that leaves 2 stimuli on each side.")
    return splits
