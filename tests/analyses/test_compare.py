"""compare: paired bootstrap intervals, signed-rank tests, matrix mode, alignment and bad input."""

import copy

import numpy as np
import pytest
import xarray as xr
from scipy.stats import bootstrap, false_discovery_control, wilcoxon

from chronoscore.analyses.compare import compare, read_comparison, write_comparison
from chronoscore.analyses.paired_statistics import adjust_p_values
from chronoscore.analyses.comparison_summary import comparison_table
from chronoscore.errors import ConfigError, DataFormatError
from chronoscore.neural_fit.scoring import neural_predictivity
from chronoscore.neural_fit.settings import FitSettings
from chronoscore.neural_fit.time_mapping import TimeMapping

from ..neural_fit.synthetic import recording

FAST = dict(metric_options={"n_components": 6}, n_splits=4)
REGIONS = ["V4"] * 10 + ["IT"] * 14   # unequal sizes, so resamples of the two regions cannot be mixed up


def scored_pair(seed: int = 0, **settings) -> tuple[xr.Dataset, xr.Dataset, xr.DataArray]:
    """Scores of the generating features ("true") and of a noisier copy ("noisy") on one recording."""
    features, raw = recording(seed, n_bins=3, n_steps=3, n_neuroids=len(REGIONS), region=REGIONS, noise=1.0)
    noisy = features.copy(data=features.values + 3.0 * np.random.default_rng(seed + 100).normal(size=features.shape))
    features.attrs["model"], noisy.attrs["model"] = "true", "noisy"
    fit = FitSettings(**{**FAST, **settings})
    return (neural_predictivity(features, raw, fit, progress=False),
            neural_predictivity(noisy, raw, fit, progress=False), raw)


@pytest.fixture(scope="module")
def pair():
    return scored_pair()


def split_mean(scores: xr.Dataset) -> np.ndarray:
    """(neuroid, time_bin) mean over splits, computed directly from the raw r."""
    return scores["r"].mean("split").transpose("neuroid", "time_bin").values


def test_percentile_intervals_equal_a_loop_over_the_same_resamples(pair):
    true, noisy, _ = pair
    n_samples, seed = 300, 3
    comparison = compare([noisy, true], n_bootstrap=n_samples, seed=seed, confidence=0.9, interval="percentile")
    a, b = split_mean(true), split_mean(noisy)
    ceiling = true["ceiling_neuroid"].transpose("neuroid", "time_bin").values
    rng = np.random.default_rng(seed)
    for region in ("V4", "IT"):
        columns = np.flatnonzero(np.array(REGIONS) == region)
        draws = rng.integers(0, len(columns), size=(n_samples, len(columns)))
        for bin_ in range(3):
            x, y, c = a[columns, bin_], b[columns, bin_], ceiling[columns, bin_]
            differences, ceiled = [], []
            for rows in draws:
                mx, my, mc = np.median(x[rows]), np.median(y[rows]), np.median(c[rows])
                differences.append(mx - my)
                ceiled.append(mx**2 / mc - my**2 / mc)
            at = comparison.sel(candidate="true", region=region).isel(time_bin=bin_)
            np.testing.assert_allclose(at["difference_r_ci"].values, np.percentile(differences, [5, 95]), atol=1e-12)
            np.testing.assert_allclose(at["difference_ceiled_ci"].values, np.percentile(ceiled, [5, 95]), atol=1e-12)
            assert float(at["difference_r"]) == pytest.approx(np.median(x) - np.median(y), abs=1e-12)
            expected_ceiled = (np.median(x) ** 2 - np.median(y) ** 2) / np.median(c)
            assert float(at["difference_ceiled"]) == pytest.approx(expected_ceiled, abs=1e-12)


def test_bca_intervals_equal_scipys_paired_bootstrap_on_the_same_resamples(pair):
    true, noisy, _ = pair
    n_samples, seed = 400, 5
    comparison = compare([noisy, true], n_bootstrap=n_samples, seed=seed, confidence=0.9)
    assert comparison.attrs["interval"] == "bca"
    a, b = split_mean(true), split_mean(noisy)
    ceiling = true["ceiling_neuroid"].transpose("neuroid", "time_bin").values

    def difference(x, y, axis=-1):
        return np.median(x, axis=axis) - np.median(y, axis=axis)

    def ceiled(x, y, c, axis=-1):
        return (np.median(x, axis=axis) ** 2 - np.median(y, axis=axis) ** 2) / np.median(c, axis=axis)

    rng = np.random.default_rng(seed)  # one draw per region, in order, shared by the bins
    for region in ("V4", "IT"):
        columns = np.flatnonzero(np.array(REGIONS) == region)
        for bin_ in range(3):
            at = comparison.sel(candidate="true", region=region).isel(time_bin=bin_)
            samples = (a[columns, bin_], b[columns, bin_])
            for name, statistic, data in (("difference_r_ci", difference, samples),
                                          ("difference_ceiled_ci", ceiled, (*samples, ceiling[columns, bin_]))):
                expected = bootstrap(data, statistic, paired=True, vectorized=True, method="BCa",
                                     n_resamples=n_samples, confidence_level=0.9, rng=copy.deepcopy(rng))
                np.testing.assert_allclose(at[name].values, [expected.confidence_interval.low,
                                                             expected.confidence_interval.high], rtol=1e-12)
        rng.integers(0, len(columns), size=(n_samples, len(columns)))


