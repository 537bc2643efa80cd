"""Cross-validated neural predictivity on arrays: fit on training stimuli, correlate on held-out ones.

This is Brain-Score's ``pls`` metric (regress model features onto each neuroid,
Pearson r per neuroid on held-out stimuli) extended over time. Three ways of
handling time:

``per_bin``
    a separate regression per neural time bin, from the model step that the
    time mapping assigns to that bin;
``shared``
    one regression for all bins, fitted on (stimulus, bin) samples and
    evaluated per bin (Brain-Score's ``spantime_pls``);
``matrix``
    a separate regression for every (model step, neural bin) pair.

The regression comes in as a :data:`HeldOutPredictor`, a function that fits
every (split, bin) problem sharing one design and predicts the held-out
stimuli: the ``pls`` metric solves them together in batches, and
:func:`estimator_predictions` clones and fits any scikit-learn style regressor
per split and bin.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
from sklearn.base import clone

from chronoscore.neural_fit.arrays import Array, as_float64, concat, permute, stack, to_numpy
from chronoscore.neural_fit.correlation import pearson_columns
from chronoscore.neural_fit.splits import Split

__all__ = ["TimeMode", "TIME_MODES", "HeldOutPredictor", "split_correlations", "best_steps",
           "estimator_predictions"]

TimeMode = Literal["per_bin", "shared", "matrix"]
TIME_MODES: tuple[TimeMode, ...] = ("per_bin", "shared", "matrix")

HeldOutPredictor = Callable[[Array, Array, Sequence[Split], Callable[[int], None] | None], list[Array]]
"""``predict(design, blocks, splits, progress)``: a regression's held-out predictions.

``design`` (n, p) is shared by the target ``blocks`` (B, n, q); for each split
(train, test) the regression is fitted on the training rows of the design and
of each block and predicts the test rows. Returns one (B, n_test, q) array per
split; calls ``progress(k)`` after ``k`` (split, block) fits when given.
"""


def split_correlations(
    features: Array,
    responses: Array,
    splits: Sequence[Split],
    predict_held_out: HeldOutPredictor,
    *,
    time: TimeMode = "per_bin",
    steps_for_bins: np.ndarray | None = None,
    progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Held-out Pearson r per split, neuroid and time bin.

    Parameters
    ----------
    features : (T, n, p) array
        Model features per time step for the ``n`` stimuli (T = 1: feedforward).
    responses : (n, q, B) array
        Trial-averaged responses of ``q`` neuroids in ``B`` time bins, stimuli in
        the same order as ``features``.
    splits : sequence of (train, test) index arrays
    predict_held_out : HeldOutPredictor
        The regression (e.g. :func:`estimator_predictions` of a regressor).
    time : {"per_bin", "shared", "matrix"}
    steps_for_bins : (B,) int array
        Model step used for each bin (``per_bin`` and ``shared``); ignored for
        ``matrix``.
    progress : callable, optional
        Called with the number of finished (split × bin) fits.

    Returns
    -------
    (S, q, B) array, or (S, T, q, B) for ``matrix``
    """
    features = as_float64(features)
    responses = as_float64(responses)
    n_steps, n_bins = features.shape[0], responses.shape[2]
    if time == "matrix":
        per_step = [_per_bin(features[t], responses, splits, predict_held_out, progress) for t in range(n_steps)]
        return np.stack(per_step, axis=1)
    steps = np.zeros(n_bins, dtype=int) if steps_for_bins is None else np.asarray(steps_for_bins)
    if time == "shared":
        return _shared(features, responses, splits, predict_held_out, steps, progress)
    out = np.empty((len(splits), responses.shape[1], n_bins))
    for step in np.unique(steps):
        bins = np.flatnonzero(steps == step)
        out[:, :, bins] = _per_bin(features[step], responses[:, :, bins], splits, predict_held_out, progress)
    return out


def best_steps(features: Array, responses: Array, train: np.ndarray, inner_splits: Sequence[Split],
               predict_held_out: HeldOutPredictor) -> np.ndarray:
    """Choose the model step that best predicts each bin, from training stimuli only.

    Parameters
    ----------
    features : (T, n, p) array
    responses : (n, q, B) array
    train : (m,) int array
        Training stimuli of the outer split; nothing outside them is used.
    inner_splits : sequence of (train, test) index arrays into ``train``

    Returns
    -------
    (B,) int array
        The step with the highest median-over-neuroids r, averaged over the inner splits.
    """
    inner = split_correlations(features[:, train], responses[train], inner_splits, predict_held_out,
                               time="matrix")
    with np.errstate(all="ignore"):
        typical = np.nanmean(np.nanmedian(inner, axis=2), axis=0)       # (T, B)
    return np.nanargmax(np.where(np.isnan(typical), -np.inf, typical), axis=0)


def _per_bin(design: Array, responses: Array, splits: Sequence[Split], predict_held_out: HeldOutPredictor,
             progress) -> np.ndarray:
    """r (S, q, B) of separate regressions per bin from one shared design (n, p)."""
    blocks = permute(responses, (2, 0, 1))
    predictions = predict_held_out(design, blocks, splits, progress)
    out = np.empty((len(splits), responses.shape[1], responses.shape[2]))
    for s, (_, test) in enumerate(splits):
        out[s] = to_numpy(pearson_columns(predictions[s], blocks[:, test])).T
    return out


def _shared(features: Array, responses: Array, splits: Sequence[Split], predict_held_out: HeldOutPredictor,
            steps: np.ndarray, progress) -> np.ndarray:
    """r (S, q, B) of one regression fitted on (stimulus, bin) samples, scored per bin."""
    n, q, n_bins = responses.shape
    design = concat([features[steps[b]] for b in range(n_bins)])            # (B·n, p)
    stacked = concat([responses[:, :, b] for b in range(n_bins)])           # (B·n, q)
    offsets = np.arange(n_bins)[:, None] * n
    stacked_splits = [((offsets + train).ravel(), (offsets + test).ravel()) for train, test in splits]
    predictions = predict_held_out(design, stacked[None], stacked_splits, progress)
    out = np.empty((len(splits), q, n_bins))
    for s, (_, test) in enumerate(splits):
        per_bin = predictions[s][0].reshape(n_bins, len(test), q)
        truth = stacked[(offsets + test).ravel()].reshape(n_bins, len(test), q)
        out[s] = to_numpy(pearson_columns(per_bin, truth)).T
    return out


def estimator_predictions(estimator) -> HeldOutPredictor:
    """Held-out predictions of any scikit-learn style regressor, cloned and fitted per split and block.

    Parameters
    ----------
    estimator : unfitted regressor with ``fit(X, Y)`` and ``predict(X)``

    Returns
    -------
    HeldOutPredictor
    """

    def predict(design: Array, blocks: Array, splits: Sequence[Split], progress: Callable[[int], None] | None
                ) -> list[Array]:
        out = []
        for train, test in splits:
            per_block = []
            for block in blocks:
                model = clone(estimator).fit(design[train], block[train])
                per_block.append(as_float64(model.predict(design[test])))
                if progress:
                    progress(1)
            out.append(stack(per_block))
        return out

    return predict
