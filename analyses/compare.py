"""Compare models' neural predictivity with paired statistics over neuroids.

:func:`compare` puts several scored models (typically a recurrent model and its
feedforward control) side by side, per brain region and time bin, against one
reference model. All of them must be scored on the same data with the same
metric settings (see :mod:`chronoscore.analyses.comparability`), so every
neuroid gives one pair of values per model and reference:

* each neuroid's held-out r, averaged over the cross-validation splits (the
  matrix time mode takes the step its time mapping assigns to the bin);
* the difference of the medians over the region's neuroids (model − reference),
  and, when the Scores carry ceilings, the difference of ceiling-normalised
  scores (the median r normalised by the median of the neuroids' ceilings, with
  the Scores' ceiling convention);
* a paired bootstrap interval of each difference: neuroids are resampled with
  replacement, the same resample for both models (and for the ceiling), and the
  statistic is recomputed on every resample at once; bias-corrected and
  accelerated (BCa, the interval of :func:`scipy.stats.bootstrap` with
  ``paired=True, method="BCa"``) by default, or the plain percentile interval;
* the two-sided Wilcoxon signed-rank test of the per-neuroid differences
  (:func:`scipy.stats.wilcoxon`), and its p-value corrected for the multiple
  comparisons of each candidate over all regions and time bins
  (Benjamini–Hochberg by default, or Holm; both raw and corrected are reported).

A median here is the median over neuroids of split-averaged r, which differs
slightly from the Scores' ``score`` (the mean over splits of per-split
medians); the comparison reports its own medians for every model, so a table
never mixes the two. A neuroid that is NaN in either model of a pair is left
out of that pair's statistics (``n_neuroids`` counts the pairs used);
``median_r`` of each model uses all its non-NaN neuroids.

Bootstrap resamples are drawn from ``numpy.random.default_rng(seed)``: for each
region in order, one ``(n_bootstrap, n_region_neuroids)`` array of indices
(:func:`~chronoscore.analyses.paired_statistics.bootstrap_indices`), shared by
all time bins and candidate models.
"""

from __future__ import annotations

import datetime
import functools
import json
import numbers
import os
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np
import xarray as xr

import chronoscore
from chronoscore.analyses.comparability import aligned_neuroid_r, check_comparable, metric_settings
from chronoscore.analyses.paired_statistics import (
    CORRECTIONS,
    INTERVALS,
    adjust_p_values,
    bca_interval,
    bootstrap_indices,
    mask_unpaired,
    nan_median,
    percentile_interval,
    signed_rank_test,
)
from chronoscore.analyses.run_folder import read_comparison, write_comparison
from chronoscore.analyses.scored_model import ScoredModel, load_scored_model
from chronoscore.errors import ConfigError
from chronoscore.neural_fit.ceiling import CEILING_FLOOR, ceiling_normalised

__all__ = ["compare", "write_comparison", "read_comparison"]  # the last two live in run_folder

Normalise = Callable[[np.ndarray, np.ndarray], np.ndarray]


