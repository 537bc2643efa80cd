"""Which model area stands for which brain region.

Either a given mapping (such as the ConvRNN papers' layer-to-area assignment,
read from area names like ``V4_conv6`` or ``aIT_conv10``), or the area that
predicts the region best on a *selection* subset of stimuli that is never used
for the reported scores (Brain-Score commits layers on data separate from the
data it scores on).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import xarray as xr

from chronoscore.errors import ConfigError
from chronoscore.neural_fit.assembly import average_repetitions
from chronoscore.neural_fit.scoring import neural_predictivity
from chronoscore.neural_fit.settings import FitSettings
from chronoscore.neural_fit.splits import shuffle_splits

__all__ = ["areas_named_after_regions", "selection_split", "select_areas"]


def areas_named_after_regions(areas: Sequence[str], regions: Sequence[str]) -> dict[str, str]:
    """The model's own assignment: for each region, the last area named ``<prefix><region>_...``.

    ``V4_conv6`` and an area called just ``V4`` belong to V4; ``pIT_conv8``,
    ``cIT_conv9`` and ``aIT_conv10`` belong to IT (the last, ``aIT_conv10``, is chosen). Regions the names do not
    cover are missing from the result.
    """
    mapping = {}
    for region in regions:
        named = [area for area in areas if area == region
                 or "_" in area and area.split("_", 1)[0].endswith(region)]
        if named:
            mapping[region] = named[-1]
    return mapping


def selection_split(neural: xr.DataArray, fraction: float = 0.2, seed: int = 1,
                    stratify: str | None = "object_name") -> tuple[np.ndarray, np.ndarray]:
    """Stimulus ids reserved for area selection, and those left for scoring.

    A stratified shuffle split (by ``stratify`` when the data has it) of the
    neural data's stimuli: ``fraction`` of them select, the rest score.
    """
    if not 0 < fraction < 1:
        raise ConfigError(f"the selection fraction must lie between 0 and 1, got {fraction}.")
    averaged = average_repetitions(neural)
    stimuli = averaged["stimulus_id"].values
    labels = averaged[stratify].values if stratify and stratify in averaged.coords else None
    [(scoring, selecting)] = shuffle_splits(stimuli, labels, n_splits=1, train_size=1 - fraction,
                                            random_state=seed)
    return stimuli[selecting], stimuli[scoring]


def select_areas(activations: xr.DataArray, neural: xr.DataArray, selection_stimuli: Sequence[str],
                 settings: FitSettings, *, n_splits: int = 3) -> tuple[dict[str, str], xr.DataArray]:
    """For each region, the area with the highest mean predictivity over time bins on the selection stimuli.

    Parameters
    ----------
    activations : xarray.DataArray
        Activations (presentation, neuroid, time_step) with a ``layer`` coordinate.
    neural : xarray.DataArray
        Neural assembly with ``region`` on neuroids.
    selection_stimuli : sequence of str
        The only stimuli used here.
    settings : FitSettings
        The scoring settings; selection uses them with ``n_splits`` unstratified
        shuffle splits (the selection subset is small).

    Returns
    -------
    mapping : dict of region to area
    table : xarray.DataArray, (area, region)
        Mean predictivity of every candidate area for every region.
    """
    chosen = set(map(str, selection_stimuli))
    neural_part = neural.isel(presentation=np.isin(neural["stimulus_id"].values.astype(str), list(chosen)))
    model_part = activations.isel(
        presentation=np.isin(activations["stimulus_id"].values.astype(str), list(chosen)))
    areas = list(dict.fromkeys(map(str, activations["layer"].values)))
    settings = dataclasses.replace(settings, n_splits=n_splits, time="per_bin", splits="shuffle", stratify=None)
    table = []
    for area in areas:
        features = model_part.isel(neuroid=model_part["layer"].values == area)
        scores = neural_predictivity(features, neural_part, settings, progress=False)
        table.append(scores["score"].mean("time_bin"))
    table = xr.concat(table, dim="area").assign_coords(area=areas)
    mapping = {str(region): str(table["area"].values[int(table.sel(region=region).argmax("area"))])
               for region in table["region"].values}
    return mapping, table
