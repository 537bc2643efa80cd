"""Scoring a model against a brain RDM given without its responses (e.g. ``kiani2007_it``).

Such a data set holds one RDM over its stimuli, computed over a fixed response
window, and no time bins. Only the ``rsa`` metric can use it: each model area's
RDM at each model step is compared with the one brain RDM
(:func:`chronoscore.neural_fit.metrics.rsa.rsa_with_reference`), so the result
is a time course over the model's steps, not over neural time bins. Its Scores
(time mode ``per_step``) hold ``similarity`` (split, area, time_step),
``score`` and ``error`` (area, time_step); there is no ceiling, since the RDM
comes without its trials.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import xarray as xr

from chronoscore.analyses.benchmark_data import Benchmark
from chronoscore.errors import ConfigError
from chronoscore.neural_fit.metrics.rsa import check_reference_options, rsa_with_reference
from chronoscore.neural_fit.provenance import provenance_attrs
from chronoscore.neural_fit.settings import FitSettings
from chronoscore.neural_fit.splits import Split, shuffle_splits

__all__ = ["RDM_TIME_MODE", "TIME_HANDLING", "check_rdm_metric", "rdm_splits", "score_features_against_rdm"]

RDM_TIME_MODE = "per_step"
"""The time mode (and Scores file, ``scores_per_step.nc``) of scores against a brain RDM."""

TIME_HANDLING = ("the brain RDM has no time bins (one RDM over the recording's response window), so each model "
                 "step's RDM is compared with it: the scores run over model steps, not neural time bins")
"""How time is handled, as the results and the command's output say it."""


def check_rdm_metric(benchmark: Benchmark, settings: FitSettings) -> None:
    """Raise ConfigError unless ``settings`` name a metric that can use the benchmark's RDM (``rsa``, with an
    RDM that needs no trials)."""
    if settings.metric != "rsa":
        raise ConfigError(f"the benchmark {benchmark.name!r} holds a brain RDM, not responses per presentation, so "
                          f"the metric {settings.metric!r}, which needs responses, cannot score against it; use "
                          "--metric rsa (FitSettings(metric='rsa')).")
    check_reference_options(settings.options())


def rdm_splits(benchmark: Benchmark, settings: FitSettings) -> list[Split]:
    """The compared stimuli: every stimulus once, or (``cross_validate``) the test stimuli of ``n_splits``
    shuffle splits holding out ``test_size`` of them, stratified by the settings' ``stratify`` column when the
    stimulus set has it."""
    options = settings.options()
    stimuli = benchmark.stimulus_set.table["stimulus_id"].astype(str).values
    if not options.cross_validate:
        return [(np.array([], dtype=int), np.arange(len(stimuli)))]
    table = benchmark.stimulus_set.table
    labels = table[settings.stratify].values if settings.stratify and settings.stratify in table else None
    return shuffle_splits(stimuli, labels, n_splits=settings.n_splits, test_size=options.test_size,
                          random_state=settings.random_state)


def score_features_against_rdm(features: Mapping[str, xr.DataArray], benchmark: Benchmark,
                               settings: FitSettings) -> xr.Dataset:
    """Scores of each area's features (presentation, neuroid, time_step) against the benchmark's RDM.

    Returns
    -------
    xarray.Dataset
        See the module docstring; attributes record provenance, ``time_handling``
        and ``time_mode`` (``per_step``).

    Raises
    ------
    ConfigError
        If the settings' metric is not ``rsa`` or its ``rdm`` needs trials.
    """
    check_rdm_metric(benchmark, settings)
    stimuli = benchmark.stimulus_set.table["stimulus_id"].astype(str).values
    scores = rsa_with_reference(features, benchmark.rdm, stimuli, settings.options(), rdm_splits(benchmark, settings))
    brain = xr.DataArray(np.asarray(benchmark.rdm, dtype=np.float64), dims=("stimulus", "stimulus_paired"),
                         coords={"stimulus": stimuli, "stimulus_paired": stimuli}, name=benchmark.name)
    scores.attrs.update(provenance_attrs(dict(features), brain, settings.to_json(), settings.random_state),
                        time_handling=TIME_HANDLING, time_mode=RDM_TIME_MODE, n_stimuli=len(stimuli))
    return scores
