"""``rsa``: representational similarity analysis per region and time bin (Brain-Score's ``rdm_cv``).

The model's and the neural RDM (:mod:`chronoscore.neural_fit.rdm`) are compared
on the held-out stimuli of each split; with the defaults (``1 − Pearson r``
RDMs, Spearman, 10 stratified shuffle splits holding out 90 % of the stimuli,
seed 1) this is Brain-Score's ``rdm_cv`` metric, and with
``cross_validate=False`` its ``rdm``. Each RDM is computed once per model step
and neural bin and only subset per split; Spearman ranks of a subset come from
one sort of the whole triangle. :func:`rsa_over_time` compares a model's areas
with a given brain RDM over all stimuli, :func:`rsa_with_reference` on each
split's held-out stimuli (e.g. an RDM published without the responses behind it).
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import xarray as xr

from chronoscore.errors import ConfigError, DataFormatError
from chronoscore.neural_fit.metrics._registry import register_metric
from chronoscore.neural_fit.rdm import (COMPARISONS, RDM_KINDS, Comparison, PairSubset, RankedTriangle, RdmKind,
                                        compare_rdms, rdm)
from chronoscore.neural_fit.crossnobis import crossnobis_rdm
from chronoscore.neural_fit.features import feature_steps, step_times
from chronoscore.neural_fit.representational import (SimilarityEvaluator, UninformativeStepWarning,
                                                      representational_scores)
from chronoscore.neural_fit.scoring import _nanmean, _standard_error
from chronoscore.neural_fit.splits import Split

__all__ = ["RSAOptions", "RdmSimilarity", "check_reference_options", "rsa", "rsa_label", "rsa_over_time",
           "rsa_with_reference"]


@dataclass(frozen=True)
class RSAOptions:
    """Options of the ``rsa`` metric.

    Parameters
    ----------
    rdm : {"correlation", "euclidean", "crossnobis"}
        ``1 − Pearson r`` between stimulus patterns (Brain-Score's), their Euclidean
        distance, or (raw trials only) the neural RDM cross-validated over
        repetitions and noise-normalised (:mod:`chronoscore.neural_fit.crossnobis`),
        compared with the model's squared Euclidean distances per feature (the
        crossnobis distance of noise-free patterns with white noise).
    comparison : {"spearman", "kendall_tau_a", "pearson"}
        How two RDMs' upper triangles are compared (Brain-Score: Spearman).
    test_size : float
        Fraction of the stimuli each shuffle split compares (Brain-Score's ``rdm_cv``: 0.9).
    cross_validate : bool
        False compares the RDMs over all stimuli once (Brain-Score's ``rdm``).
    noise_shrinkage : float in [0, 1], optional
        ``crossnobis`` only: weight λ of the noise covariance's shrinkage towards
        its mean variance; unset, the Ledoit–Wolf estimate.
    """

    rdm: str = "correlation"
    comparison: str = "spearman"
    test_size: float = 0.9
    cross_validate: bool = True
    noise_shrinkage: float | None = None

    def __post_init__(self) -> None:
        if self.rdm not in (*RDM_KINDS, "crossnobis"):
            raise ConfigError(f"rdm must be one of {', '.join(RDM_KINDS)}, crossnobis; got {self.rdm!r}.")
        weight = self.noise_shrinkage
        if weight is not None and (isinstance(weight, bool) or not isinstance(weight, numbers.Real)
                                   or not 0 <= weight <= 1):
            raise ConfigError(f"noise_shrinkage must be a number from 0 to 1 (or unset: Ledoit–Wolf), got "
                              f"{weight!r}.")
        if self.comparison not in COMPARISONS:
            raise ConfigError(f"comparison must be one of {', '.join(COMPARISONS)}; got {self.comparison!r}.")
        size = self.test_size
        if isinstance(size, bool) or not isinstance(size, numbers.Real) or not 0 < size < 1:
            raise ConfigError(f"test_size must be a number between 0 and 1 (exclusive), got {size!r}.")


_COMPARISON_NAMES = {"spearman": "Spearman ρ", "kendall_tau_a": "Kendall τ-a", "pearson": "Pearson r"}


def rsa_label(options: RSAOptions) -> str:
    """The axis label of RSA scores: ``RSA (Spearman ρ)``, naming the RDM when it is not 1 − Pearson r."""
    rdm_name = "" if options.rdm == "correlation" else f", {options.rdm} RDM"
    return f"RSA ({_COMPARISON_NAMES[options.comparison]}{rdm_name})"


class RdmSimilarity:
    """RDMs of one kind compared by one method (see :class:`chronoscore.neural_fit.representational.Similarity`)."""

    larger_is_closer = True
    min_stimuli = 3
    """Three stimuli give three pairs, the fewest a rank correlation is defined on."""

    def __init__(self, kind: RdmKind | str, comparison: Comparison, noise_shrinkage: float | None = None) -> None:
        self.kind, self.comparison, self.noise_shrinkage = kind, comparison, noise_shrinkage
        self.from_trials = kind == "crossnobis"
        """Whether the neural RDM is made from raw trials (:meth:`prepare_trials`)."""

    def prepare(self, patterns: np.ndarray, what: str) -> RankedTriangle:
        """The RDM of (N, D) ``patterns`` (for ``crossnobis``, squared Euclidean distances over D).

        Raises
        ------
        DataFormatError
            If a pattern is non-finite, or (``correlation``) constant over the features.
        """
        if not np.isfinite(patterns).all():
            raise DataFormatError(f"{what}: the responses hold NaN or infinite values; drop those stimuli or "
                                  "features first.")
        if self.from_trials:
            return RankedTriangle(rdm(patterns, "euclidean") ** 2 / patterns.shape[1])
        matrix = rdm(patterns, self.kind)
        undefined = np.flatnonzero(np.isnan(np.diag(matrix)))
        if undefined.size:
            raise DataFormatError(
                f"{what}: the patterns of {undefined.size} stimuli (rows {undefined[:5].tolist()}) are constant over "
                "the features, so 1 − Pearson r is undefined for them; use rdm='euclidean', drop those stimuli, or "
                "leave out the model steps before the area responds.")
        return RankedTriangle(matrix)

    def prepare_trials(self, trials: np.ndarray, what: str) -> RankedTriangle:
        """The crossnobis RDM of (N, M, q) repeated ``trials``."""
        return RankedTriangle(crossnobis_rdm(trials, self.noise_shrinkage, what))

    def select(self, n: int, stimuli: np.ndarray) -> PairSubset:
        """The pairs of ``stimuli`` among ``n``."""
        return PairSubset(n, stimuli)

    def compare(self, model: RankedTriangle, neural: RankedTriangle, pairs: PairSubset) -> float:
        """The two RDMs compared over ``pairs``."""
        return model.compare(neural, pairs, self.comparison)

    def warm(self, model: RankedTriangle, neural: RankedTriangle, selectors: list[PairSubset]) -> None:
        """Make what the Spearman comparisons of the pair share (:meth:`RankedTriangle.warm`)."""
        if self.comparison == "spearman":
            model.warm(neural)

    def release(self, model: RankedTriangle, neural: RankedTriangle) -> None:
        """Drop what :meth:`warm` made for the pair (the sorts stay with each triangle)."""
        model.release(neural)


@register_metric("rsa", options=RSAOptions, label=rsa_label)
def rsa(features, neural, settings, options: RSAOptions, **run) -> dict:
    """Model and neural RDMs compared on held-out stimuli per region and time bin (Brain-Score's rdm_cv)."""
    return representational_scores(features, neural, settings,
                                    SimilarityEvaluator(RdmSimilarity(options.rdm, options.comparison,
                                                                      options.noise_shrinkage)),
                                    test_size=options.test_size, cross_validate=options.cross_validate, **run)


def rsa_over_time(activations: xr.DataArray, reference: np.ndarray, method: Comparison = "spearman",
                  kind: RdmKind = "correlation") -> xr.DataArray:
    """Each model area's RDM at each time step compared with a reference RDM over all stimuli.

    Parameters
    ----------
    activations : xarray.DataArray, (presentation, neuroid, time_step)
        As :func:`chronoscore.analyses.extract.extract` returns, with ``layer`` on
        neuroid; presentations in the order of the reference's rows.
    reference : (N, N) array
        The brain RDM.
    method : {"spearman", "kendall_tau_a", "pearson"}
    kind : {"correlation", "euclidean"}

    Returns
    -------
    xarray.DataArray, dims (layer, time_step)
        NaN where the area has no such step or its RDM is undefined (a
        constant pattern, e.g. before the area has received input).
    """
    reference = np.asarray(reference, dtype=np.float64)
    if reference.shape != (activations.sizes["presentation"],) * 2:
        raise DataFormatError(f"the reference RDM is {reference.shape} but there are "
                              f"{activations.sizes['presentation']} presentations; give one row per stimulus.")
    layers = list(dict.fromkeys(map(str, activations["layer"].values)))
    values = activations.transpose("presentation", "neuroid", "time_step").values
    result = np.full((len(layers), values.shape[2]), np.nan)
    for row, layer in enumerate(layers):
        columns = activations["layer"].values == layer
        for step in range(values.shape[2]):
            patterns = values[:, columns, step]
            if np.isfinite(patterns).all():
                model_rdm = rdm(patterns, kind)
                if np.isfinite(model_rdm).all():
                    result[row, step] = compare_rdms(model_rdm, reference, method)
    return xr.DataArray(result, dims=("layer", "time_step"),
                        coords={"layer": layers, "time_step": activations["time_step"].values,
                                "time_ms": ("time_step", activations["time_ms"].values)},
                        attrs={"method": method, "rdm": kind, "model": activations.attrs.get("model", "")})


def rsa_with_reference(features: Mapping[str, xr.DataArray], reference: np.ndarray, stimulus_ids: Sequence[str],
                       options: RSAOptions, splits: Sequence[Split]) -> xr.Dataset:
    """Each model area's RDM at each of its steps compared with a given brain RDM on every split's test stimuli.

    A brain RDM given on its own (e.g. over a fixed response window) has no time
    bins: every model step is compared with the same RDM.

    Parameters
    ----------
    features : mapping of area name to xarray.DataArray
        Each area's activations (presentation, neuroid, time_step), with ``stimulus_id``.
    reference : (N, N) array
        The brain RDM: finite and symmetric, rows in the order of ``stimulus_ids``.
    stimulus_ids : (N,) sequence of str
    options : RSAOptions
        ``rdm`` (of the model) and ``comparison``; ``crossnobis`` needs trials and is refused.
    splits : sequence of (train, test) index arrays
        The test stimuli of each are compared (one split of every stimulus: no cross-validation).

    Returns
    -------
    xarray.Dataset
        ``similarity`` (split, area, time_step), ``score`` (area, time_step, the
        mean over splits) and ``error`` (standard error over splits); NaN at steps
        an area lacks or where its features are the same for every stimulus.

    Raises
    ------
    ConfigError
        For ``rdm="crossnobis"``.
    DataFormatError
        If the reference is not a finite symmetric (N, N) matrix or a split compares fewer than 3 stimuli.
    """
    check_reference_options(options)
    brain = RankedTriangle(_checked_reference(reference, len(stimulus_ids)))
    similarity = RdmSimilarity(options.rdm, options.comparison)
    for number, (_, test) in enumerate(splits):
        if len(test) < similarity.min_stimuli:
            raise DataFormatError(f"split {number} compares {len(test)} stimuli; an RDM comparison needs at least "
                                  f"{similarity.min_stimuli}: use more stimuli or a larger test_size.")
    selectors = [similarity.select(len(stimulus_ids), test) for _, test in splits]
    designs = {area: feature_steps(values, stimulus_ids) for area, values in features.items()}
    longest = max(designs, key=lambda area: len(designs[area][1]))
    values = np.full((len(splits), len(designs), len(designs[longest][1])), np.nan)
    for a, (area, (design, _)) in enumerate(designs.items()):
        uninformative = [step for step, patterns in enumerate(design) if np.all(patterns == patterns[:1])]
        if uninformative:
            warnings.warn(f"model features of area {area} are the same for every stimulus at step(s) {uninformative} "
                          "(the area has not responded yet, or no longer does?); their similarities are NaN.",
                          UninformativeStepWarning, stacklevel=2)
        for step in sorted(set(range(len(design))) - set(uninformative)):
            model = similarity.prepare(design[step], f"model area {area}, step {step}")
            values[:, a, step] = [similarity.compare(model, brain, selector) for selector in selectors]
    coords = {"area": list(designs), "split": np.arange(len(splits)), "time_step": designs[longest][1]}
    times = step_times(features[longest], len(designs[longest][1]))
    if times is not None:
        coords["time_ms"] = ("time_step", times)
    dims = ("split", "area", "time_step")
    return xr.Dataset({"similarity": (dims, values), "score": (dims[1:], _nanmean(values, axis=0)),
                       "error": (dims[1:], _standard_error(values))}, coords=coords)


def check_reference_options(options: RSAOptions) -> None:
    """Raise ConfigError if ``options`` need what a brain RDM given on its own lacks (trials, for crossnobis)."""
    if options.rdm not in RDM_KINDS:
        raise ConfigError(f"rdm={options.rdm!r} needs repeated trials of the responses, which a model's features and "
                          "a brain RDM given on its own lack; choose rdm='correlation' or 'euclidean'.")


def _checked_reference(reference: np.ndarray, n: int) -> np.ndarray:
    """``reference`` as float64 (N, N); raises DataFormatError naming what is wrong with it."""
    matrix = np.asarray(reference, dtype=np.float64)
    if matrix.shape != (n, n):
        raise DataFormatError(f"the brain RDM is {matrix.shape} but there are {n} stimuli; give one row and column "
                              "per stimulus, in the stimulus set's order.")
    if not np.isfinite(matrix).all():
        raise DataFormatError("the brain RDM holds NaN or infinite dissimilarities; drop those stimuli from the RDM "
                              "and the stimulus set.")
    if not np.allclose(matrix, matrix.T):
        raise DataFormatError("the brain RDM is not symmetric; give a dissimilarity matrix (d[i, j] = d[j, i]).")
    return matrix
