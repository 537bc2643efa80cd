"""How saved Scores read on an axis: the metric that made them, its label, range and direction.

Scores record their settings (``metric_settings``, a JSON string holding
``metric`` and ``metric_options``); the metric's registration in
:mod:`chronoscore.neural_fit.metrics` gives the label (``"RSA (Spearman ρ)"``,
``"CKA (0–1)"``, ...), whether lower values are closer and whether its ceiling
is of the squared score. Scores without recorded settings are from the PLS
metric, the only one older versions had.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import xarray as xr

from chronoscore.errors import ChronoscoreError, FileFormatError
from chronoscore.figures.style import CEILED_LABEL
from chronoscore.neural_fit.metrics import get_metric

__all__ = ["ScoreScale", "score_scale", "shared_scale", "metric_name"]

_DEFAULT_METRIC = "pls"
"""The metric of Scores written before settings named one."""


@dataclass(frozen=True)
class ScoreScale:
    """How one metric's scores are drawn.

    Attributes
    ----------
    metric : str
        The metric's registered name.
    label : str
        Axis label of the score: the metric's name and range.
    ceiled_label : str
        Axis label of the ceiled score.
    lower_is_closer : bool
        Whether the best value is the lowest (a distance).
    squared_ceiling : bool
        Whether the ceiling is of the squared score (drawn at its square root beside the score).
    """

    metric: str
    label: str
    ceiled_label: str
    lower_is_closer: bool
    squared_ceiling: bool

    def best(self, values: np.ndarray, axis: int) -> np.ndarray:
        """Index of the best value along ``axis`` (highest, or lowest for a distance), NaN ignored;
        0 where every value is NaN."""
        finite = np.isfinite(values)
        worst = np.inf if self.lower_is_closer else -np.inf
        filled = np.where(finite, values, worst)
        return np.argmin(filled, axis=axis) if self.lower_is_closer else np.argmax(filled, axis=axis)

    def ceiling_as_score(self, ceiling: np.ndarray) -> np.ndarray:
        """The ceiling in the score's units: its square root when it is of the squared score."""
        return np.sqrt(np.clip(ceiling, 0, None)) if self.squared_ceiling else np.asarray(ceiling)


def _settings(scores: xr.Dataset, source: str) -> dict:
    text = scores.attrs.get("metric_settings")
    if text is None:
        return {}
    try:
        settings = json.loads(str(text))
    except json.JSONDecodeError as error:
        raise FileFormatError(f"{source}: the Scores' metric_settings attribute is not JSON ({error}); score the "
                              "model again with chronoscore score.") from error
    if not isinstance(settings, dict):
        raise FileFormatError(f"{source}: the Scores' metric_settings attribute is not a JSON object; score the "
                              "model again with chronoscore score.")
    return settings


def metric_name(scores: xr.Dataset, source: str = "Scores") -> str:
    """The metric that made ``scores`` (``pls`` for Scores that name none)."""
    settings = _settings(scores, source)
    return str(settings.get("metric") or settings.get("regression") or _DEFAULT_METRIC)


def score_scale(scores: xr.Dataset, source: str = "Scores") -> ScoreScale:
    """The :class:`ScoreScale` of the metric (with its recorded options) that made ``scores``.

    Raises
    ------
    FileFormatError
        If the recorded metric is not registered or its options do not fit it.
    """
    name = metric_name(scores, source)
    try:
        metric = get_metric(name)
        options = metric.parse_options(_settings(scores, source).get("metric_options") or {})
    except ChronoscoreError as error:
        raise FileFormatError(f"{source}: the Scores were made by metric {name!r}, which cannot be read here "
                              f"({error}); import the module that registers it, or score the model again.") from None
    label = metric.axis_label(options)
    ceiled = CEILED_LABEL if metric.squared_ceiling else f"{label} ÷ ceiling"
    return ScoreScale(name, label, ceiled, metric.lower_is_closer, metric.squared_ceiling)


def shared_scale(scores: Sequence[xr.Dataset], sources: Sequence[str]) -> ScoreScale:
    """The scale of several Scores drawn on one axis.

    Raises
    ------
    FileFormatError
        If they come from different metrics (which share no axis).
    """
    scales = [score_scale(result, source) for result, source in zip(scores, sources)]
    for scale, source in zip(scales[1:], sources[1:]):
        if scale.label != scales[0].label:
            raise FileFormatError(f"{source}: scored with {scale.label}, but {sources[0]} with {scales[0].label}; "
                                  "draw the scores of one metric together (chronoscore figures groups them by "
                                  "metric).")
    return scales[0]
