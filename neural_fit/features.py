"""Model features (Activations) checked and arranged for regression.

Activations are an ``xarray.DataArray`` with dims (``presentation``, ``neuroid``)
or (``presentation``, ``neuroid``, ``time_step``) and a ``stimulus_id`` coord on
``presentation`` (see DESIGN: Activations).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import xarray as xr

from chronoscore.errors import DataFormatError, StimulusMismatchError

__all__ = ["feature_steps", "step_times"]

_LISTED = 5


def feature_steps(features: xr.DataArray, stimulus_order: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Return features per time step, rows in the neural data's stimulus order.

    Parameters
    ----------
    features : xarray.DataArray
        (presentation, neuroid) or (presentation, neuroid, time_step) in any dim
        order, with ``stimulus_id`` on ``presentation``. Extra stimuli are ignored.
    stimulus_order : (n,) sequence of str
        The stimuli of the neural data, in its order.

    Returns
    -------
    values : (T, n, p) float64 array
    time_step : (T,) int array
        The ``time_step`` coordinate (``[0]`` for features without time).
    """
    _check_layout(features)
    if "time_step" not in features.dims:
        features = features.expand_dims(time_step=[0], axis=2)
    features = _own_steps(features)
    ids = np.asarray(features["stimulus_id"].values).astype(str)
    unique, counts = np.unique(ids, return_counts=True)
    if (counts > 1).any():
        repeated = unique[counts > 1][:_LISTED].tolist()
        raise DataFormatError(
            f"the features hold {int((counts > 1).sum())} stimulus_id values more than once (e.g. {repeated}); "
            "average repeated presentations or give each stimulus one row.")
    position = {stimulus: index for index, stimulus in enumerate(ids)}
    wanted = np.asarray(stimulus_order).astype(str)
    missing = [str(s) for s in wanted if s not in position]
    if missing:
        raise StimulusMismatchError(
            f"{len(missing)} of the {len(wanted)} stimuli of the neural data have no model features "
            f"(e.g. {missing[:_LISTED]}); extract features for the neural data's stimulus set.")
    rows = np.array([position[s] for s in wanted])
    values = features.transpose("time_step", "presentation", "neuroid").values[:, rows]
    if not np.isfinite(values).all():
        bad = int((~np.isfinite(values)).sum())
        raise DataFormatError(
            f"the features contain {bad} NaN or infinite values; check the model's activations "
            "(e.g. a diverging recurrent state) before fitting.")
    steps = features["time_step"].values if "time_step" in features.coords else np.arange(values.shape[0])
    return values.astype(np.float64, copy=False), np.asarray(steps)


def step_times(features: xr.DataArray, n_steps: int) -> np.ndarray | None:
    """The ``time_ms`` of the first ``n_steps`` time steps (the model's clock), or None if the features lack it.

    Parameters
    ----------
    features : xarray.DataArray
        Activations; extraction records ``time_ms`` (step × the model's
        ``step_ms``) on ``time_step``.
    n_steps : int
        Steps fitted (see :func:`feature_steps`).

    Returns
    -------
    (n_steps,) float array or None
    """
    if "time_ms" not in features.coords or features["time_ms"].dims != ("time_step",):
        return None
    times = np.asarray(features["time_ms"].values, dtype=float)[:n_steps]
    if not np.isfinite(times).all():
        raise DataFormatError(f"the features' time_ms coordinate holds non-finite values ({times.tolist()}); "
                              "give every time step its time in ms after the first step.")
    return times


def _own_steps(features: xr.DataArray) -> xr.DataArray:
    """The steps every neuroid has: areas recorded for fewer steps than others carry NaN after their last.

    Extraction records each area's number of steps in the ``layer_steps``
    coordinate; features mixing areas with different numbers keep the steps
    they all have (with a warning that says how to use all of them).
    """
    if "layer_steps" not in features.coords or features["layer_steps"].dims != ("neuroid",):
        return features
    counts = np.unique(features["layer_steps"].values.astype(int))
    if len(counts) > 1:
        warnings.warn(f"the features mix areas recorded for {counts.tolist()} steps; only the first {counts[0]} "
                      "steps, which every area has, are fitted. Give each region the features of one area "
                      "to use all of its steps.", stacklevel=3)
    return features.isel(time_step=slice(0, int(counts[0])))


def _check_layout(features: xr.DataArray) -> None:
    if not isinstance(features, xr.DataArray):
        raise DataFormatError(f"features must be an xarray.DataArray, got {type(features).__name__}.")
    dims = set(features.dims)
    if dims not in ({"presentation", "neuroid"}, {"presentation", "neuroid", "time_step"}):
        raise DataFormatError(
            f"features must have dims (presentation, neuroid[, time_step]) but have {features.dims}; "
            "rename the dims (e.g. .rename(stimulus='presentation')).")
    if "stimulus_id" not in features.coords or features["stimulus_id"].dims != ("presentation",):
        raise DataFormatError("features need a stimulus_id coordinate on the presentation dim.")
    if 0 in features.shape:
        raise DataFormatError(f"the features are empty (sizes {dict(features.sizes)}).")
    if features.dtype.kind not in "biuf":
        raise DataFormatError(f"features must be numeric, but their dtype is {features.dtype}.")