def compare(results: Sequence[xr.Dataset | str | os.PathLike], *, reference: str | None = None,
            n_bootstrap: int = 2000, seed: int = 0, confidence: float = 0.95, interval: str = "bca",
            correction: str = "bh") -> xr.Dataset:
    """Compare scored models against a reference, per region and time bin, paired over neuroids.

    Parameters
    ----------
    results : sequence of xarray.Dataset or path
        At least two scored models: scoring run folders (``scores.nc`` and
        optionally ``model.json`` with the parameter count), Scores files, or
        Scores datasets (see :mod:`chronoscore.analyses.scored_model`).
    reference : str, optional
        Name of the reference model (e.g. the feedforward control); the first
        result by default. Names are the models' names, with the source appended
        in parentheses when two results share one.
    n_bootstrap : int
        Bootstrap resamples of the neuroids.
    seed : int
        Seed of the resamples.
    confidence : float
        Coverage of the intervals, between 0 and 1.
    interval : {"bca", "percentile"}
        Bias-corrected and accelerated bootstrap intervals, or percentile intervals.
    correction : {"bh", "holm", "none"}
        Correction of each candidate's p-values over all regions and time bins:
        Benjamini–Hochberg (false discovery rate), Holm (family-wise error) or none.

    Returns
    -------
    xarray.Dataset
        Dims ``model`` (every model), ``candidate`` (every model but the
        reference), ``region``, ``time_bin``, ``neuroid``, ``bound``
        (lower, upper). Variables:

        ``neuroid_r`` (model, neuroid, time_bin)
            split-averaged r of each neuroid;
        ``median_r`` (model, region, time_bin)
            its median over the region's neuroids;
        ``parameters`` (model,)
            parameter counts (NaN when unknown);
        ``difference_r`` (candidate, region, time_bin), ``difference_r_ci`` (..., bound)
            median r of the candidate minus the reference's, and its interval;
        ``wilcoxon_statistic``, ``p_value``, ``n_neuroids`` (candidate, region, time_bin)
            the signed-rank test of the per-neuroid differences and the pairs used;
        ``p_value_corrected`` (candidate, region, time_bin)
            ``p_value`` corrected over the candidate's regions and bins;
        ``ceiling`` (region, time_bin), ``ceiled_score`` (model, region, time_bin),
        ``difference_ceiled``, ``difference_ceiled_ci``
            when every model's Scores carry ceilings.

        Attributes record the reference, the options, the data and the models' sources.

    Raises
    ------
    ConfigError
        Fewer than two results, an unknown reference or invalid options.
    DataFormatError
        Models scored on different data, settings, neuroids or time bins.
    """
    _check_options(n_bootstrap, seed, confidence, interval, correction)
    if isinstance(results, (str, os.PathLike, xr.Dataset)):
        results = [results]
    if len(results) < 2:
        raise ConfigError(f"compare needs at least two scored models, got {len(results)}.")
    models = _with_unique_names([load_scored_model(item, index) for index, item in enumerate(results)])
    names = [model.name for model in models]
    reference_index = _reference_index(names, reference)
    check_comparable([models[reference_index]] + [m for i, m in enumerate(models) if i != reference_index])
    base = models[reference_index].scores
    neuroid_ids, region_of = base["neuroid_id"].values, base["neuroid_region"].values
    r, steps = aligned_neuroid_r(models, neuroid_ids)
    ceiling = None
    if all("ceiling_neuroid" in model.scores for model in models):
        ceiling = base["ceiling_neuroid"].transpose("neuroid", "time_bin").values
    candidates = [i for i in range(len(models)) if i != reference_index]
    regions = [str(region) for region in base["region"].values]
    settings = metric_settings(models[reference_index])
    normalise = functools.partial(ceiling_normalised, convention=settings.get("ceiling_convention", "r2_over_ceiling"),
                                  floor=settings.get("ceiling_floor", CEILING_FLOOR))
    statistics = _paired_statistics(r, reference_index, candidates, region_of, regions, ceiling, normalise,
                                    np.random.default_rng(seed), n_bootstrap, confidence, interval)
    statistics["p_value_corrected"] = (statistics["p_value"][0], np.stack(
        [adjust_p_values(p_values, correction) for p_values in statistics["p_value"][1]]))
    coords = {
        "model": names, "candidate": [names[i] for i in candidates], "region": regions,
        "bound": ["lower", "upper"],
        "neuroid_id": ("neuroid", neuroid_ids), "neuroid_region": ("neuroid", region_of),
        "time_bin_start": ("time_bin", base["time_bin_start"].values),
        "time_bin_end": ("time_bin", base["time_bin_end"].values),
    }
    parameters = np.array([np.nan if m.parameters is None else m.parameters for m in models], dtype=float)
    data = {"parameters": (("model",), parameters), "neuroid_r": (("model", "neuroid", "time_bin"), r),
            **statistics}
    comparison = xr.Dataset(data, coords=coords)
    comparison.attrs.update(_attrs(models, steps, reference_index, n_bootstrap, seed, confidence, interval,
                                   correction))
    return comparison


def _paired_statistics(r: np.ndarray, reference: int, candidates: list[int], region_of: np.ndarray,
                       regions: list[str], ceiling: np.ndarray | None, normalise: Normalise,
                       rng: np.random.Generator, n_bootstrap: int, confidence: float, interval: str) -> dict:
    """All statistics of :func:`compare`; ``r`` is (model, neuroid, bin), ``ceiling`` (neuroid, bin).

    ``normalise(r, ceiling)`` is the ceiling normalisation of the scores' settings.
    """
    n_models, _, n_bins = r.shape
    shape = (len(candidates), len(regions), n_bins)
    names = ["difference_r", "difference_r_ci", "wilcoxon_statistic", "p_value", "n_neuroids"]
    if ceiling is not None:
        names += ["difference_ceiled", "difference_ceiled_ci"]
    out = {name: np.full(shape + ((2,) if name.endswith("_ci") else ()), np.nan) for name in names}
    median_r = np.full((n_models, len(regions), n_bins), np.nan)
    region_ceiling = np.full((len(regions), n_bins), np.nan)
    for k, region in enumerate(regions):
        columns = np.flatnonzero(region_of == region)
        indices = bootstrap_indices(rng, len(columns), n_bootstrap)
        median_r[:, k] = nan_median(r[:, columns], axis=1)
        for b in range(n_bins):
            limit = None
            if ceiling is not None:
                limit = ceiling[columns, b]
                region_ceiling[k, b] = nan_median(limit)
            for c, candidate in enumerate(candidates):
                pair = _pair_statistics(r[candidate, columns, b], r[reference, columns, b], indices, limit,
                                        normalise, confidence, interval)
                for name, value in pair.items():
                    out[name][c, k, b] = value
    out["n_neuroids"] = out["n_neuroids"].astype(int)
    dims = ("candidate", "region", "time_bin")
    data = {"median_r": (("model", "region", "time_bin"), median_r)}
    if ceiling is not None:
        data["ceiling"] = (("region", "time_bin"), region_ceiling)
        data["ceiled_score"] = (("model", "region", "time_bin"),
                                normalise(median_r, region_ceiling[None]))
    data.update({name: (dims + (("bound",) if name.endswith("_ci") else ()), values) for name, values in out.items()})
    return data


