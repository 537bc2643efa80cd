"""BCa intervals and multiple-comparison corrections of the comparison, against scipy and hand computations."""

import numpy as np
import pytest
from scipy.stats import bootstrap, false_discovery_control

from chronoscore.analyses.paired_statistics import adjust_p_values, bca_interval, bootstrap_indices, nan_median


def median_difference(model, reference, axis=-1):
    return nan_median(model, axis=axis) - nan_median(reference, axis=axis)


def ceiled_difference(model, reference, ceiling, axis=-1):
    limit = nan_median(ceiling, axis=axis)
    return nan_median(model, axis=axis) ** 2 / limit - nan_median(reference, axis=axis) ** 2 / limit


@pytest.mark.parametrize("n, n_bootstrap, seed, confidence", [(12, 400, 0, 0.95), (40, 999, 1, 0.9),
                                                              (87, 2000, 2, 0.95)])
def test_bca_interval_is_scipys_paired_bca_on_the_same_resamples(n, n_bootstrap, seed, confidence):
    data = np.random.default_rng(seed + 100)
    model = data.normal(0.4, 0.2, n)
    reference = model - data.gamma(2.0, 0.05, n)  # skewed differences: the acceleration matters
    ceiling = data.uniform(0.5, 0.9, n)
    for statistic, samples in ((median_difference, (model, reference)),
                               (ceiled_difference, (model, reference, ceiling))):
        indices = bootstrap_indices(np.random.default_rng(seed), n, n_bootstrap)
        ours = bca_interval(statistic, samples, indices, confidence)
        theirs = bootstrap(samples, statistic, paired=True, vectorized=True, method="BCa",
                           n_resamples=n_bootstrap, confidence_level=confidence, rng=np.random.default_rng(seed))
        np.testing.assert_allclose(ours, [theirs.confidence_interval.low, theirs.confidence_interval.high],
                                   rtol=1e-12, atol=1e-14)


def test_bca_interval_differs_from_the_percentile_interval_when_the_statistic_is_skewed():
    data = np.random.default_rng(5)
    model, reference = data.exponential(1.0, 30), np.zeros(30)
    indices = bootstrap_indices(np.random.default_rng(0), 30, 2000)
    values = median_difference(model[indices], reference[indices])
    percentile = np.quantile(values, [0.025, 0.975])
    assert not np.allclose(bca_interval(median_difference, (model, reference), indices, 0.95), percentile)


def test_bca_interval_of_identical_models_is_zero_and_leaves_nan_neuroids_out():
    model = np.array([0.1, 0.3, np.nan, 0.5, 0.2, 0.4])
    indices = bootstrap_indices(np.random.default_rng(0), 6, 200)
    np.testing.assert_array_equal(bca_interval(median_difference, (model, model.copy()), indices, 0.95), [0, 0])
    assert np.isnan(bca_interval(median_difference, (np.full(6, np.nan), model), indices, 0.95)).all()


def test_benjamini_hochberg_is_scipys():
    p_values = np.random.default_rng(3).uniform(0, 0.2, (4, 7))
    np.testing.assert_allclose(adjust_p_values(p_values, "bh"), false_discovery_control(p_values, axis=None).reshape(4, 7),
                               rtol=1e-14)


def holm_by_hand(p_values):
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted, running = [0.0] * m, 0.0
    for position, i in enumerate(order):
        running = max(running, min(1.0, (m - position) * p_values[i]))
        adjusted[i] = running
    return adjusted


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_holm_is_the_step_down_bonferroni_written_out(seed):
    p_values = np.random.default_rng(seed).uniform(0, 0.3, 9)
    np.testing.assert_allclose(adjust_p_values(p_values, "holm"), holm_by_hand(list(p_values)), rtol=1e-14)


def test_corrections_leave_nan_out_of_the_family_and_none_changes_nothing():
    p_values = np.array([0.01, np.nan, 0.04, 0.03])
    bh = adjust_p_values(p_values, "bh")
    assert np.isnan(bh[1])
    np.testing.assert_allclose(bh[[0, 2, 3]], false_discovery_control(p_values[[0, 2, 3]]), rtol=1e-14)
    np.testing.assert_array_equal(adjust_p_values(p_values, "none"), p_values)
    with pytest.raises(ValueError, match="bh, holm, none"):
        adjust_p_values(p_values, "bonferroni")
