"""Whether scored models can be compared, and each one's r per neuroid on common terms.

Models are comparable when they were scored on the same neural data (equal
``data_hash``) with the same metric settings, apart from the ones that say how
a model's steps meet the time bins (``time``, ``mapping``, ``inner_splits``,
``device``: a feedforward model has one step, a recurrent one many), and their
Scores hold the same neuroids (``neuroid_id``, each in the same region) and
time bins. Equal data and settings mean equal cross-validation splits, so each
neuroid's r of two models comes from the same held-out stimuli: the pairs the
paired statistics need.

A neuroid's r in a time bin is the mean over splits of its held-out r. In the
``matrix`` time mode the Scores hold r for every (model step, time bin) pair;
the comparison takes, for each bin, the step the recorded time mapping assigns
to it (the "diagonal"), which is what a ``per_bin`` fit with the same mapping
scores. It does not take the best step per bin: choosing the best of T steps
by the same held-out r would favour the model with more steps (a recurrent
model over its feedforward control) by selection alone.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence

import numpy as np

from chronoscore.analyses.scored_model import ScoredModel
from chronoscore.errors import DataFormatError
from chronoscore.neural_fit.settings import FitSettings
from chronoscore.neural_fit.time_mapping import TimeMapping

__all__ = ["check_comparable", "neuroid_r", "aligned_neuroid_r", "metric_settings", "STEP_SETTINGS"]

STEP_SETTINGS = ("time", "mapping", "inner_splits", "device")
"""Metric settings that may differ between compared models (how steps meet bins)."""


def metric_settings(model: ScoredModel) -> dict:
    """The model's metric settings (the Scores' ``metric_settings`` JSON) as a dict."""
    text = model.scores.attrs.get("metric_settings")
    try:
        settings = json.loads(text) if isinstance(text, str) else None
    except json.JSONDecodeError:
        settings = None
    if not isinstance(settings, dict):
        raise DataFormatError(f"{model.source} ({model.name}): the scores carry no readable 'metric_settings' "
                              "attribute; compare Scores made by chronoscore.neural_fit.neural_predictivity.")
    with warnings.catch_warnings():  # Scores written before metrics had names spell them the old way
        warnings.simplefilter("ignore", DeprecationWarning)
        return FitSettings.upgrade_config(settings)


def check_comparable(models: Sequence[ScoredModel]) -> None:
    """Raise :class:`DataFormatError` unless all ``models`` were scored on the same data and terms."""
    _check_same_data(models)
    _check_same_settings(models)
    _check_same_neuroids(models)
    _check_same_bins(models)


def neuroid_r(model: ScoredModel) -> tuple[np.ndarray, np.ndarray | None]:
    """Split-averaged held-out r per neuroid and time bin.

    Returns
    -------
    r : numpy.ndarray
        (neuroid, time_bin), in the Scores' neuroid order; NaN where every split is NaN.
    steps : numpy.ndarray or None
        (time_bin,) the step taken for each bin in the ``matrix`` mode; None otherwise.
    """
    r = model.scores["r"]
    steps = None
    if "time_step" in r.dims:
        mapping = dict(metric_settings(model)["mapping"])
        if mapping.get("table") is not None:
            mapping["table"] = tuple(mapping["table"])
        scores = model.scores
        times = scores["time_ms"].values if "time_ms" in scores.coords else None
        steps = TimeMapping(**mapping).resolve(times).steps_for_bins(
            scores["time_bin_start"].values, scores["time_bin_end"].values, scores.sizes["time_step"])
        values = r.transpose("split", "time_step", "neuroid", "time_bin").values
        per_split = values[:, steps, :, np.arange(len(steps))]        # (B, S, q): advanced indices lead
        per_split = np.moveaxis(per_split, 0, -1)                     # (S, q, B)
    else:
        per_split = r.transpose("split", "neuroid", "time_bin").values
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(per_split, axis=0), steps


def aligned_neuroid_r(models: Sequence[ScoredModel], neuroid_ids: np.ndarray) -> tuple[np.ndarray, list]:
    """Every model's :func:`neuroid_r` (M, q, B) with neuroids in the order of ``neuroid_ids``,
    and each model's matrix-mode steps (None for other modes)."""
    values, steps = [], []
    for model in models:
        r, chosen = neuroid_r(model)
        position = {neuroid: i for i, neuroid in enumerate(model.scores["neuroid_id"].values)}
        values.append(r[[position[neuroid] for neuroid in neuroid_ids]])
        steps.append(chosen)
    return np.stack(values), steps


