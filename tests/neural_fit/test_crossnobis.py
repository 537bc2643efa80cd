"""Crossnobis RDMs (Walther et al. 2016) against their definition written out with loops, and the ``rsa`` option.

The reference below visits every pair of stimuli and every ordered pair of
different repetitions, with the inverse of the shrunk residual covariance from
``numpy.linalg.inv``; the Ledoit–Wolf weight is scikit-learn's.
"""

import dataclasses

import numpy as np
import pytest
from scipy.stats import spearmanr
from sklearn.covariance import ledoit_wolf_shrinkage

from chronoscore.errors import ConfigError, DataFormatError
from chronoscore.neural_fit.assembly import average_repetitions
from chronoscore.neural_fit.crossnobis import crossnobis_rdm, ledoit_wolf_shrinkage as our_shrinkage
from chronoscore.neural_fit.metrics.rsa import RSAOptions
from chronoscore.neural_fit.scoring import neural_predictivity
from chronoscore.neural_fit.settings import FitSettings

from .synthetic import recording

SHAPES = [(6, 3, 4), (8, 4, 10), (5, 2, 7)]   # stimuli, repetitions, neuroids


def reference_crossnobis(trials, weight):
    """d(i, j) = sum over m != n of (x_mi - x_mj) inv(Σ_λ) (x_ni - x_nj)ᵀ / (M (M - 1) q), by loops."""
    n, m, q = trials.shape
    residuals = np.concatenate([trials[i] - trials[i].mean(axis=0) for i in range(n)])
    covariance = residuals.T @ residuals / (n * (m - 1))
    shrunk = (1 - weight) * covariance + weight * np.trace(covariance) / q * np.eye(q)
    precision = np.linalg.inv(shrunk)
    distances = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            if i == j:
                continue
            total = sum((trials[i, a] - trials[j, a]) @ precision @ (trials[i, b] - trials[j, b])
                        for a in range(m) for b in range(m) if a != b)
            distances[i, j] = total / (m * (m - 1) * q)
    return distances


def noisy_trials(seed, shape):
    rng = np.random.default_rng(seed)
    n, m, q = shape
    mixing = np.eye(q) + rng.normal(size=(q, q)) / np.sqrt(q)       # correlated noise across neuroids
    return 0.5 * rng.normal(size=(n, 1, q)) + rng.normal(size=(n, m, q)) @ mixing   # distances of order 1


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("weight", [0.0, 0.3, 1.0])
def test_the_rdm_equals_the_definition(seed, shape, weight):
    trials = noisy_trials(seed, shape)
    if weight == 0.0 and shape[0] * (shape[1] - 1) < shape[2]:
        pytest.skip("no shrinkage needs more residual degrees of freedom than neuroids")
    np.testing.assert_allclose(crossnobis_rdm(trials, weight), reference_crossnobis(trials, weight), rtol=0,
                               atol=1e-10)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("shape", SHAPES)
def test_the_default_shrinkage_is_ledoit_wolf_on_the_residuals(seed, shape):
    trials = noisy_trials(seed, shape)
    residuals = (trials - trials.mean(axis=1, keepdims=True)).reshape(-1, shape[2])
    weight = ledoit_wolf_shrinkage(residuals, assume_centered=True)
    assert our_shrinkage(residuals) == pytest.approx(weight, abs=1e-12)
    np.testing.assert_allclose(crossnobis_rdm(trials), reference_crossnobis(trials, weight), rtol=0, atol=1e-10)


def test_noise_alone_gives_distances_near_zero_and_signal_positive_ones():
    """Cross-validation removes the noise bias a plain distance of trial means has."""
    rng = np.random.default_rng(0)
    noise_only = rng.normal(size=(10, 50, 6))
    assert abs(crossnobis_rdm(noise_only, 0.0)[np.triu_indices(10, 1)].mean()) < 0.02
    with_signal = noise_only + 3 * rng.normal(size=(10, 1, 6))
    assert crossnobis_rdm(with_signal, 0.0)[np.triu_indices(10, 1)].min() > 0


