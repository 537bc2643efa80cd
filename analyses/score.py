"""Score a model on a benchmark: extract, assign areas to regions, fit per time bin, save.

``score_model(model, benchmark)`` returns Scores for each time handling
(``per_bin``, ``shared`` and the step × bin ``matrix``) with ceilings,
ceiling-normalised scores and provenance (the model's identity: weights and
configuration hashes and, for a training run, its folder, recipe model and
checkpoint); ``write_results`` saves them as netCDF with a Markdown summary and a
``model.json`` describing the model. A benchmark holding a brain RDM instead
of responses (``kiani2007_it``) is scored with ``rsa`` per model step
(:mod:`chronoscore.analyses.rdm_scoring`), in the time mode ``per_step``.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import xarray as xr
from torch import nn

from chronoscore.analyses.area_selection import areas_named_after_regions, select_areas, selection_split
from chronoscore.analyses.benchmark_data import Benchmark
from chronoscore.analyses.extraction import extract
from chronoscore.analyses.model_identity import model_identity
from chronoscore.analyses.rdm_scoring import RDM_TIME_MODE, check_rdm_metric, score_features_against_rdm
from chronoscore.analyses.run_folder import write_model_info, write_run_scores, write_summary
from chronoscore.errors import ConfigError
from chronoscore.models.parameter_count import count_parameters
from chronoscore.neural_fit.predictivity import TimeMode
from chronoscore.neural_fit.scoring import score_time_modes
from chronoscore.neural_fit.settings import FitSettings
from chronoscore.neural_fit.summary import score_table

__all__ = ["ScoringResult", "score_model", "write_results", "AreaChoice"]

AreaChoice = Literal["named", "select"]


@dataclass(frozen=True)
class ScoringResult:
    """Scores of one model on one benchmark.

    Attributes
    ----------
    model_name : str
    benchmark : str
    scores : dict of time mode to xarray.Dataset
    areas : dict of region to model area
    parameters : int
    selection : xarray.DataArray or None
        Mean predictivity (area, region) on the selection stimuli, when areas were selected.
    identity : dict
        ``weights_hash``, ``configuration_hash`` and the model's recorded origin
        (see :func:`chronoscore.analyses.model_identity.model_identity`).
    skipped_regions : list of str
        The benchmark's regions that no area was assigned to, left unscored.
    """

    model_name: str
    benchmark: str
    scores: dict[str, xr.Dataset]
    areas: dict[str, str]
    parameters: int
    selection: xr.DataArray | None = field(default=None, repr=False)
    identity: dict[str, str | int] = field(default_factory=dict)
    skipped_regions: list[str] = field(default_factory=list)


def score_model(model: nn.Module, benchmark: Benchmark, *, model_name: str,
                areas: Mapping[str, str] | AreaChoice = "named", settings: FitSettings | None = None,
                time_modes: Sequence[TimeMode] = ("per_bin", "shared", "matrix"), selection_fraction: float = 0.2,
                projection=None, n_steps: int | None = None, cache: bool | str | os.PathLike = True,
                progress: bool = True) -> ScoringResult:
    """Score ``model`` on ``benchmark`` per region and time bin.

    Parameters
    ----------
    model : TimeResolvedModel
        A zoo model or a wrapped outside model.
    benchmark : Benchmark
    model_name : str
        Recorded with the results.
    areas : mapping of region to area, "named" or "select"
        A given assignment; ``named`` takes it from area names (``V4_conv6`` or
        ``V4`` → V4); ``select`` picks, per region, the best area on a selection
        subset of stimuli (``selection_fraction``) that is then left out of the
        scores. With a given or named assignment, regions without an area are
        not scored (a warning names them; ``skipped_regions`` lists them).
        Against a brain RDM, ``named`` compares every area of the model and a
        mapping only its areas; ``select`` is refused.
    settings : FitSettings, optional
        Default: the benchmark's own (Brain-Score's pls metric for recordings).
        The time mapping reads the step length from the activations' ``time_ms``
        (the model's ``step_ms``); a mapping ``step_ms`` that contradicts it is an error.
    time_modes : sequence of {"per_bin", "shared", "matrix"}
        Scored in one call, sharing the checks, splits and ceilings (against a
        brain RDM, which has no time bins, the one mode is ``per_step``).
    projection
        Passed to :func:`chronoscore.analyses.extraction.extract` (bounds memory).
    n_steps : int, optional
        Steps to run the model (its default otherwise).
    cache : bool or path-like
        The activation cache, as :func:`~chronoscore.analyses.extraction.extract`
        takes it: True for ``chronoscore.paths.cache_dir() / "activations"``, a
        folder, or False for none.
    progress : bool
        Show progress bars.
    """
    settings = settings or benchmark.settings
    if benchmark.assembly is None:
        return _score_against_rdm(model, benchmark, model_name, areas, settings, projection, n_steps, cache, progress)
    neural = benchmark.assembly
    regions = list(dict.fromkeys(map(str, neural["region"].values)))
    mapping = dict(areas) if isinstance(areas, Mapping) else (
        areas_named_after_regions(model.areas, regions) if areas == "named" else {})
    _check_mapping(mapping, model.areas, regions)
    missing = [region for region in regions if region not in mapping]
    skipped = [] if areas == "select" else missing
    if skipped:
        if len(skipped) == len(regions):
            raise ConfigError(f"no area of the model is assigned to any of the benchmark's regions {regions}: "
                              f"its areas are {list(model.areas)}. Assign them (--areas V4=area,IT=area), name "
                              "areas after regions, or let chronoscore choose (--select-areas).")
        warnings.warn(f"region(s) {skipped} have no assigned model area and are not scored; assign an area "
                      "(--areas REGION=area) or choose by data (--select-areas).", stacklevel=2)
        neural = neural.isel(neuroid=~np.isin(neural["region"].values.astype(str), skipped))
        regions, missing = [region for region in regions if region not in skipped], []
    needed = list(model.areas) if missing else list(dict.fromkeys(mapping.values()))
    activations = extract(model, benchmark.stimulus_set, areas=needed, n_steps=n_steps, projection=projection,
                          cache=cache, progress=progress, model_name=model_name)
    selection = None
    if missing:
        selecting, scoring = selection_split(neural, selection_fraction, settings.random_state, settings.stratify)
        chosen, selection = select_areas(activations, neural.isel(neuroid=np.isin(neural["region"].values, missing)),
                                         selecting, settings)
        mapping.update(chosen)
        neural = neural.isel(presentation=np.isin(neural["stimulus_id"].values.astype(str), scoring))
    features = {region: activations.isel(neuroid=activations["layer"].values == mapping[region])
                for region in regions}
    scores = score_time_modes(features, neural, settings, time_modes, progress=progress)
    identity = {key: value for key, value in model_identity(model, model_name).items() if key != "model"}
    for result in scores.values():
        result.attrs.update(identity, benchmark=benchmark.name, model=model_name, skipped_regions=",".join(skipped))
    return ScoringResult(model_name, benchmark.name, scores, mapping, count_parameters(model), selection, identity,
                         skipped)


def _score_against_rdm(model: nn.Module, benchmark: Benchmark, model_name: str,
                       areas: Mapping[str, str] | AreaChoice, settings: FitSettings, projection, n_steps: int | None,
                       cache: bool | str | os.PathLike, progress: bool) -> ScoringResult:
    """:func:`score_model` for a benchmark holding only a brain RDM (see :mod:`chronoscore.analyses.rdm_scoring`)."""
    check_rdm_metric(benchmark, settings)
    if areas == "select":
        raise ConfigError(f"choosing areas by data fits responses, which {benchmark.name!r} lacks (it holds an RDM); "
                          "leave out --select-areas to compare every area, or name areas with --areas REGION=area.")
    mapping = dict(areas) if isinstance(areas, Mapping) else {}
    _check_mapping(mapping, model.areas, list(mapping))  # the RDM's region is the data set's; check the areas
    compared = list(dict.fromkeys(mapping.values())) or list(model.areas)
    activations = extract(model, benchmark.stimulus_set, areas=compared, n_steps=n_steps, projection=projection,
                          cache=cache, progress=progress, model_name=model_name)
    features = {area: activations.isel(neuroid=activations["layer"].values == area) for area in compared}
    scores = score_features_against_rdm(features, benchmark, settings)
    identity = {key: value for key, value in model_identity(model, model_name).items() if key != "model"}
    scores.attrs.update(identity, benchmark=benchmark.name, model=model_name, skipped_regions="")
    return ScoringResult(model_name, benchmark.name, {RDM_TIME_MODE: scores}, mapping, count_parameters(model),
                         identity=identity)


def write_results(result: ScoringResult, out_dir: str | os.PathLike) -> Path:
    """Write ``scores_<mode>.nc``, ``summary.md`` and ``model.json`` into ``out_dir`` (see
    :mod:`chronoscore.analyses.run_folder`)."""
    out_dir = Path(out_dir)
    for mode, scores in result.scores.items():
        write_run_scores(out_dir, mode, scores)
    write_model_info(out_dir, model=result.model_name, parameters=result.parameters, benchmark=result.benchmark,
                     areas=result.areas, **result.identity)
    lines = [f"# {result.model_name} on {result.benchmark}", "",
             f"{result.parameters:,} parameters; areas: "
             + (", ".join(f"{region} ← {area}" for region, area in result.areas.items()) or "every area compared")
             + (f"; not scored (no area assigned): {', '.join(result.skipped_regions)}"
                if result.skipped_regions else ""), ""]
    for mode, scores in result.scores.items():
        handling = [f"Time: {scores.attrs['time_handling']}.", ""] if "time_handling" in scores.attrs else []
        lines += [f"## {mode}", "", *handling, score_table(scores), ""]
    write_summary(out_dir, "\n".join(lines))
    return out_dir


def _check_mapping(mapping: Mapping[str, str], areas: Sequence[str], regions: Sequence[str]) -> None:
    unknown = {region: area for region, area in mapping.items() if area not in areas}
    if unknown:
        raise ConfigError(f"the model has no area(s) {unknown}; its areas are {list(areas)}.")
    extra = [region for region in mapping if region not in regions]
    if extra:
        raise ConfigError(f"the benchmark has no region(s) {extra}; its regions are {list(regions)}.")
