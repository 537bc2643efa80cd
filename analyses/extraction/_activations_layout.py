"""Where each area's features and steps go in the Activations array, and its coordinates.

Activations (see DESIGN) are one ``xarray.DataArray`` (presentation, neuroid,
time_step). Areas are laid side by side along ``neuroid`` in the order requested.

Areas with different numbers of steps
-------------------------------------
A wrapped outside model can record its areas a different number of times in one
pass (CORnet-S calls V2 twice and V4 four times). The array then has as many
time steps as the area with the most, and an area with fewer steps holds its
steps at the start, ``time_step = 0 .. T_area - 1``, and NaN after. The neuroid
coordinate ``layer_steps`` records each area's T_area, so
``activations.sel(neuroid=activations.layer == "V2").isel(time_step=slice(0, T_area))``
is the area's own data. Models with one T for every area (all zoo models) have
no NaN.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
import xarray as xr

from chronoscore.errors import ConfigError, DataFormatError
from chronoscore.stimuli.stimulus_set import StimulusSet

__all__ = ["ActivationsLayout", "presentation_coords"]

_RESERVED = ("presentation", "neuroid", "time_step", "neuroid_id", "layer", "layer_steps", "time_ms")
_DROPPED_COLUMNS = ("filename",)


class ActivationsLayout:
    """Feature and step counts of each area, fixed by the first batch and checked on every other.

    Parameters
    ----------
    activity : dict of str to Tensor (T, B, ...)
        The first batch's (projected) activity, areas in output order: (T, B, F),
        or unflattened (T, B, C, H, W), whose C·H·W features are laid out in
        ``reshape(B, -1)`` order (channel, row, column).
    """

    def __init__(self, activity: dict[str, torch.Tensor]) -> None:
        self.areas = list(activity)
        self.shapes = {area: (int(values.shape[0]), _features(values)) for area, values in activity.items()}
        self.slices, start = {}, 0
        for area, (_, n_features) in self.shapes.items():
            self.slices[area] = slice(start, start + n_features)
            start += n_features
        self.n_neuroids = start
        self.n_steps = max(steps for steps, _ in self.shapes.values())

    def store(self, values: np.ndarray, rows: slice, activity: dict[str, torch.Tensor]) -> None:
        """Copy one batch, {area: (T, B, ...)}, into ``values`` (N, neuroid, time_step) at ``rows``.

        Each area is copied in one pass from any memory format and device, converted
        to the dtype of ``values`` on the way (as numpy's ``astype`` rounds).
        """
        target = torch.from_numpy(values)
        for area, batch in activity.items():
            expected = self.shapes[area]
            if (batch.shape[0], _features(batch)) != expected:
                raise ConfigError(f"area {area!r} gave {batch.shape[0]} steps of {_features(batch)} features in "
                                  f"one batch but {expected[0]} steps of {expected[1]} in the first; a model must "
                                  "give every image the same shape (same image size, same n_steps).")
            steps = expected[0]
            place = target[rows, self.slices[area], :steps]
            place.view(place.shape[0], *batch.shape[2:], steps).copy_(batch.movedim(0, -1))
            if steps < self.n_steps:
                values[rows, self.slices[area], steps:] = np.nan

    def neuroid_coords(self) -> dict[str, tuple[str, np.ndarray]]:
        """``neuroid_id`` (``"<area>.<index>"``), ``layer`` and ``layer_steps`` for every neuroid."""
        ids, layers, steps = [], [], []
        for area in self.areas:
            n_steps, n_features = self.shapes[area]
            ids.extend(f"{area}.{index}" for index in range(n_features))
            layers.extend([area] * n_features)
            steps.extend([n_steps] * n_features)
        return {"neuroid_id": ("neuroid", np.asarray(ids, dtype=str)),
                "layer": ("neuroid", np.asarray(layers, dtype=str)),
                "layer_steps": ("neuroid", np.asarray(steps, dtype=np.int64))}

    def to_dataarray(self, values: np.ndarray, stimulus_set: StimulusSet, step_ms: float,
                     attrs: dict) -> xr.DataArray:
        """Wrap ``values`` (N, neuroid, time_step) without copying it, with every coordinate and ``attrs``.

        ``values`` may be a read-only broadcast placeholder (a template for values written elsewhere).
        """
        steps = np.arange(self.n_steps, dtype=np.int64)
        coords = {**presentation_coords(stimulus_set), **self.neuroid_coords(),
                  "time_step": ("time_step", steps), "time_ms": ("time_step", steps * float(step_ms))}
        return xr.DataArray(values, dims=("presentation", "neuroid", "time_step"), coords=coords, attrs=attrs)


def _features(activity: torch.Tensor) -> int:
    """Features per image and step of an area's activity (T, B, ...): the product of the trailing sizes."""
    return int(np.prod(activity.shape[2:], dtype=np.int64))


def presentation_coords(stimulus_set: StimulusSet) -> dict[str, tuple[str, np.ndarray]]:
    """``stimulus_id`` and every metadata column (but ``filename``) as presentation coordinates.

    Numeric and boolean columns keep their dtype; any other column becomes text.

    Raises
    ------
    DataFormatError
        If a column is named like a dim or another coordinate of the Activations.
    """
    table = stimulus_set.table.drop(columns=list(_DROPPED_COLUMNS), errors="ignore")
    clashing = [str(name) for name in table.columns if name in _RESERVED]
    if clashing:
        raise DataFormatError(f"stimulus set {stimulus_set.identifier!r} has metadata columns {clashing} named like "
                              f"coordinates of the activations {list(_RESERVED)}; rename them.")
    coords = {"stimulus_id": ("presentation", np.asarray(stimulus_set.stimulus_ids, dtype=str))}
    for name in table.columns:
        if name != "stimulus_id":
            coords[str(name)] = ("presentation", _column_values(table[name]))
    return coords


def _column_values(column: pd.Series) -> np.ndarray:
    """A metadata column as a numpy array: numbers and booleans as they are, anything else as text."""
    values = column.to_numpy()
    if values.dtype.kind in "biuf":
        return values
    return np.asarray([str(value) for value in values], dtype=str)