def test_one_repetition_missing_trials_and_a_singular_covariance_are_refused():
    trials = noisy_trials(0, (5, 3, 4))
    with pytest.raises(DataFormatError, match="needs at least 2 trials of every stimulus"):
        crossnobis_rdm(trials[:, :1])
    gappy = trials.copy()
    gappy[2, 1, 0] = np.nan
    with pytest.raises(DataFormatError, match=r"1 stimuli \(rows \[2\]\) lack a trial"):
        crossnobis_rdm(gappy)
    wide = noisy_trials(0, (3, 2, 10))                    # 3 residual degrees of freedom, 10 neuroids
    with pytest.raises(DataFormatError, match="noise covariance of the trials is singular.*noise_shrinkage"):
        crossnobis_rdm(wide, 0.0)


# --- the rsa metric's option ---

def crossnobis_settings(**options):
    return FitSettings(metric="rsa", metric_options={"rdm": "crossnobis", "cross_validate": False, **options},
                       n_splits=2, ceiling_splits=2, ceiling_floor=0.0)


def test_rsa_with_crossnobis_compares_the_models_squared_distances_with_the_neural_crossnobis_rdm():
    model, raw = recording(5, n_objects=3, per_object=4, n_neuroids=6, n_features=9, n_repetitions=4, noise=1.0)
    scores = neural_predictivity(model, raw, crossnobis_settings(noise_shrinkage=0.25), progress=False)
    stimuli = average_repetitions(raw)["stimulus_id"].values
    trials = np.stack([[raw.values[(raw["stimulus_id"].values == stimulus) & (raw["repetition"].values == r), :, 0][0]
                        for r in range(4)] for stimulus in stimuli])                    # (N, M, q)
    features = model.sel(presentation=[list(model["stimulus_id"].values).index(s) for s in stimuli]).values
    rows, columns = np.triu_indices(len(stimuli), 1)
    model_rdm = ((features[:, None] - features[None]) ** 2).sum(-1) / features.shape[1]
    expected = spearmanr(model_rdm[rows, columns], reference_crossnobis(trials, 0.25)[rows, columns]).statistic
    assert float(scores["score"].values[0, 0]) == pytest.approx(expected, abs=1e-12)
    assert np.isfinite(scores["ceiling"].values).all()


def test_the_crossnobis_ceiling_compares_the_rdms_of_two_halves_of_the_repetitions():
    from sklearn.model_selection import ShuffleSplit

    model, raw = recording(6, n_objects=3, per_object=4, n_neuroids=5, n_features=9, n_repetitions=4, noise=1.0)
    settings = crossnobis_settings(noise_shrinkage=0.5)
    scores = neural_predictivity(model, raw, settings, progress=False)
    stimuli = np.unique(raw["stimulus_id"].values)
    trials = np.stack([[raw.values[(raw["stimulus_id"].values == stimulus) & (raw["repetition"].values == r), :, 0][0]
                        for r in range(4)] for stimulus in stimuli])
    rows, columns = np.triu_indices(len(stimuli), 1)
    corrected = []
    for first, second in ShuffleSplit(n_splits=2, train_size=0.5, random_state=1).split(np.zeros(4)):
        r = spearmanr(reference_crossnobis(trials[:, first], 0.5)[rows, columns],
                      reference_crossnobis(trials[:, second], 0.5)[rows, columns]).statistic
        corrected.append(2 * r / (1 + r))
    assert float(scores["ceiling"].values[0, 0]) == pytest.approx(np.mean(corrected), abs=1e-10)


def test_crossnobis_refuses_data_without_repetitions():
    model, raw = recording(7, n_objects=3, per_object=4, n_neuroids=5, n_repetitions=4)
    with pytest.raises(DataFormatError, match="no repetition coordinate \\(it is trial-averaged\\)"):
        neural_predictivity(model, average_repetitions(raw), crossnobis_settings(), progress=False)
    once = raw.isel(presentation=raw["repetition"].values == 0)
    with pytest.raises(DataFormatError, match="has 1 repetition; give at least 2 trials per stimulus"):
        neural_predictivity(model, once, crossnobis_settings(), progress=False)
    three = raw.isel(presentation=raw["repetition"].values < 3)
    with pytest.raises(DataFormatError, match="two halves of the repetitions.*has 3 repetitions; give at least 4"):
        neural_predictivity(model, three, crossnobis_settings(), progress=False)


def test_the_shrinkage_option_is_checked():
    with pytest.raises(ConfigError, match="noise_shrinkage must be a number from 0 to 1"):
        RSAOptions(rdm="crossnobis", noise_shrinkage=1.5)
    assert dataclasses.replace(RSAOptions(), rdm="crossnobis").noise_shrinkage is None
