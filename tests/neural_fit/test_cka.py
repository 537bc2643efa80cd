"""The ``cka`` metric against CKA written out here with explicit centring matrices, and its bad input."""

import dataclasses

import numpy as np
import pytest
from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit

from chronoscore.errors import ConfigError, DataFormatError
from chronoscore.neural_fit.hsic import Kernel, subset_cka
from chronoscore.neural_fit.assembly import average_repetitions
from chronoscore.neural_fit.scoring import neural_predictivity
from chronoscore.neural_fit.representational import UninformativeStepWarning
from chronoscore.neural_fit.settings import FitSettings
from chronoscore.neural_fit.time_mapping import TimeMapping

from .synthetic import recording


def reference_kernel(x, kernel, sigma=0.0):
    if kernel == "linear":
        return x @ x.T
    distances = ((x[:, None, :] - x[None, :, :]) ** 2).sum(-1)
    width = sigma ** 2 if sigma else np.median(distances[~np.eye(len(x), dtype=bool)])
    return np.exp(-distances / (2 * width))


def reference_hsic(k, m, debiased):
    n = len(k)
    if not debiased:
        h = np.eye(n) - np.ones((n, n)) / n
        return np.trace(k @ h @ m @ h)
    k, m = k * (1 - np.eye(n)), m * (1 - np.eye(n))
    one = np.ones(n)
    return (np.trace(k @ m) + (one @ k @ one) * (one @ m @ one) / ((n - 1) * (n - 2))
            - 2 / (n - 2) * one @ k @ m @ one) / (n * (n - 3))


def reference_cka(x, y, kernel="linear", debiased=True, sigma=0.0):
    k, m = reference_kernel(x, kernel, sigma), reference_kernel(y, kernel, sigma)
    return reference_hsic(k, m, debiased) / np.sqrt(reference_hsic(k, k, debiased) * reference_hsic(m, m, debiased))


def cka_settings(**options):
    return FitSettings(metric="cka", metric_options=options, n_splits=3)


@pytest.mark.parametrize("kernel, debiased, sigma", [("linear", True, 0.0), ("linear", False, 0.0),
                                                     ("rbf", False, 0.0), ("rbf", True, 0.0), ("rbf", False, 7.0)])
@pytest.mark.parametrize("time", ["per_bin", "matrix"])
def test_cka_equals_the_definition_on_every_split(kernel, debiased, sigma, time):
    model, raw = recording(1, n_objects=4, per_object=8, n_bins=2, n_steps=2, n_features=12, n_neuroids=9)
    settings = dataclasses.replace(cka_settings(kernel=kernel, debiased=debiased, sigma=sigma, test_size=0.5),
                                   time=time, mapping=TimeMapping(kind="table", table=(1, 0)))
    scores = neural_predictivity(model, raw, settings, progress=False)
    averaged = average_repetitions(raw)
    x = model.transpose("time_step", "presentation", "neuroid").values
    y = averaged.values
    splitter = StratifiedShuffleSplit(n_splits=3, test_size=0.5, random_state=1)
    for s, (_, test) in enumerate(splitter.split(np.zeros(32), averaged["object_name"].values)):
        for b in range(2):
            if time == "matrix":
                for step in range(2):
                    expected = reference_cka(x[step][test], y[test, :, b], kernel, debiased, sigma)
                    assert scores["similarity"].values[s, 0, step, b] == pytest.approx(expected, abs=1e-10)
            else:
                expected = reference_cka(x[1 - b][test], y[test, :, b], kernel, debiased, sigma)
                assert scores["similarity"].values[s, 0, b] == pytest.approx(expected, abs=1e-10)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("debiased", [True, False])
def test_cka_on_a_subset_from_the_whole_kernels_equals_the_definition_on_the_subset(seed, debiased):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(8, 40))
    x = rng.normal(size=(n, int(rng.integers(2, 50)))) + rng.normal(size=3)[seed % 3] * 5
    y = x[:, :1] * rng.normal() + rng.normal(size=(n, int(rng.integers(1, 20))))
    subset = rng.choice(n, size=int(rng.integers(5, n + 1)), replace=False)  # most stimuli, or few
    held = np.setdiff1d(np.arange(n), subset)
    k, m = Kernel(x @ x.T), Kernel(y @ y.T)

    for _ in range(2):  # the second time from the sums kept over the whole kernels
        value = subset_cka(k, m, subset, held, debiased)
        assert value == pytest.approx(reference_cka(x[subset], y[subset], "linear", debiased), abs=1e-10)


def test_the_ceiling_is_the_spearman_brown_corrected_split_half_cka():
    model, raw = recording(3, n_objects=4, per_object=6, n_neuroids=10, n_repetitions=4)
    settings = dataclasses.replace(cka_settings(test_size=0.5), ceiling_splits=3, ceiling_floor=0.0)
    scores = neural_predictivity(model, raw, settings, progress=False)
    trials = np.stack([raw.values[raw["repetition"].values == r, :, 0] for r in range(4)], axis=1)  # (N, 4, q)
    corrected = []
    for first, second in ShuffleSplit(n_splits=3, train_size=0.5, random_state=1).split(np.zeros(4)):
        r = reference_cka(trials[:, first].mean(1), trials[:, second].mean(1))
        corrected.append(2 * r / (1 + r))
    assert float(scores["ceiling"].values[0, 0]) == pytest.approx(np.mean(corrected), abs=1e-12)
    assert float(scores["ceiled_score"].values[0, 0]) == pytest.approx(
        float(scores["score"].values[0, 0]) / np.mean(corrected), abs=1e-12)


def test_a_model_step_without_stimulus_information_is_nan_and_constant_responses_name_the_fix():
    model, raw = recording(7, n_objects=4, per_object=5)
    model[:] = 0.0
    with pytest.warns(UninformativeStepWarning, match="same for every stimulus at step 0"):
        scores = neural_predictivity(model, raw, cka_settings(cross_validate=False), progress=False)
    assert np.isnan(scores["score"].values).all()
    model, raw = recording(7, n_objects=4, per_object=5)
    raw[:] = 3.0
    with pytest.raises(DataFormatError, match="responses are the same for every stimulus.*drop that bin"):
        neural_predictivity(model, raw, cka_settings(cross_validate=False), progress=False)


def test_too_few_stimuli_name_the_fix():
    model, raw = recording(6, n_objects=1, per_object=5)
    with pytest.raises(DataFormatError, match="needs at least 4"):
        neural_predictivity(model, raw, FitSettings(metric="cka", metric_options={"test_size": 0.5}, n_splits=2,
                                                    stratify=None), progress=False)


def test_bad_options_are_refused():
    with pytest.raises(ConfigError, match="kernel must be one of linear, rbf"):
        cka_settings(kernel="polynomial")
    with pytest.raises(ConfigError, match="sigma must be a non-negative number"):
        cka_settings(sigma=-1.0)