def _check_same_data(models: Sequence[ScoredModel]) -> None:
    hashes = [model.scores.attrs.get("data_hash") for model in models]
    missing = [model.name for model, value in zip(models, hashes) if not value]
    if missing:
        raise DataFormatError(f"the scores of {', '.join(missing)} carry no 'data_hash' attribute, so it is unknown "
                              "which neural data they were scored on; compare Scores made by neural_predictivity.")
    if len(set(hashes)) > 1:
        listed = "; ".join(f"{model.name}: {model.scores.attrs.get('data', '?')} (hash {value})"
                           for model, value in zip(models, hashes))
        raise DataFormatError(f"the models were scored on different neural data ({listed}); paired comparisons need "
                              "the same neuroids and stimuli: score every model on the same benchmark.")


def _check_same_settings(models: Sequence[ScoredModel]) -> None:
    first = metric_settings(models[0])
    for model in models[1:]:
        settings = metric_settings(model)
        differing = sorted(key for key in set(first) | set(settings)
                           if key not in STEP_SETTINGS and first.get(key) != settings.get(key))
        if differing:
            shown = ", ".join(f"{key} {first.get(key)!r} vs {settings.get(key)!r}" for key in differing)
            raise DataFormatError(
                f"{models[0].name} and {model.name} were scored with different metric settings ({shown}); only the "
                f"time settings ({', '.join(STEP_SETTINGS)}) may differ. Score both with the same settings.")


def _check_same_neuroids(models: Sequence[ScoredModel]) -> None:
    first = _region_of_neuroid(models[0])
    for model in models[1:]:
        regions = _region_of_neuroid(model)
        if set(regions) != set(first):
            only = sorted(set(regions) ^ set(first))[:5]
            raise DataFormatError(f"{models[0].name} and {model.name} hold different neuroids (e.g. {only}); "
                                  "score both on the same neural assembly.")
        moved = [neuroid for neuroid in first if regions[neuroid] != first[neuroid]]
        if moved:
            raise DataFormatError(f"neuroid(s) {moved[:5]} lie in different regions in {models[0].name} and "
                                  f"{model.name}; score both on the same neural assembly.")


def _region_of_neuroid(model: ScoredModel) -> dict:
    scores = model.scores
    for name in ("neuroid_id", "neuroid_region"):
        if name not in scores.coords:
            raise DataFormatError(f"{model.source} ({model.name}): the scores have no '{name}' coordinate on "
                                  "neuroid; compare Scores made by neural_predictivity.")
    ids = scores["neuroid_id"].values
    if len(set(ids.tolist())) != len(ids):
        raise DataFormatError(f"{model.source} ({model.name}): neuroid_id values repeat; each neuroid needs its "
                              "own id to be paired across models.")
    return dict(zip(ids.tolist(), scores["neuroid_region"].values.tolist()))


def _check_same_bins(models: Sequence[ScoredModel]) -> None:
    def edges(model: ScoredModel) -> np.ndarray:
        return np.stack([model.scores["time_bin_start"].values, model.scores["time_bin_end"].values])

    first = edges(models[0])
    for model in models[1:]:
        bins = edges(model)
        if bins.shape != first.shape or not np.allclose(bins, first):
            raise DataFormatError(f"{models[0].name} and {model.name} were scored on different time bins; score "
                                  "both on the same neural assembly and bins.")
