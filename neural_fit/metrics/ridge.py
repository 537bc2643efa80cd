"""``ridge``: ridge regression with one penalty per region and time bin, Pearson r on held-out stimuli."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import xarray as xr

from chronoscore.neural_fit.metrics._registry import register_metric
from chronoscore.neural_fit.predictivity import TimeMode, estimator_predictions
from chronoscore.neural_fit.ridge import Ridge
from chronoscore.neural_fit.scoring import Features, cross_validated_scores
from chronoscore.neural_fit.settings import FitSettings

__all__ = ["RidgeOptions", "ridge"]


@dataclass(frozen=True)
class RidgeOptions:
    """Options of the ``ridge`` metric.

    Parameters
    ----------
    alpha : float
        The penalty (checked by :class:`~chronoscore.neural_fit.Ridge`).
    """

    alpha: float = 1.0


@register_metric("ridge", options=RidgeOptions, label="ridge held-out r (median over sites)", squared_ceiling=True)
def ridge(features: Features, neural: xr.DataArray, settings: FitSettings, options: RidgeOptions,
          **run: Any) -> dict[TimeMode, xr.Dataset]:
    """Ridge regression of one penalty per region and time bin, Pearson r on held-out stimuli."""
    return cross_validated_scores(features, neural, settings, estimator_predictions(Ridge(alpha=options.alpha)),
                                  **run)