def _pair_statistics(model: np.ndarray, base: np.ndarray, indices: np.ndarray, limit: np.ndarray | None,
                     normalise: Normalise, confidence: float, interval: str) -> dict:
    """Statistics of one candidate against the reference in one region and bin.

    ``model``, ``base`` and ``limit`` (the neuroids' ceilings, or None) are (q,),
    ``indices`` (n_bootstrap, q) the resamples.
    """
    model, base = mask_unpaired(model, base)

    def difference(candidate, reference, axis=-1):
        return nan_median(candidate, axis=axis) - nan_median(reference, axis=axis)

    def ceiled_difference(candidate, reference, ceiling, axis=-1):
        region_ceiling = nan_median(ceiling, axis=axis)
        return (normalise(nan_median(candidate, axis=axis), region_ceiling)
                - normalise(nan_median(reference, axis=axis), region_ceiling))

    statistic, p_value = signed_rank_test(model - base)
    pair = {
        "difference_r": float(difference(model, base)),
        "difference_r_ci": _interval(difference, (model, base), indices, confidence, interval),
        "wilcoxon_statistic": statistic, "p_value": p_value,
        "n_neuroids": np.count_nonzero(~np.isnan(model)),
    }
    if limit is not None:
        pair["difference_ceiled"] = float(ceiled_difference(model, base, limit))
        pair["difference_ceiled_ci"] = _interval(ceiled_difference, (model, base, limit), indices, confidence,
                                                 interval)
    return pair


def _interval(statistic: Callable[..., np.ndarray], samples: tuple[np.ndarray, ...], indices: np.ndarray,
              confidence: float, interval: str) -> np.ndarray:
    """The bootstrap interval (2,) of a paired statistic of samples (q,) over the resamples (n_bootstrap, q)."""
    if interval == "bca":
        return bca_interval(statistic, samples, indices, confidence)
    return percentile_interval(statistic(*(sample[indices] for sample in samples), axis=-1), confidence)


def _check_options(n_bootstrap: int, seed: int, confidence: float, interval: str, correction: str) -> None:
    if isinstance(n_bootstrap, bool) or not isinstance(n_bootstrap, numbers.Integral) or n_bootstrap < 1:
        raise ConfigError(f"n_bootstrap must be a positive integer, got {n_bootstrap!r}.")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ConfigError(f"seed must be a non-negative integer, got {seed!r}.")
    if isinstance(confidence, bool) or not isinstance(confidence, numbers.Real) or not 0 < confidence < 1:
        raise ConfigError(f"confidence must be a number between 0 and 1 (exclusive), e.g. 0.95; got {confidence!r}.")
    if interval not in INTERVALS:
        raise ConfigError(f"interval must be one of {', '.join(INTERVALS)}; got {interval!r}.")
    if correction not in CORRECTIONS:
        raise ConfigError(f"correction must be one of {', '.join(CORRECTIONS)}; got {correction!r}.")


def _with_unique_names(models: list[ScoredModel]) -> list[ScoredModel]:
    """Append the source to names that several results share; raise if a source repeats."""
    sources = Counter(model.source for model in models)
    repeated = [source for source, count in sources.items() if count > 1]
    if repeated:
        raise ConfigError(f"{repeated[0]} is given more than once; give each scored model once.")
    counts = Counter(model.name for model in models)
    return [model if counts[model.name] == 1 else
            ScoredModel(f"{model.name} ({model.source})", model.scores, model.parameters, model.source, model.info)
            for model in models]


def _reference_index(names: list[str], reference: str | None) -> int:
    if reference is None:
        return 0
    if reference not in names:
        raise ConfigError(f"reference {reference!r} is none of the compared models ({', '.join(names)}); "
                          "name one of them.")
    return names.index(reference)


def _attrs(models: list[ScoredModel], steps: list, reference: int, n_bootstrap: int, seed: int,
           confidence: float, interval: str, correction: str) -> dict:
    base = models[reference].scores.attrs
    described = {}
    for model, chosen in zip(models, steps):
        settings = metric_settings(model)
        described[model.name] = {
            "source": model.source, "model": model.scores.attrs.get("model"),
            "weights_hash": model.scores.attrs.get("weights_hash"), "time": settings.get("time"),
            "time_mapping": model.scores.attrs.get("time_mapping"),
            "steps_for_bins": None if chosen is None else [int(step) for step in chosen],
        }
    return {
        "reference": models[reference].name,
        "n_bootstrap": int(n_bootstrap), "seed": int(seed), "confidence": float(confidence),
        "interval": interval, "correction": correction,
        "statistics": f"paired over neuroids: difference of medians of split-averaged r, {interval} bootstrap "
                      "intervals, two-sided Wilcoxon signed-rank test, p-values corrected over each candidate's "
                      f"regions and time bins ({correction})",
        "data": str(base.get("data", "unknown")), "data_hash": str(base.get("data_hash")),
        "metric_settings": str(base.get("metric_settings")),
        "models": json.dumps(described),
        "chronoscore_version": chronoscore.__version__,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