@pytest.mark.parametrize("correction", ["bh", "holm"])
def test_p_values_are_corrected_over_each_candidates_regions_and_bins(pair, correction):
    true, noisy, _ = pair
    comparison = compare([noisy, true], n_bootstrap=20, correction=correction)
    assert comparison.attrs["correction"] == correction
    for candidate in comparison["candidate"].values:
        raw = comparison["p_value"].sel(candidate=candidate).values
        corrected = comparison["p_value_corrected"].sel(candidate=candidate).values
        np.testing.assert_allclose(corrected, adjust_p_values(raw, correction), rtol=1e-14)
        assert np.all(corrected >= raw)
    assert f"p ({'Benjamini–Hochberg' if correction == 'bh' else 'Holm'})" in comparison_table(comparison)
    if correction == "bh":
        raw = comparison["p_value"].sel(candidate="true").values
        np.testing.assert_allclose(comparison["p_value_corrected"].sel(candidate="true").values,
                                   false_discovery_control(raw, axis=None).reshape(raw.shape), rtol=1e-14)


def test_signed_rank_p_values_equal_scipys_on_the_per_neuroid_differences(pair):
    true, noisy, _ = pair
    comparison = compare([noisy, true], n_bootstrap=50)
    differences = split_mean(true) - split_mean(noisy)
    for region in ("V4", "IT"):
        columns = np.array(REGIONS) == region
        for bin_ in range(3):
            expected = wilcoxon(differences[columns, bin_])
            at = comparison.sel(candidate="true", region=region).isel(time_bin=bin_)
            assert float(at["p_value"]) == pytest.approx(expected.pvalue, rel=1e-12)
            assert float(at["wilcoxon_statistic"]) == expected.statistic
            assert int(at["n_neuroids"]) == columns.sum()


def test_the_generating_features_beat_the_noisy_copy_and_swapping_the_reference_mirrors_everything(pair):
    true, noisy, _ = pair
    forward = compare([noisy, true], n_bootstrap=400, seed=1)
    backward = compare([noisy, true], reference="true", n_bootstrap=400, seed=1)
    assert forward.attrs["reference"] == "noisy" and backward.attrs["reference"] == "true"
    # percentile intervals exclude 0 everywhere; BCa's reach below 0 in one bin of the 14 IT neuroids, where the
    # jackknife of a median (which BCa's acceleration uses) is coarse
    percentile = compare([noisy, true], n_bootstrap=400, seed=1, interval="percentile")
    assert (percentile["difference_r_ci"].sel(bound="lower") > 0).all()
    assert (forward["difference_r_ci"].sel(bound="lower") > 0).sum() >= 5
    assert (forward["p_value"] < 0.05).all()
    np.testing.assert_allclose(backward["difference_r"].values, -forward["difference_r"].values, atol=1e-12)
    np.testing.assert_allclose(backward["difference_r_ci"].values, -forward["difference_r_ci"].values[..., ::-1],
                               atol=1e-12)
    np.testing.assert_allclose(backward["p_value"].values, forward["p_value"].values, rtol=1e-12)


def test_identical_models_differ_by_zero_with_p_one(pair):
    true, _, _ = pair
    comparison = compare([true, true.copy()], n_bootstrap=100)
    assert list(comparison["model"].values) == ["true (dataset #0)", "true (dataset #1)"]
    for name in ("difference_r", "difference_r_ci", "difference_ceiled", "difference_ceiled_ci",
                 "wilcoxon_statistic"):
        np.testing.assert_array_equal(comparison[name].values, 0)
    np.testing.assert_array_equal(comparison["p_value"].values, 1)
    assert "n/a" not in comparison_table(comparison)


