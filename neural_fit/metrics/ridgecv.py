"""``ridgecv``: ridge regression whose penalty each fit chooses by leave-one-out on its training stimuli."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import xarray as xr

from chronoscore.neural_fit.metrics._registry import register_metric
from chronoscore.neural_fit.predictivity import TimeMode, estimator_predictions
from chronoscore.neural_fit.ridge import RidgeCV
from chronoscore.neural_fit.scoring import Features, cross_validated_scores
from chronoscore.neural_fit.settings import FitSettings

__all__ = ["RidgeCVOptions", "ridgecv"]


@dataclass(frozen=True)
class RidgeCVOptions:
    """Options of the ``ridgecv`` metric.

    Parameters
    ----------
    alphas : tuple of float
        Penalty grid, chosen by efficient leave-one-out on each split's training stimuli.
    """

    alphas: tuple[float, ...] = (0.01, 0.1, 1.0, 10.0, 100.0, 1e3, 1e4, 1e5, 1e6, 1e7)


@register_metric("ridgecv", options=RidgeCVOptions, label="ridge (CV penalty) held-out r (median over sites)",
                 squared_ceiling=True)
def ridgecv(features: Features, neural: xr.DataArray, settings: FitSettings, options: RidgeCVOptions,
            **run: Any) -> dict[TimeMode, xr.Dataset]:
    """Ridge regression with the penalty chosen per fit by leave-one-out, Pearson r on held-out stimuli."""
    return cross_validated_scores(features, neural, settings, estimator_predictions(RidgeCV(alphas=options.alphas)),
                                  **run)
