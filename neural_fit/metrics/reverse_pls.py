"""``reverse_pls``: reverse predictivity — PLS from the neurons to the model's units (Brain-Score's ``reverse_pls_cv``).

For each region and time bin, PLS regression (``n_components``, no scaling) is
fitted from the bin's neural responses to the features of the model step
mapped to it on the training stimuli; the held-out r of every model unit is
taken and the region's value for a split is their median (NaN units, constant
on the held-out stimuli, left out), averaged over Brain-Score's splits (10
stratified shuffle splits, 90 % training stimuli, seed 1). Every split is
solved together by :func:`~chronoscore.neural_fit.metrics.pls.pls_predictions`.

Only the ``per_bin`` and ``matrix`` time modes are defined, with a fixed
mapping; no noise ceiling is reported (the neural side is the predictor).
"""

from __future__ import annotations

import numpy as np

from chronoscore.errors import ConfigError, FitError
from chronoscore.neural_fit.correlation import pearson_columns
from chronoscore.neural_fit.metrics._registry import register_metric
from chronoscore.neural_fit.metrics.pls import PLSOptions, pls_predictions
from chronoscore.neural_fit.predictivity import TimeMode
from chronoscore.neural_fit.representational import representational_scores
from chronoscore.neural_fit.scoring import _nanmedian
from chronoscore.neural_fit.splits import Split

__all__ = ["ReversePredictivity", "reverse_pls"]


class ReversePredictivity:
    """Scores regions by regressing model features on neural responses (see
    :class:`chronoscore.neural_fit.representational.RegionEvaluator`)."""

    min_stimuli = 2
    similarity = None

    def __init__(self, n_components: int) -> None:
        self.n_components = n_components

    def region(self, design: np.ndarray, responses: np.ndarray, name: str) -> _ReverseRegion:
        """The scorer of one region: model design (T', n, p), neural responses (n, q, B)."""
        return _ReverseRegion(self.n_components, design, responses)


class _ReverseRegion:
    def __init__(self, n_components: int, design: np.ndarray, responses: np.ndarray) -> None:
        self.n_components, self.design, self.responses = n_components, design, responses
        self.predict_held_out = pls_predictions(n_components)

    def values(self, mode: TimeMode, steps: np.ndarray, splits: list[Split], n_time_steps: int) -> np.ndarray:
        """(S, B) or (S, T, B): per split, the median over model units of their held-out r."""
        if mode == "shared":
            raise ConfigError("reverse_pls is defined per_bin and matrix; the shared time mode (one regression for "
                              "all bins) is not, so choose --time per_bin or matrix.")
        n_bins, n_neuroids = self.responses.shape[2], self.responses.shape[1]
        if self.n_components > n_neuroids:
            raise FitError(f"reverse_pls regresses from the region's {n_neuroids} neuroids, fewer than its "
                           f"{self.n_components} PLS components; set metric_options.n_components={n_neuroids} or "
                           "less, or score a region with more neuroids.")
        values = np.full((len(splits), n_time_steps, n_bins), np.nan)
        for b in range(n_bins):
            targets = self.design if mode == "matrix" else self.design[steps[0, b]][None]
            predictions = self.predict_held_out(self.responses[:, :, b], targets, splits, None)
            for s, (_, test) in enumerate(splits):
                r = pearson_columns(predictions[s], targets[:, test], warn=False)        # (T' or 1, p)
                values[s, :len(targets), b] = _nanmedian(np.asarray(r), axis=-1)
        return values if mode == "matrix" else values[:, 0]

    def best_steps(self, splits: list[Split]) -> np.ndarray:
        raise ConfigError("reverse_pls takes a fixed time mapping; the 'best' mapping is not defined for it, so "
                          "choose --mapping nearest, table or another fixed mapping.")


@register_metric("reverse_pls", options=PLSOptions, label="reverse PLS held-out r (median over model units)")
def reverse_pls(features, neural, settings, options: PLSOptions, **run) -> dict:
    """PLS from neurons to model units per region and time bin, median held-out r over units (Brain-Score's)."""
    return representational_scores(features, neural, settings, ReversePredictivity(
        options.n_components), test_size=None, cross_validate=True, **run)