def test_a_neuroid_missing_in_one_model_leaves_the_pair_out(pair):
    true, noisy, _ = pair
    gappy = true.copy(deep=True)
    gappy["r"][:, 0, :] = np.nan                                   # the first V4 neuroid, every split and bin
    comparison = compare([noisy, gappy], n_bootstrap=50)
    a, b = split_mean(true)[1:10], split_mean(noisy)[1:10]
    at = comparison.sel(candidate="true", region="V4")
    np.testing.assert_allclose(at["difference_r"].values, np.median(a, 0) - np.median(b, 0), atol=1e-12)
    np.testing.assert_allclose(at["p_value"].values, [wilcoxon(a[:, k] - b[:, k]).pvalue for k in range(3)])
    np.testing.assert_array_equal(at["n_neuroids"].values, 9)
    assert np.isfinite(at["difference_r_ci"].values).all()


def test_matrix_scores_are_compared_on_the_steps_their_mapping_assigns():
    mapping = TimeMapping("table", table=(2, 0, 1))
    true, noisy, _ = scored_pair(4, mapping=mapping)
    true_matrix, _, _ = scored_pair(4, time="matrix", mapping=mapping)
    per_bin = compare([noisy, true], n_bootstrap=200)
    matrix = compare([noisy, true_matrix], n_bootstrap=200)
    for name in ("neuroid_r", "difference_r", "difference_r_ci", "p_value", "difference_ceiled_ci"):
        np.testing.assert_allclose(matrix[name].values, per_bin[name].values, atol=1e-10)
    assert '"steps_for_bins": [2, 0, 1]' in matrix.attrs["models"]
    assert "matrix (steps 2,0,1)" in comparison_table(matrix)


def test_neuroids_are_paired_by_id_whatever_their_order(pair):
    true, noisy, _ = pair
    reversed_true = true.isel(neuroid=slice(None, None, -1))
    straight = compare([noisy, true], n_bootstrap=100)
    shuffled = compare([noisy, reversed_true], n_bootstrap=100)
    for name in ("neuroid_r", "difference_r", "difference_r_ci", "p_value"):
        np.testing.assert_allclose(shuffled[name].values, straight[name].values, atol=1e-12)


def test_models_scored_on_different_data_or_settings_are_refused(pair):
    true, noisy, raw = pair
    features, _ = recording(0, n_bins=3, n_steps=3, n_neuroids=len(REGIONS), region=REGIONS, noise=1.0)
    changed = raw.copy(data=raw.values.copy())
    changed.values[0, 0, 0] += 1.0
    other_data = neural_predictivity(features, changed, FitSettings(**FAST), progress=False)
    with pytest.raises(DataFormatError, match="different neural data"):
        compare([noisy, other_data])
    other_settings = neural_predictivity(features, raw, FitSettings(metric_options={"n_components": 5}, n_splits=4),
                                         progress=False)
    with pytest.raises(DataFormatError, match=r"metric_options \{'n_components': 6\} vs \{'n_components': 5\}"):
        compare([noisy, other_settings])
    fewer = true.isel(neuroid=slice(1, None))
    with pytest.raises(DataFormatError, match="different neuroids"):
        compare([noisy, fewer])
    unlabelled = true.copy()
    unlabelled.attrs = {key: value for key, value in true.attrs.items() if key != "data_hash"}
    with pytest.raises(DataFormatError, match="no 'data_hash'"):
        compare([noisy, unlabelled])


def test_bad_options_are_refused_before_any_work(pair):
    true, noisy, _ = pair
    with pytest.raises(ConfigError, match="at least two"):
        compare([true])
    with pytest.raises(ConfigError, match="reference 'cornet'"):
        compare([noisy, true], reference="cornet")
    for options in ({"confidence": 1.5}, {"n_bootstrap": 0}, {"seed": -1}):
        with pytest.raises(ConfigError):
            compare([noisy, true], **options)


def test_written_comparison_reads_back_with_the_same_values_and_table(pair, tmp_path):
    true, noisy, _ = pair
    comparison = compare([noisy, true], n_bootstrap=100)
    netcdf, summary = write_comparison(comparison, tmp_path / "out")
    loaded = read_comparison(tmp_path / "out")
    assert netcdf.name == "comparison.nc" and summary.name == "comparison.md"
    for name in comparison.data_vars:
        np.testing.assert_array_equal(loaded[name].values, comparison[name].values)
    text = summary.read_text(encoding="utf-8")
    assert comparison_table(loaded) + "\n" == text
    bin_rows = [line for line in text.splitlines() if line.startswith(("| true  | V4", "| true  | IT"))]
    assert len(bin_rows) == 2 + 2 * 3                              # one per region, then one per region and bin
