"""Scores of metrics that compare whole representations (RSA, CKA) per region and time bin.

Such a metric fits nothing: it turns the model's features and the neural
responses each into a stimulus × stimulus matrix (an RDM, a Gram matrix) and
compares the two on the held-out stimuli of every split, as Brain-Score's
test-only cross-validation (``rdm_cv``, ``cka_cv``) does. Each matrix is made
once per model step and neural bin over all stimuli and only subset per split.

Time modes, as for the regression metrics:

``per_bin``
    each bin's neural matrix against the matrix of the model step mapped to it;
``shared``
    every bin against one model matrix, made from the features of the mapped
    steps of all bins side by side (one model representation for the whole
    time course, as ``shared`` fits one regression for all bins);
``matrix``
    every (model step, neural bin) pair.

The ``best`` mapping picks, per split and bin, the step most similar on the
split's training stimuli.

Scores hold ``similarity`` (split, region[, time_step], time_bin), ``score``
(its mean over splits), ``error`` (standard error over splits, ddof 0 as
Brain-Score), ``step_for_bin`` (region, split, time_bin; not in ``matrix``) and,
for raw trials, ``ceiling`` (split-half reliability of the neural matrix,
Spearman-Brown corrected), ``ceiling_error``, ``ceiled_score`` (``score /
ceiling``, NaN below the settings' ``ceiling_floor``) and ``ceiling_below_floor``.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import warnings
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

import numpy as np
import xarray as xr
from sklearn.model_selection import ShuffleSplit
from tqdm.auto import tqdm

from chronoscore.errors import ConfigError, DataFormatError
from chronoscore.neural_fit.assembly import average_repetitions, validate_assembly
from chronoscore.neural_fit.ceiling import spearman_brown, trials_by_repetition
from chronoscore.neural_fit.features import feature_steps, step_times
from chronoscore.neural_fit.predictivity import TimeMode
from chronoscore.neural_fit.provenance import provenance_attrs
from chronoscore.neural_fit.scoring import (_coords_on, _features_per_region, _labels, _nanmean, _regions,
                                            _standard_error)
from chronoscore.neural_fit.settings import FitSettings
from chronoscore.neural_fit.splits import Split, given_splits, kfold_splits, shuffle_splits

__all__ = ["Similarity", "RegionScorer", "RegionEvaluator", "UninformativeStepWarning", "SimilarityEvaluator", "representational_scores", "test_only_splits"]


class Similarity(Protocol):
    """How a metric turns patterns into a matrix and compares two matrices on a subset of stimuli."""

    min_stimuli: int
    """Fewest stimuli a comparison needs."""
    larger_is_closer: bool
    """Whether larger values mean more similar representations (False for a distance)."""

    def prepare(self, patterns: np.ndarray, what: str) -> Any:
        """The matrix of (N, D) ``patterns`` (raising a chronoscore error that names ``what`` if undefined)."""

    def select(self, n: int, stimuli: np.ndarray) -> Any:
        """A selector of the stimuli ``stimuli`` (indices) among ``n``, reused for every comparison on them."""

    def compare(self, model: Any, neural: Any, selector: Any) -> float:
        """Similarity of two prepared matrices on the selected stimuli."""

    # Optional: ``warm(model, neural, selectors) -> None`` makes, before the pair's comparisons on the
    # given selectors run on several threads at once, what those comparisons share (each would
    # otherwise make it itself), and ``release(model, neural) -> None`` drops it after the last.


class RegionScorer(Protocol):
    """A metric's scoring of one region's model design (T', n, p) and neural responses (n, q, B)."""

    def values(self, mode: TimeMode, steps: np.ndarray, splits: list[Split], n_time_steps: int) -> np.ndarray:
        """(S, B), or (S, T, B) for ``matrix`` (NaN at steps the region lacks), given the step of each bin
        per split (S, B)."""

    def best_steps(self, splits: list[Split]) -> np.ndarray:
        """(S, B): per split and bin, the step scoring best on the split's training stimuli."""


class RegionEvaluator(Protocol):
    """A metric's scoring, made for one region at a time."""

    min_stimuli: int
    """Fewest stimuli on each compared side of a split."""
    similarity: Similarity | None
    """Compares two repetition halves of the neural data for the ceiling; None: no ceiling."""

    def region(self, design: np.ndarray, responses: np.ndarray, name: str) -> RegionScorer:
        """The scorer of one region."""


def test_only_splits(averaged: xr.DataArray, settings: FitSettings, test_size: float | None, cross_validate: bool,
                     splits: Sequence[tuple[Sequence[str], Sequence[str]]] | None) -> list[Split]:
    """The splits whose test stimuli are compared: user-given, all stimuli once, k-fold, or shuffle splits
    holding out ``test_size`` of the stimuli (Brain-Score's ``rdm_cv``/``cka_cv``: 0.9; None: the settings'
    ``train_size`` is trained on)."""
    stimuli = averaged["stimulus_id"].values
    if splits is not None:
        return given_splits(stimuli, splits)
    if not cross_validate:
        return [(np.array([], dtype=int), np.arange(len(stimuli)))]
    labels = _labels(averaged, settings)
    if settings.splits == "kfold":
        return kfold_splits(stimuli, labels, n_splits=settings.n_splits, random_state=settings.random_state)
    return shuffle_splits(stimuli, labels, n_splits=settings.n_splits, train_size=settings.train_size,
                          test_size=test_size, random_state=settings.random_state)


def representational_scores(features: xr.DataArray | Mapping[str, xr.DataArray], neural: xr.DataArray,
                            settings: FitSettings, evaluator: RegionEvaluator, *, test_size: float | None,
                            cross_validate: bool, time_modes: Sequence[TimeMode],
                            splits: Sequence[tuple[Sequence[str], Sequence[str]]] | None = None,
                            progress: bool = True) -> dict[TimeMode, xr.Dataset]:
    """Scores of ``evaluator`` (e.g. a :class:`SimilarityEvaluator`) per region, split and time bin.

    Parameters
    ----------
    features, neural, splits, progress
        As :func:`chronoscore.neural_fit.scoring.neural_predictivity`.
    settings : FitSettings
    evaluator : RegionEvaluator
    test_size : float or None
        Fraction of stimuli each shuffle split compares (None: the settings' ``train_size`` is trained on).
    cross_validate : bool
        False: one comparison over all stimuli (Brain-Score's ``rdm``/``cka``).
    time_modes : sequence of {"per_bin", "shared", "matrix"}

    Returns
    -------
    dict of time mode to xarray.Dataset
        See the module docstring.
    """
    provenance = _BACKGROUND.submit(provenance_attrs, features, neural, settings.to_json(), settings.random_state)
    averaged = average_repetitions(neural)
    stimuli = averaged["stimulus_id"].values
    trials = _trials(neural, stimuli) if getattr(evaluator, "from_trials", False) else None
    ceiling = None
    if "repetition" in neural.coords and evaluator.similarity is not None:
        ceiling = _ceiling(neural, settings, evaluator.similarity)
    regions = _regions(averaged)
    per_region = _features_per_region(features, regions)
    designs = {region: feature_steps(per_region[region], stimuli) for region in regions}
    mappings = {region: settings.mapping_for(region).resolve(
        step_times(per_region[region], len(designs[region][1]))) for region in regions}
    if not cross_validate and any(mapping.kind == "best" for mapping in mappings.values()):
        raise ConfigError("the 'best' time mapping chooses steps on training stimuli, which a comparison over all "
                          "stimuli (cross_validate=False) lacks; use another mapping or cross-validate.")
    chosen_splits = test_only_splits(averaged, settings, test_size, cross_validate, splits)
    _check_split_sizes(chosen_splits, evaluator.min_stimuli, any(m.kind == "best" for m in mappings.values()))
    n = len(stimuli)
    responses = trials if trials is not None else averaged.transpose("presentation", "neuroid", "time_bin").values
    longest = max(regions, key=lambda region: len(designs[region][1]))
    time_step = designs[longest][1]
    times = step_times(per_region[longest], len(time_step))
    per_mode: dict[str, list] = {mode: [] for mode in time_modes}
    steps = []
    with tqdm(total=len(regions) * len(time_modes), desc=f"neural fit ({settings.metric})", unit="region",
              disable=not progress) as bar:
        for region in regions:
            design = designs[region][0]
            scorer = evaluator.region(design, responses[..., averaged["region"].values == region, :], region)
            mapping = mappings[region]
            if mapping.kind == "best":
                region_steps = scorer.best_steps(chosen_splits)
            else:
                bins = mapping.steps_for_bins(averaged["time_bin_start"].values, averaged["time_bin_end"].values,
                                              design.shape[0])
                region_steps = np.tile(bins, (len(chosen_splits), 1))
            steps.append(region_steps)
            for mode in time_modes:
                per_mode[mode].append(scorer.values(mode, region_steps, chosen_splits, len(time_step)))
                bar.update(1)
    provenance = provenance.result()
    described = "; ".join(f"{region}: {mappings[region].describe()}" for region in regions)
    results = {}
    for mode in time_modes:
        mode_settings = dataclasses.replace(settings, time=mode)
        scores = _package(np.stack(per_mode[mode], axis=1), averaged, regions, time_step, times,
                          np.stack(steps), mode == "matrix")
        if ceiling is not None:
            scores = scores.merge(ceiling, compat="no_conflicts")
            score, bound = xr.broadcast(scores["score"], scores["ceiling"])
            with np.errstate(divide="ignore", invalid="ignore"):
                ceiled = np.where(bound.values >= settings.ceiling_floor, score.values / bound.values, np.nan)
            scores["ceiled_score"] = score.copy(data=ceiled)
            scores["ceiling_below_floor"] = scores["ceiling"] < settings.ceiling_floor
            scores.attrs["ceiling_floor"] = settings.ceiling_floor
            scores.attrs["ceiling_convention"] = "score_over_ceiling"
        scores.attrs.update(provenance, metric_settings=mode_settings.to_json())
        scores.attrs["time_mapping"] = described
        scores.attrs["n_stimuli"] = n
        results[mode] = scores
    return results


def _check_split_sizes(splits: list[Split], fewest: int, best: bool) -> None:
    for number, (train, test) in enumerate(splits):
        if len(test) < fewest or (best and len(train) < fewest):
            side = "test" if len(test) < fewest else "training"
            raise DataFormatError(
                f"split {number} compares only {len(test) if side == 'test' else len(train)} {side} stimuli, but "
                f"this metric needs at least {fewest}; use more stimuli, a larger test_size, fewer k-fold splits "
                "or cross_validate=False.")


class SimilarityEvaluator:
    """Scores regions by comparing model and neural matrices (:class:`Similarity`) on each split's test stimuli;
    ``ceiling=False`` reports no ceiling (for a distance, which split-half reliability does not normalise).

    A similarity whose ``from_trials`` is true makes the neural matrix from raw trials
    (``prepare_trials`` of (N, M, q) trials, e.g. a crossnobis RDM): its regions get
    responses (n, M, q, B) instead of trial means (n, q, B).
    """

    def __init__(self, similarity: Similarity, *, ceiling: bool = True) -> None:
        self.similarity = similarity if ceiling else None
        self._similarity = similarity
        self.min_stimuli = similarity.min_stimuli
        self.from_trials = bool(getattr(similarity, "from_trials", False))

    def region(self, design: np.ndarray, responses: np.ndarray, name: str) -> _SimilarityRegion:
        """See :class:`RegionEvaluator`."""
        return _SimilarityRegion(self._similarity, design, responses, name)


class _SimilarityRegion:
    """One region's matrices, each prepared once over all stimuli and subset per split."""

    def __init__(self, similarity: Similarity, design: np.ndarray, responses: np.ndarray, name: str) -> None:
        self.similarity, self.design, self.name = similarity, design, name
        self.neural = [_prepare_neural(similarity, responses[..., b], f"neural region {name}, time bin {b}")
                       for b in range(responses.shape[-1])]
        self._model: dict[int, Any] = {}

    def model(self, step: int) -> Any:
        """The prepared matrix of the model's features at ``step``; None if every stimulus has the same
        features there (e.g. before the area has received input): its similarities are NaN, with a warning."""
        if step not in self._model:
            if _same_for_every_stimulus(self.design[step]):
                warnings.warn(f"model features for region {self.name} are the same for every stimulus at step "
                              f"{step} (the area has not responded yet?); its similarities are NaN.",
                              UninformativeStepWarning, stacklevel=2)
                self._model[step] = None
            else:
                self._model[step] = self.similarity.prepare(self.design[step],
                                                            f"model features for region {self.name}, step {step}")
        return self._model[step]

    def compare(self, model: Any, neural: Any, selector: Any) -> float:
        """The similarity, NaN for an uninformative model step."""
        return float("nan") if model is None else self.similarity.compare(model, neural, selector)

    def values(self, mode: TimeMode, steps: np.ndarray, splits: list[Split], n_time_steps: int) -> np.ndarray:
        """See :class:`RegionScorer`."""
        tests = [self.similarity.select(self.design.shape[1], test) for _, test in splits]
        if mode == "matrix":
            return self._matrix_values(tests, set(np.unique(steps).tolist()), n_time_steps)
        comparisons = []
        for s, test in enumerate(tests):
            if mode == "shared":
                joined = np.concatenate([self.design[step] for step in steps[s]], axis=1)
                shared = None if _same_for_every_stimulus(joined) else self.similarity.prepare(
                    joined, f"model features for region {self.name}, steps {steps[s].tolist()}")
                comparisons += [(shared, neural, test) for neural in self.neural]
            else:
                comparisons += [(self.model(step), neural, test)
                                for step, neural in zip(steps[s], self.neural, strict=True)]
        return np.reshape(self._compare_all(comparisons), (len(tests), len(self.neural)))

    def _matrix_values(self, tests: list[Any], mapped_steps: set[int], n_time_steps: int) -> np.ndarray:
        """(S, T, B) similarities of every model step with every bin, one step at a time: a step's matrix is
        made, compared on every split and dropped, unless it is one of ``mapped_steps`` (which the other
        time modes use), so that only a few model matrices are held at once, not T (each 100 MB for an
        RDM of 3200 stimuli)."""
        values = np.full((len(tests), n_time_steps, len(self.neural)), np.nan)
        for t in range(self.design.shape[0]):
            values[:, t] = self._step_values(t, tests)
            if t not in mapped_steps:
                del self._model[t]
        return values

    def _step_values(self, step: int, tests: list[Any]) -> np.ndarray:
        """(S, B) similarities of the model at ``step`` with every bin on every split."""
        comparisons = [(self.model(step), neural, test) for neural in self.neural for test in tests]
        return np.reshape(self._compare_all(comparisons), (len(self.neural), len(tests))).T

    def _compare_all(self, comparisons: list[tuple[Any, Any, Any]]) -> list[float]:
        """:meth:`compare` of each (model, neural, selector), every matrix already prepared, on a pool of
        threads (numpy releases the GIL in the gathers and sums a comparison is made of); see
        :class:`_SharedPerPair` for what a pair of matrices shares across its comparisons."""
        shared = _SharedPerPair(self.similarity, comparisons)

        def run(comparison: tuple[Any, Any, Any]) -> float:
            model, neural, _ = comparison
            shared.before(model, neural)
            value = self.compare(*comparison)
            shared.after(model, neural)
            return value

        with ThreadPoolExecutor(max_workers=_COMPARISON_THREADS) as pool:
            return list(pool.map(run, comparisons))

    def best_steps(self, splits: list[Split]) -> np.ndarray:
        """See :class:`RegionScorer`."""
        chosen = np.zeros((len(splits), len(self.neural)), dtype=int)
        for s, (train, _) in enumerate(splits):
            selector = self.similarity.select(self.design.shape[1], train)
            values = np.array([[self.compare(self.model(t), neural, selector) for neural in self.neural]
                               for t in range(self.design.shape[0])])
            values = values if self.similarity.larger_is_closer else -values
            chosen[s] = np.argmax(np.where(np.isfinite(values), values, -np.inf), axis=0)
        return chosen


class _SharedPerPair:
    """Makes what the comparisons of a pair of matrices share before the first of them runs, and drops it
    after the last has run, through the similarity's optional ``warm(model, neural, selectors)`` and
    ``release(model, neural)``.

    Only pairs whose comparisons are under way keep their shared state: when each pair's comparisons
    come together in the list (as in ``matrix`` mode, one model step's pairs at a time), a few at a time,
    however many pairs there are.
    """

    def __init__(self, similarity: Similarity, comparisons: list[tuple[Any, Any, Any]]) -> None:
        self.warm = getattr(similarity, "warm", None)
        self.release = getattr(similarity, "release", None)
        self.selectors: dict[tuple[int, int], list] = {}
        for model, neural, selector in comparisons:
            if model is not None:
                self.selectors.setdefault((id(model), id(neural)), []).append(selector)
        self.left = {key: len(chosen) for key, chosen in self.selectors.items()}
        self.warming = {key: threading.Lock() for key in self.selectors}
        self.warmed: set[tuple[int, int]] = set()
        self.counting = threading.Lock()

    def before(self, model: Any, neural: Any) -> None:
        """Warm the pair if no comparison of it has yet (a second thread waits for the first to finish)."""
        if model is None or self.warm is None:
            return
        key = (id(model), id(neural))
        with self.warming[key]:
            if key not in self.warmed:
                self.warm(model, neural, self.selectors[key])
                self.warmed.add(key)

    def after(self, model: Any, neural: Any) -> None:
        """Count one comparison of the pair done; release the pair after its last."""
        if model is None:
            return
        key = (id(model), id(neural))
        with self.counting:
            self.left[key] -= 1
            last = self.left[key] == 0
        if last and self.release is not None:
            self.release(model, neural)


_COMPARISON_THREADS = min(4, os.cpu_count() or 1)
"""Threads comparing matrices on different splits at once."""

_BACKGROUND = ThreadPoolExecutor(max_workers=1, thread_name_prefix="provenance")
"""Hashes the inputs for the scores' provenance while they are scored."""


class UninformativeStepWarning(UserWarning):
    """A model step whose features are the same for every stimulus: its similarities are NaN."""


def _same_for_every_stimulus(patterns: np.ndarray) -> bool:
    """Whether every row of (N, D) ``patterns`` is the same (the second row decides most cases at once)."""
    if len(patterns) > 1 and not np.array_equal(patterns[1], patterns[0]):
        return False
    return bool(np.all(patterns == patterns[:1]))


def _prepare_neural(similarity: Similarity, patterns: np.ndarray, what: str) -> Any:
    """``similarity.prepare`` of (N, q) neural responses, or ``prepare_trials`` of (N, M, q) trials; they must
    tell the stimuli apart."""
    if _same_for_every_stimulus(patterns):
        raise DataFormatError(f"{what}: the responses are the same for every stimulus, so there is no "
                              "representation to compare; drop that bin or region, or check the assembly's values.")
    return similarity.prepare_trials(patterns, what) if patterns.ndim == 3 else similarity.prepare(patterns, what)


def _trials(neural: xr.DataArray, stimuli: np.ndarray) -> np.ndarray:
    """Raw trials (n, M, q, B), stimuli in the order of ``stimuli``; raises if the assembly has no repetitions."""
    if "repetition" not in neural.coords:
        raise DataFormatError("a crossnobis RDM is cross-validated over repeated trials, but the assembly has no "
                              "repetition coordinate (it is trial-averaged); give the raw trials, numbered by "
                              "repetition, or choose rdm='correlation' or 'euclidean'.")
    repetitions = np.unique(neural["repetition"].values).size
    if repetitions < 2:
        raise DataFormatError(f"a crossnobis RDM is cross-validated over repeated trials, but the assembly has "
                              f"{repetitions} repetition; give at least 2 trials per stimulus, or choose "
                              "rdm='correlation' or 'euclidean'.")
    values = neural.transpose("presentation", "neuroid", "time_bin").values
    dense, order, _ = trials_by_repetition(values, neural["stimulus_id"].values, neural["repetition"].values)
    position = {stimulus: index for index, stimulus in enumerate(order)}
    return dense[[position[stimulus] for stimulus in stimuli]]


def _ceiling(neural: xr.DataArray, settings: FitSettings, similarity: Similarity) -> xr.Dataset:
    """Split-half reliability of each region's neural matrix per bin, Spearman-Brown corrected.

    Repetitions are split in halves as :func:`chronoscore.neural_fit.ceiling.split_half_consistency`
    does (``ceiling_splits`` draws, seed ``random_state``); each half's trial mean gives a
    matrix over all stimuli, and the two are compared.
    """
    validate_assembly(neural, trial_averaged=False, allow_nan=True)
    values = neural.transpose("presentation", "neuroid", "time_bin").values
    dense, stimuli, _ = trials_by_repetition(values, neural["stimulus_id"].values, neural["repetition"].values)
    regions = _regions(neural)
    region_of = neural["region"].values
    if getattr(similarity, "from_trials", False) and dense.shape[1] < 4:
        raise DataFormatError(f"the ceiling compares crossnobis RDMs of two halves of the repetitions, each needing at "
                              f"least 2, but the data has {dense.shape[1]} repetitions; give at least 4, or choose "
                              "rdm='correlation' or 'euclidean'.")
    splitter = ShuffleSplit(n_splits=settings.ceiling_splits, train_size=0.5, random_state=settings.random_state)
    selector = similarity.select(len(stimuli), np.arange(len(stimuli)))
    per_split = []
    for first, second in splitter.split(np.zeros(dense.shape[1])):
        halves = [dense[:, half] if getattr(similarity, "from_trials", False) else _half_mean(dense, half, stimuli)
                  for half in (first, second)]
        per_split.append([[similarity.compare(*(_prepare_neural(similarity, half[..., region_of == region, b],
                                                                f"half of the trials, region {region}, bin {b}")
                                                for half in halves), selector)
                           for b in range(dense.shape[3])] for region in regions])
    corrected = spearman_brown(np.asarray(per_split, dtype=float))  # (splits, R, B)
    return xr.Dataset({"ceiling": (("region", "time_bin"), _nanmean(corrected, axis=0)),
                       "ceiling_error": (("region", "time_bin"), _standard_error(corrected))},
                      coords={**_coords_on(neural, "time_bin"), "region": regions})


def _half_mean(dense: np.ndarray, repetitions: np.ndarray, stimuli: np.ndarray) -> np.ndarray:
    """Trial mean (N, q, B) over ``repetitions``; raises if a stimulus has no trial among them."""
    part = dense[:, repetitions]
    present = np.isfinite(part).any(axis=(2, 3))
    lacking = np.flatnonzero(~present.any(axis=1))
    if lacking.size:
        raise DataFormatError(
            f"stimuli {stimuli[lacking[:5]].tolist()} lack trials in a random half of the repetitions, so their "
            "split-half reliability is undefined; give every stimulus the same repetitions (at least 2), or drop "
            "the stimuli recorded fewer times.")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(part, axis=1)


def _package(values: np.ndarray, averaged: xr.DataArray, regions: list[str], time_step: np.ndarray,
             times: np.ndarray | None, steps: np.ndarray, matrix: bool) -> xr.Dataset:
    """Scores from similarities (S, R, B) or (S, R, T, B)."""
    dims = ("split", "region", "time_step", "time_bin") if matrix else ("split", "region", "time_bin")
    coords = {**_coords_on(averaged, "time_bin"), "region": regions, "split": np.arange(values.shape[0])}
    if matrix:
        coords["time_step"] = time_step
        if times is not None:
            coords["time_ms"] = ("time_step", times)
    data = {"similarity": (dims, values), "score": (dims[1:], _nanmean(values, axis=0)),
            "error": (dims[1:], _standard_error(values))}
    if not matrix:
        data["step_for_bin"] = (("region", "split", "time_bin"), steps)
    return xr.Dataset(data, coords=coords)
