"""Neural predictivity of model features, per region and time bin, with noise ceilings.

:func:`neural_predictivity` is what a user calls: it runs the metric the
settings name (:mod:`chronoscore.neural_fit.metrics`) in the settings' time
mode; :func:`score_time_modes` runs it in several time modes at once. The
regression metrics share :func:`cross_validated_scores`: it validates the
inputs, averages trials, draws Brain-Score's splits, fits one regression family
per brain region (as Brain-Score's per-region benchmarks do), correlates
held-out predictions per neuroid and packages everything as a Scores dataset:

``r``
    held-out Pearson r per split, neuroid and time bin (plus ``time_step`` for
    the matrix mode) — the raw values;
``score``, ``error``
    per region (and bin/step): the mean over splits of the median over the
    region's neuroids, and its standard error over splits (Brain-Score's
    aggregation);
``step_for_bin``
    the model step fitted to each bin, per region and split (``per_bin`` and
    ``shared``; it varies by split only for the ``best`` mapping);
``ceiling``, ``ceiling_neuroid``, ``ceiled_score``, ``ceiling_below_floor``
    when raw trials are given: split-half ceilings and the ceiling-normalised
    score, NaN where the ceiling is below the settings' ``ceiling_floor`` (too
    unreliable to normalise by; ``ceiling_below_floor`` marks those bins and the
    ``ceiling_floor`` attribute holds the floor).

The neuroids' ``region`` coordinate is stored as ``neuroid_region`` because
``region`` is the dimension of the per-region scores.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import xarray as xr
from tqdm.auto import tqdm

from chronoscore.errors import ConfigError, DataFormatError
from chronoscore.neural_fit.assembly import average_repetitions, validate_assembly
from chronoscore.neural_fit.ceiling import ceiling_normalised, split_half_consistency, trials_by_repetition
from chronoscore.neural_fit.arrays import Array
from chronoscore.neural_fit.features import feature_steps, step_times
from chronoscore.neural_fit.metrics import get_metric
from chronoscore.neural_fit.predictivity import HeldOutPredictor, TimeMode, best_steps, split_correlations
from chronoscore.neural_fit.provenance import provenance_attrs
from chronoscore.neural_fit.settings import FitSettings
from chronoscore.neural_fit.splits import Split, given_splits, kfold_splits, shuffle_splits
from chronoscore.neural_fit.time_mapping import TimeMapping

__all__ = ["neural_predictivity", "score_time_modes", "cross_validated_scores", "noise_ceiling", "CeilingWarning",
           "Features"]

Features = xr.DataArray | Mapping[str, xr.DataArray]
"""Model activations: one set for every region, or one per region."""


class CeilingWarning(UserWarning):
    """A ceiling-normalised score exceeds 1 (reported as it is, never clipped)."""


def neural_predictivity(features: xr.DataArray | Mapping[str, xr.DataArray], neural: xr.DataArray,
                        settings: FitSettings | None = None,
                        *, splits: Sequence[tuple[Sequence[str], Sequence[str]]] | None = None,
                        progress: bool = True) -> xr.Dataset:
    """Score model features against a neural assembly with the settings' metric and time mode.

    Parameters
    ----------
    features : xarray.DataArray or mapping of region name to xarray.DataArray
        Activations (presentation, neuroid[, time_step]) with ``stimulus_id``:
        one set for every region, or one per region (e.g. the model area
        assigned to V4 and the one assigned to IT).
    neural : xarray.DataArray
        Neural assembly (presentation, neuroid, time_bin); raw trials (with a
        ``repetition`` coord) are averaged for the fit and also give ceilings.
    settings : FitSettings, optional
        Brain-Score's pls metric by default.
    splits : sequence of (train stimulus ids, test stimulus ids), optional
        Cross-validation splits chosen by the user, replacing the ones the
        settings describe.
    progress : bool
        Show a progress bar over the fits.

    Returns
    -------
    xarray.Dataset
        Scores (see the module docstring), with provenance attributes.
    """
    settings = settings or FitSettings()
    return score_time_modes(features, neural, settings, (settings.time,), splits=splits,
                            progress=progress)[settings.time]


def score_time_modes(features: xr.DataArray | Mapping[str, xr.DataArray], neural: xr.DataArray,
                     settings: FitSettings | None = None, time_modes: Sequence[TimeMode] | None = None,
                     *, splits: Sequence[tuple[Sequence[str], Sequence[str]]] | None = None,
                     progress: bool = True) -> dict[TimeMode, xr.Dataset]:
    """Score with the settings' metric in several time modes at once.

    The inputs are checked, and trials averaged, splits drawn and ceilings
    computed, once for all modes; each mode's Scores equal
    :func:`neural_predictivity` with ``settings.time`` set to that mode.

    Parameters
    ----------
    features, neural, splits, progress
        As :func:`neural_predictivity`.
    settings : FitSettings, optional
        Brain-Score's pls metric by default; its ``time`` is replaced by each mode.
    time_modes : sequence of {"per_bin", "shared", "matrix"}, optional
        Default: ``(settings.time,)``.

    Returns
    -------
    dict of time mode to xarray.Dataset
        In the order of ``time_modes``.
    """
    settings = settings or FitSettings()
    modes = tuple(dict.fromkeys(time_modes or (settings.time,)))
    for mode in modes:  # every mode's settings are checked before any work
        dataclasses.replace(settings, time=mode)
    metric = get_metric(settings.metric)
    return metric.score(features, neural, settings, settings.options(), time_modes=modes, splits=splits,
                        progress=progress)


def cross_validated_scores(features: xr.DataArray | Mapping[str, xr.DataArray], neural: xr.DataArray,
                           settings: FitSettings, predict_held_out: HeldOutPredictor, *,
                           time_modes: Sequence[TimeMode], splits: Sequence[tuple[Sequence[str], Sequence[str]]]
                           | None = None, progress: bool = True) -> dict[TimeMode, xr.Dataset]:
    """Scores of a regression fitted per region on training stimuli and correlated on held-out ones.

    The shared body of the regression metrics (``pls``, ``ridge``, ``ridgecv``):
    trials are averaged, ceilings computed, features checked, splits drawn and
    each region's time mapping resolved once; then each time mode is fitted.

    Parameters
    ----------
    features, neural, splits, progress
        As :func:`neural_predictivity`.
    settings : FitSettings
    predict_held_out : HeldOutPredictor
        The metric's regression (see :mod:`chronoscore.neural_fit.predictivity`).
    time_modes : sequence of {"per_bin", "shared", "matrix"}

    Returns
    -------
    dict of time mode to xarray.Dataset
    """
    mode_settings = {mode: dataclasses.replace(settings, time=mode) for mode in time_modes}
    averaged = average_repetitions(neural)
    ceiling = None
    if "repetition" in neural.coords:  # raw trials: the ceiling's checks also run before any fit
        ceiling = noise_ceiling(neural, n_splits=settings.ceiling_splits, random_state=settings.random_state)
    stimuli = averaged["stimulus_id"].values
    regions = _regions(averaged)
    per_region_features = _features_per_region(features, regions)
    designs = {region: feature_steps(per_region_features[region], stimuli) for region in regions}
    mappings = {region: settings.mapping_for(region).resolve(
        step_times(per_region_features[region], len(designs[region][1]))) for region in regions}
    longest = max(regions, key=lambda region: len(designs[region][1]))  # regions may have fewer steps
    time_step = designs[longest][1]
    times = step_times(per_region_features[longest], len(time_step))
    splits = _splits(averaged, settings) if splits is None else given_splits(stimuli, splits)
    responses = averaged.transpose("presentation", "neuroid", "time_bin").values
    n_fits = sum(len(regions) * len(splits) * responses.shape[2] * (len(time_step) if mode == "matrix" else 1)
                 for mode in time_modes)
    per_mode: dict[TimeMode, list] = {mode: [] for mode in time_modes}
    steps = []
    with tqdm(total=n_fits, desc="neural fit", unit="fit", disable=not progress) as bar:
        for region in regions:
            columns = np.flatnonzero(averaged["region"].values == region)
            design = _on_device(designs[region][0], settings.device)
            region_responses = _on_device(responses[:, columns], settings.device)
            chosen = _region_steps(design, region_responses, averaged, splits, predict_held_out, settings,
                                   mappings[region])
            steps.append(chosen)
            for mode in time_modes:
                r = _region_correlations(design, region_responses, splits, predict_held_out, mode, chosen,
                                         mappings[region].kind == "best", bar.update)
                per_mode[mode].append((columns, r))
    provenance = provenance_attrs(features, neural, settings.to_json(), settings.random_state)
    described = "; ".join(f"{region}: {mappings[region].describe()}" for region in regions)
    results = {}
    for mode, mode_setting in mode_settings.items():
        r = _assemble_neuroids(per_mode[mode], responses.shape[1])
        scores = _package(r, averaged, time_step, times, regions, np.stack(steps))
        if ceiling is not None:
            scores = scores.merge(ceiling, compat="no_conflicts")
            scores["ceiled_score"] = _ceiled(scores["score"], scores["ceiling"], mode_setting)
            scores["ceiling_below_floor"] = scores["ceiling"] < mode_setting.ceiling_floor
            scores.attrs["ceiling_floor"] = mode_setting.ceiling_floor
        scores.attrs.update(provenance, metric_settings=mode_setting.to_json())
        scores.attrs["time_mapping"] = described
        scores.attrs["n_stimuli"] = len(stimuli)
        results[mode] = scores
    return results


def _features_per_region(features: xr.DataArray | Mapping[str, xr.DataArray], regions: list[str]
                         ) -> dict[str, xr.DataArray]:
    """The features each region is fitted from; a mapping must name every region."""
    if not isinstance(features, Mapping):  # one set for all regions (checked by feature_steps)
        return {region: features for region in regions}
    missing = [region for region in regions if region not in features]
    if missing:
        raise DataFormatError(f"no features given for region(s) {missing}; the neural data has {regions}.")
    return {region: features[region] for region in regions}


def noise_ceiling(neural: xr.DataArray, *, n_splits: int = 10, random_state: int = 1) -> xr.Dataset:
    """Split-half (Spearman-Brown corrected) ceilings per neuroid, region and time bin.

    Parameters
    ----------
    neural : xarray.DataArray
        Raw trials (presentation, neuroid, time_bin) with a ``repetition`` coord.

    Returns
    -------
    xarray.Dataset
        ``ceiling_neuroid`` (neuroid, time_bin): mean over splits;
        ``ceiling`` (region, time_bin): mean over splits of the median over the
        region's neuroids; ``ceiling_error``: its standard error over splits.
    """
    validate_assembly(neural, trial_averaged=False, allow_nan=True)
    values = neural.transpose("presentation", "neuroid", "time_bin").values
    dense, _, _ = trials_by_repetition(values, neural["stimulus_id"].values, neural["repetition"].values)
    per_split = split_half_consistency(dense, n_splits=n_splits, random_state=random_state)  # (S, q, B)
    regions = _regions(neural)
    medians = np.stack([_nanmedian(per_split[:, neural["region"].values == region], axis=1)
                        for region in regions], axis=1)                                      # (S, R, B)
    neuroid_coords = _coords_on(neural, "neuroid")
    bin_coords = _coords_on(neural, "time_bin")
    return xr.Dataset(
        {
            "ceiling_neuroid": (("neuroid", "time_bin"), _nanmean(per_split, axis=0)),
            "ceiling": (("region", "time_bin"), _nanmean(medians, axis=0)),
            "ceiling_error": (("region", "time_bin"), _standard_error(medians)),
        },
        coords={**neuroid_coords, **bin_coords, "region": regions},
    )


def _region_steps(design: Array, responses: Array, averaged: xr.DataArray, splits: list[Split],
                  predict_held_out: HeldOutPredictor, settings: FitSettings, mapping: TimeMapping) -> np.ndarray:
    """The model step fitted to each bin, per split (S, B): from the mapping, or chosen per split (``best``)."""
    if mapping.kind != "best":
        steps = mapping.steps_for_bins(averaged["time_bin_start"].values, averaged["time_bin_end"].values,
                                       design.shape[0])
        return np.tile(steps, (len(splits), 1))
    stimuli = averaged["stimulus_id"].values
    labels = _labels(averaged, settings)
    chosen = []
    for train, _ in splits:
        inner = shuffle_splits(stimuli[train], None if labels is None else labels[train],
                               n_splits=settings.inner_splits, train_size=settings.train_size,
                               random_state=settings.random_state)
        chosen.append(best_steps(design, responses, train, inner, predict_held_out))
    return np.stack(chosen)


def _region_correlations(design: Array, responses: Array, splits: list[Split], predict_held_out: HeldOutPredictor,
                         mode: TimeMode, steps: np.ndarray, per_split: bool, update: Callable[[int], None]
                         ) -> np.ndarray:
    """r (S, q, B) or (S, T, q, B) for one region in one time mode, fitted from ``steps`` (S, B).

    ``per_split``: the steps differ between splits (the ``best`` mapping), so each split is fitted alone.
    """
    if not per_split:
        return split_correlations(design, responses, splits, predict_held_out, time=mode, steps_for_bins=steps[0],
                                  progress=update)
    return np.stack([split_correlations(design, responses, [split], predict_held_out, time=mode,
                                        steps_for_bins=split_steps, progress=update)[0]
                     for split, split_steps in zip(splits, steps, strict=True)])


def _splits(averaged: xr.DataArray, settings: FitSettings) -> list[Split]:
    stimuli = averaged["stimulus_id"].values
    labels = _labels(averaged, settings)
    if settings.splits == "kfold":
        return kfold_splits(stimuli, labels, n_splits=settings.n_splits, random_state=settings.random_state)
    return shuffle_splits(stimuli, labels, n_splits=settings.n_splits, train_size=settings.train_size,
                          random_state=settings.random_state)


def _labels(averaged: xr.DataArray, settings: FitSettings) -> np.ndarray | None:
    if settings.stratify and settings.stratify in averaged.coords:
        return averaged[settings.stratify].values
    return None


def _regions(assembly: xr.DataArray) -> list[str]:
    values = assembly["region"].values
    _, first = np.unique(values, return_index=True)
    return [str(values[i]) for i in sorted(first)]


def _assemble_neuroids(per_region: list[tuple[np.ndarray, np.ndarray]], n_neuroids: int) -> np.ndarray:
    """Put each region's r back into the assembly's neuroid order (neuroid axis is -2).

    In the matrix mode (S, T, q, B) a region whose features have fewer steps
    than the longest gets NaN at the steps it lacks.
    """
    shape = list(max((values.shape for _, values in per_region), key=lambda size: size[1] if len(size) == 4 else 0))
    shape[-2] = n_neuroids
    r = np.full(shape, np.nan)
    for columns, values in per_region:
        if values.ndim == 4:
            r[:, :values.shape[1], columns, :] = values
        else:
            r[..., columns, :] = values
    return r


def _package(r: np.ndarray, averaged: xr.DataArray, time_step: np.ndarray, times: np.ndarray | None,
             regions: list[str], steps: np.ndarray) -> xr.Dataset:
    """The Scores of one mode; the matrix mode's ``time_step`` carries the features' ``time_ms`` when known."""
    matrix = r.ndim == 4
    dims = ("split", "time_step", "neuroid", "time_bin") if matrix else ("split", "neuroid", "time_bin")
    region_of = averaged["region"].values
    medians = np.stack([_nanmedian(r[..., region_of == region, :], axis=-2) for region in regions], axis=-2)
    score_dims = ("region", "time_step", "time_bin") if matrix else ("region", "time_bin")
    medians = np.moveaxis(medians, -2, 1)                                  # (S, R, [T,] B)
    coords = {**_coords_on(averaged, "neuroid"), **_coords_on(averaged, "time_bin"),
              "region": regions, "split": np.arange(r.shape[0])}
    if matrix:
        coords["time_step"] = time_step
        if times is not None:
            coords["time_ms"] = ("time_step", times)
    data = {
        "r": (dims, r),
        "score": (score_dims, _nanmean(medians, axis=0)),
        "error": (score_dims, _standard_error(medians)),
    }
    if not matrix:
        data["step_for_bin"] = (("region", "split", "time_bin"), steps)
    return xr.Dataset(data, coords=coords)


def _ceiled(score: xr.DataArray, ceiling: xr.DataArray, settings: FitSettings) -> xr.DataArray:
    """Ceiling-normalised scores; NaN where the ceiling is below ``settings.ceiling_floor``."""
    score, ceiling = xr.broadcast(score, ceiling)
    ceiled = score.copy(data=ceiling_normalised(score.values, ceiling.values, settings.ceiling_convention,
                                                settings.ceiling_floor))
    above = int((ceiled > 1).sum())
    if above:
        warnings.warn(f"{above} ceiling-normalised score(s) exceed 1; they are reported unclipped "
                      "(the ceiling estimate is noisy for few repetitions).", CeilingWarning, stacklevel=3)
    return ceiled


def _coords_on(assembly: xr.DataArray, dim: str) -> dict:
    """The assembly's coords on ``dim``; the neuroids' ``region`` becomes ``neuroid_region``
    because ``region`` names the dimension of the per-region scores."""
    return {("neuroid_region" if name == "region" else name): (dim, coord.values)
            for name, coord in assembly.coords.items() if coord.dims == (dim,)}


def _on_device(values: np.ndarray, device: str | None):
    """``values`` as a float64 tensor on ``device``, or unchanged (numpy) when no device is set."""
    if device is None:
        return values
    import torch

    kind = torch.device(device).type
    if kind == "cuda" and not torch.cuda.is_available() or kind == "mps" and not torch.backends.mps.is_available():
        raise ConfigError(f"device {device!r} is not available on this machine; leave device unset to fit on the "
                          "CPU, or run where that device exists.")
    return torch.as_tensor(values, dtype=torch.float64, device=device)


def _nanmean(values: np.ndarray, axis: int) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(values, axis=axis)


def _nanmedian(values: np.ndarray, axis: int) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmedian(values, axis=axis)


def _standard_error(per_split: np.ndarray) -> np.ndarray:
    """Standard deviation over splits (ddof 0, as Brain-Score) divided by sqrt(splits)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanstd(per_split, axis=0) / np.sqrt(per_split.shape[0])
