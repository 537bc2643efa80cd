"""The ``rsa`` metric: RDMs, their comparison, time modes, ceilings and bad input, against numpy written out here."""

import dataclasses
import itertools
import weakref

import numpy as np
import pytest
from scipy.spatial.distance import pdist
from scipy.stats import kendalltau, pearsonr, rankdata, spearmanr
from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit

from chronoscore.cli import main
from chronoscore.errors import ConfigError, DataFormatError
from chronoscore.neural_fit.assembly import average_repetitions
from chronoscore.neural_fit.netcdf_io import write_assembly
from chronoscore.neural_fit import rdm as rdm_module
from chronoscore.neural_fit.metrics.rsa import RdmSimilarity
from chronoscore.neural_fit.rdm import (MaskCounts, PairSubset, RankedTriangle, compare_rdms, kendall_tau_a,
                                        pair_mask, rdm, untied_spearman, upper_triangle)
from chronoscore.neural_fit.representational import SimilarityEvaluator
from chronoscore.neural_fit.results_io import read_scores, write_features
from chronoscore.neural_fit.scoring import neural_predictivity, score_time_modes
from chronoscore.neural_fit.settings import FitSettings
from chronoscore.neural_fit.time_mapping import TimeMapping

from .synthetic import recording


def tau_a_by_pairs(x, y):
    """Reference: every pair visited once."""
    pairs = list(itertools.combinations(range(len(x)), 2))
    return sum(np.sign(x[i] - x[j]) * np.sign(y[i] - y[j]) for i, j in pairs) / len(pairs)


def reference_rdm(patterns, kind):
    """Independent RDM: numpy's corrcoef or scipy's pdist, as a full matrix."""
    if kind == "correlation":
        return 1 - np.corrcoef(patterns)
    n = len(patterns)
    full = np.zeros((n, n))
    full[np.triu_indices(n, 1)] = pdist(patterns)
    return full + full.T


def reference_similarity(model_patterns, neural_patterns, kind, comparison):
    rows, columns = np.triu_indices(len(model_patterns), 1)
    a = reference_rdm(model_patterns, kind)[rows, columns]
    b = reference_rdm(neural_patterns, kind)[rows, columns]
    if comparison == "spearman":
        return spearmanr(a, b).statistic
    if comparison == "pearson":
        return pearsonr(a, b).statistic
    return tau_a_by_pairs(a, b)


# --- RDMs and comparisons ---

@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("size", [2, 3, 17, 64])
def test_tau_a_equals_the_pairwise_definition_with_ties(seed, size):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 1 + seed, size).astype(float)  # seed 0: all tied
    y = rng.integers(0, 4, size) + 0.5 * (rng.random(size) < 0.3)
    assert kendall_tau_a(x, y) == pytest.approx(tau_a_by_pairs(x, y), abs=1e-12)


@pytest.mark.parametrize("size", [5, 200, 4186])
def test_tau_a_equals_tau_b_without_ties(size):
    rng = np.random.default_rng(size)
    x = rng.standard_normal(size)
    y = 0.5 * x + rng.standard_normal(size)
    assert kendall_tau_a(x, y) == pytest.approx(kendalltau(x, y).statistic, abs=1e-12)
    assert kendall_tau_a(x, x) == pytest.approx(1.0) and kendall_tau_a(x, -x) == pytest.approx(-1.0)


@pytest.mark.parametrize("kind", ["correlation", "euclidean"])
def test_rdms_equal_numpy_and_scipy(kind):
    features = np.random.default_rng(0).standard_normal((7, 30))
    np.testing.assert_allclose(rdm(features, kind), reference_rdm(features, kind), atol=1e-10)
    assert np.all(np.diag(rdm(features, kind)) == 0)


def test_a_constant_pattern_has_no_correlation_rdm():
    features = np.random.default_rng(0).standard_normal((7, 30))
    features[3] = 2.0
    assert np.isnan(rdm(features)[3]).all() and np.isfinite(rdm(features)[0, 1])
    assert np.isfinite(rdm(features, "euclidean")).all()


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("tied", [True, False])
@pytest.mark.parametrize("n", [4, 25, 90])
def test_subset_ranks_equal_rankdata_of_the_subset(seed, tied, n):
    rng = np.random.default_rng(seed)
    matrix = np.round(rng.random((n, n)), 1 if tied else 12)
    matrix = matrix + matrix.T
    np.fill_diagonal(matrix, 0)
    stimuli = rng.choice(n, size=rng.integers(3, n), replace=False)
    pairs = pair_mask(n, stimuli)
    kept = np.sort(stimuli)
    expected_values = matrix[np.ix_(kept, kept)][np.triu_indices(len(kept), 1)]
    triangle = RankedTriangle(matrix)
    np.testing.assert_array_equal(triangle.values[pairs], expected_values)
    np.testing.assert_array_equal(triangle.subset_ranks(pairs), rankdata(expected_values))


def random_rdm(rng, n, decimals):
    matrix = np.round(rng.random((n, n)), decimals)
    matrix = matrix + matrix.T
    np.fill_diagonal(matrix, 0)
    return matrix


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("n", [3, 9, 40, 130])
@pytest.mark.parametrize("block", [5, 64, None])
def test_spearman_of_a_subset_from_the_whole_orders_equals_scipy(seed, n, block, monkeypatch):
    if block is not None:   # sums over many blocks of the order
        monkeypatch.setattr(rdm_module, "_SPEARMAN_BLOCK", block)
    rng = np.random.default_rng(seed)
    first, second = random_rdm(rng, n, 15), random_rdm(rng, n, 15)
    second = second + 0.5 * first  # correlated
    stimuli = rng.choice(n, size=int(rng.integers(3, n + 1)), replace=False)
    kept = np.sort(stimuli)
    rows, columns = np.triu_indices(len(kept), 1)
    expected = spearmanr(first[np.ix_(kept, kept)][rows, columns], second[np.ix_(kept, kept)][rows, columns])
    a, b = RankedTriangle(first), RankedTriangle(second)
    pairs = PairSubset(n, stimuli)

    assert not (a.tied or b.tied)
    np.testing.assert_array_equal(pairs.in_order(a), pairs.mask[a.order])
    for _ in range(2):  # the second time through the positions kept from the first
        assert untied_spearman(a, b, pairs) == pytest.approx(expected.statistic, abs=1e-12)
        assert untied_spearman(b, a, pairs) == pytest.approx(expected.statistic, abs=1e-12)
    assert untied_spearman(a, a, pairs) == 1.0


@pytest.mark.parametrize("n", [7, 40, 131])
@pytest.mark.parametrize("left_out", [0, 1, "a sixth", "most"])
def test_a_subset_s_sorted_mask_is_the_same_from_left_out_pairs_and_from_kept_pairs(n, left_out):
    rng = np.random.default_rng(n)
    a = RankedTriangle(random_rdm(rng, n, 15))
    count = {"a sixth": n // 6, "most": n - 3}.get(left_out, left_out)
    pairs = PairSubset(n, np.setdiff1d(np.arange(n), rng.choice(n, size=count, replace=False)))
    # up to a sixth of the stimuli left out (a third of the pairs touched) take the left-out path
    assert (pairs.dropped_pairs is None) == (left_out == "most")
    if pairs.dropped_pairs is not None:
        assert set(pairs.dropped_pairs.tolist()) == set(np.flatnonzero(~pairs.mask).tolist())
    np.testing.assert_array_equal(pairs.in_order(a), pairs.mask[a.order])


@pytest.mark.parametrize("size", [1, 31, 32, 33, 63, 64, 65, 1000, 4099])
@pytest.mark.parametrize("packed", [True, False])
def test_mask_counts_at_any_place_are_its_cumulative_count(size, packed, monkeypatch):
    if not packed:   # numpy < 2 has no bitwise_count: the cumulative count is taken
        monkeypatch.delattr(np, "bitwise_count", raising=False)
    elif not hasattr(np, "bitwise_count"):
        pytest.skip("numpy < 2 has no bitwise_count")
    rng = np.random.default_rng(size)
    mask = rng.random(size) < rng.random()
    places = rng.integers(0, size, 3 * size).astype(np.int32)
    places[:2] = [0, size - 1]
    np.testing.assert_array_equal(MaskCounts(mask).at(places), np.cumsum(mask)[places])
    np.testing.assert_array_equal(MaskCounts(np.ones(size, dtype=bool)).at(places), places + 1)


@pytest.mark.parametrize("zeros", [(0.0,), (-0.0,), (0.0, -0.0), (0.0, 0.0)])
def test_a_triangle_is_tied_when_two_entries_are_equal_zeros_of_either_sign_included(zeros):
    rng = np.random.default_rng(0)
    matrix = random_rdm(rng, 6, 15) - 0.5   # 15 distinct entries of both signs
    rows, columns = np.triu_indices(6, 1)
    matrix[rows[:len(zeros)], columns[:len(zeros)]] = zeros
    assert RankedTriangle(matrix).tied == (len(zeros) == 2)


@pytest.mark.parametrize("seed", range(4))
def test_spearman_of_tied_triangles_takes_average_ranks(seed):
    rng = np.random.default_rng(seed)
    n = 30
    first, second = random_rdm(rng, n, 1), random_rdm(rng, n, 12)
    stimuli = rng.choice(n, size=20, replace=False)
    kept = np.sort(stimuli)
    rows, columns = np.triu_indices(len(kept), 1)
    expected = spearmanr(first[np.ix_(kept, kept)][rows, columns], second[np.ix_(kept, kept)][rows, columns])
    a, b = RankedTriangle(first), RankedTriangle(second)
    assert a.tied and not b.tied
    assert a.compare(b, PairSubset(n, stimuli), "spearman") == pytest.approx(expected.statistic, abs=1e-12)
    assert b.compare(a, PairSubset(n, stimuli), "spearman") == pytest.approx(expected.statistic, abs=1e-12)


def test_compare_rdms_uses_the_upper_triangle():
    rng = np.random.default_rng(1)
    a, b = rdm(rng.standard_normal((12, 8))), rdm(rng.standard_normal((12, 8)))
    rows, columns = np.triu_indices(12, 1)
    assert compare_rdms(a, b) == pytest.approx(spearmanr(a[rows, columns], b[rows, columns]).statistic)
    assert compare_rdms(a, b, "pearson") == pytest.approx(pearsonr(a[rows, columns], b[rows, columns]).statistic)
    assert compare_rdms(a, a) == pytest.approx(1.0) and compare_rdms(a, a, "kendall_tau_a") == pytest.approx(1.0)
    assert upper_triangle(a).size == 66
    with pytest.raises(ConfigError, match="spearman, kendall_tau_a, pearson"):
        compare_rdms(a, b, "cosine")
    with pytest.raises(DataFormatError, match="different stimuli"):
        compare_rdms(a, b[:5, :5])
    a[0, 3] = np.nan
    with pytest.raises(DataFormatError, match="NaN"):
        compare_rdms(a, b)


# --- the metric ---

def rsa_settings(**options):
    return FitSettings(metric="rsa", metric_options=options, n_splits=4)


def test_splits_hold_out_test_size_with_scikit_learns_rounding():
    """Brain-Score's rdm_cv draws StratifiedShuffleSplit(test_size=0.9): ceil(0.9 n) test stimuli."""
    model, raw = recording(0, n_objects=5, per_object=20)
    scores = neural_predictivity(model, raw, rsa_settings(), progress=False)
    averaged = average_repetitions(raw)
    splitter = StratifiedShuffleSplit(n_splits=4, test_size=0.9, random_state=1)
    x = model.values
    y = averaged.values[:, :, 0]
    for s, (_, test) in enumerate(splitter.split(np.zeros(100), averaged["object_name"].values)):
        assert len(test) == 90
        expected = reference_similarity(x[test], y[test], "correlation", "spearman")
        assert scores["similarity"].values[s, 0, 0] == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("kind, comparison", [("correlation", "spearman"), ("euclidean", "pearson"),
                                              ("correlation", "kendall_tau_a"), ("euclidean", "spearman")])
@pytest.mark.parametrize("time", ["per_bin", "shared", "matrix"])
def test_every_time_mode_equals_rdms_written_out(kind, comparison, time):
    model, raw = recording(1, n_objects=4, per_object=6, n_bins=3, n_steps=3, n_features=15, n_neuroids=9)
    settings = dataclasses.replace(rsa_settings(rdm=kind, comparison=comparison, test_size=0.5), time=time,
                                   mapping=TimeMapping(kind="table", table=(2, 0, 1)))
    scores = neural_predictivity(model, raw, settings, progress=False)
    averaged = average_repetitions(raw)
    y = averaged.values
    x = model.transpose("time_step", "presentation", "neuroid").values
    splitter = StratifiedShuffleSplit(n_splits=4, test_size=0.5, random_state=1)
    table = (2, 0, 1)
    for s, (_, test) in enumerate(splitter.split(np.zeros(24), averaged["object_name"].values)):
        for b in range(3):
            if time == "matrix":
                for step in range(3):
                    expected = reference_similarity(x[step][test], y[test, :, b], kind, comparison)
                    assert scores["similarity"].values[s, 0, step, b] == pytest.approx(expected, abs=1e-10)
                continue
            patterns = (np.concatenate([x[step] for step in table], axis=1) if time == "shared" else x[table[b]])
            expected = reference_similarity(patterns[test], y[test, :, b], kind, comparison)
            assert scores["similarity"].values[s, 0, b] == pytest.approx(expected, abs=1e-10)
    np.testing.assert_allclose(scores["score"].values, scores["similarity"].values.mean(axis=0), atol=1e-14)
    np.testing.assert_allclose(scores["error"].values, scores["similarity"].values.std(axis=0) / 2, atol=1e-14)


def test_the_best_mapping_picks_the_most_similar_step_on_training_stimuli():
    model, raw = recording(2, n_objects=4, per_object=10, n_bins=2, n_steps=3, n_features=15, noise=0.5)
    settings = dataclasses.replace(rsa_settings(test_size=0.5), mapping=TimeMapping(kind="best"))
    scores = neural_predictivity(model, raw, settings, progress=False)
    averaged = average_repetitions(raw)
    x = model.transpose("time_step", "presentation", "neuroid").values
    y = averaged.values
    splitter = StratifiedShuffleSplit(n_splits=4, test_size=0.5, random_state=1)
    for s, (train, _) in enumerate(splitter.split(np.zeros(40), averaged["object_name"].values)):
        for b in range(2):
            on_train = [reference_similarity(x[t][train], y[train, :, b], "correlation", "spearman")
                        for t in range(3)]
            assert scores["step_for_bin"].values[0, s, b] == int(np.argmax(on_train))
    assert list(scores["step_for_bin"].values[0, 0]) == [0, 1]  # bin b reads out step min(b, 2)


def test_the_ceiling_is_the_spearman_brown_corrected_split_half_rdm_reliability():
    model, raw = recording(3, n_objects=4, per_object=6, n_bins=2, n_neuroids=10, n_repetitions=5)
    settings = dataclasses.replace(rsa_settings(test_size=0.5), ceiling_splits=3, ceiling_floor=0.0)
    scores = neural_predictivity(model, raw, settings, progress=False)
    stimuli = np.unique(raw["stimulus_id"].values)
    trials = np.stack([raw.values[raw["repetition"].values == r] for r in range(5)], axis=1)  # (N, 5, q, B)
    order = np.argsort(raw["stimulus_id"].values[raw["repetition"].values == 0])
    trials = trials[order]
    assert len(stimuli) == trials.shape[0]
    for b in range(2):
        corrected = []
        for first, second in ShuffleSplit(n_splits=3, train_size=0.5, random_state=1).split(np.zeros(5)):
            r = reference_similarity(trials[..., b][:, first].mean(1), trials[..., b][:, second].mean(1),
                                     "correlation", "spearman")
            corrected.append(2 * r / (1 + r))
        assert float(scores["ceiling"].values[0, b]) == pytest.approx(np.mean(corrected), abs=1e-12)
        assert float(scores["ceiled_score"].values[0, b]) == pytest.approx(
            float(scores["score"].values[0, b]) / np.mean(corrected), abs=1e-12)
    assert scores.attrs["ceiling_convention"] == "score_over_ceiling"


def test_regions_are_scored_on_their_own_neuroids():
    model, raw = recording(4, n_objects=4, per_object=5, n_neuroids=8, region=["V4"] * 4 + ["IT"] * 4)
    scores = neural_predictivity(model, raw, rsa_settings(cross_validate=False), progress=False)
    y = average_repetitions(raw).values[:, :, 0]
    for index, columns in ((0, slice(0, 4)), (1, slice(4, 8))):
        assert scores["region"].values[index] == ("V4", "IT")[index]
        expected = reference_similarity(model.values, y[:, columns], "correlation", "spearman")
        assert float(scores["score"].values[index, 0]) == pytest.approx(expected, abs=1e-12)


def test_all_time_modes_at_once_equal_each_alone():
    model, raw = recording(5, n_objects=4, per_object=5, n_bins=2, n_steps=2)
    settings = rsa_settings(test_size=0.5)
    together = score_time_modes(model, raw, settings, ("per_bin", "matrix"), progress=False)
    for mode in ("per_bin", "matrix"):
        alone = neural_predictivity(model, raw, dataclasses.replace(settings, time=mode), progress=False)
        np.testing.assert_array_equal(together[mode]["similarity"].values, alone["similarity"].values)


# --- bad input ---

def test_too_few_stimuli_for_an_rdm_name_the_fix():
    model, raw = recording(6, n_objects=1, per_object=4)
    with pytest.raises(DataFormatError, match="needs at least 3.*larger test_size"):
        neural_predictivity(model, raw, FitSettings(metric="rsa", metric_options={"test_size": 0.5}, n_splits=2,
                                                    stratify=None), progress=False)


def test_constant_features_name_the_fix():
    model, raw = recording(7, n_objects=4, per_object=5)
    model[:3] = 1.0
    with pytest.raises(DataFormatError, match=r"3 stimuli \(rows \[0, 1, 2\]\) are constant.*rdm='euclidean'"):
        neural_predictivity(model, raw, rsa_settings(cross_validate=False), progress=False)
    euclidean = neural_predictivity(model, raw, rsa_settings(rdm="euclidean", cross_validate=False), progress=False)
    assert np.isfinite(euclidean["score"]).all()


def test_mismatched_repetitions_name_the_fix():
    model, raw = recording(8, n_objects=4, per_object=5, n_repetitions=2)
    lonely = raw["stimulus_id"].values[0]
    keep = ~((raw["stimulus_id"].values == lonely) & (raw["repetition"].values == 1))
    with pytest.raises(DataFormatError, match=r"lack trials in a random half.*same repetitions"):
        neural_predictivity(model, raw.isel(presentation=keep), rsa_settings(cross_validate=False), progress=False)


def test_bad_options_are_refused():
    with pytest.raises(ConfigError, match="rdm must be one of correlation, euclidean"):
        rsa_settings(rdm="cosine")
    with pytest.raises(ConfigError, match="comparison must be one of"):
        rsa_settings(comparison="kendall")
    with pytest.raises(ConfigError, match="test_size must be a number between 0 and 1"):
        rsa_settings(test_size=1.5)
    with pytest.raises(ConfigError, match="'best' time mapping"):
        model, raw = recording(9, n_objects=2, per_object=5)
        neural_predictivity(model, raw, dataclasses.replace(rsa_settings(cross_validate=False),
                                                            mapping=TimeMapping(kind="best")), progress=False)


def test_the_fit_command_runs_rsa(tmp_path):
    model, raw = recording(10, n_objects=4, per_object=10, n_bins=2, n_steps=2)
    write_features(model, tmp_path / "features.nc")
    write_assembly(raw, tmp_path / "neural.nc")
    code = main(["fit", "--features", str(tmp_path / "features.nc"), "--neural", str(tmp_path / "neural.nc"),
                 "--out", str(tmp_path / "scores.nc"), "--metric", "rsa", "--n-splits", "3",
                 "--set", "metric_options.comparison=kendall_tau_a", "--quiet"])
    assert code == 0
    expected = neural_predictivity(model, raw, FitSettings(metric="rsa", n_splits=3,
                                                           metric_options={"comparison": "kendall_tau_a"}),
                                   progress=False)
    np.testing.assert_allclose(read_scores(tmp_path / "scores.nc")["similarity"].values,
                               expected["similarity"].values, atol=1e-12)


def assert_spearman_of_every_step_and_bin(values, design, responses, splits):
    """``values`` (S, T, B) are scipy's Spearman ρ of each step's and each bin's RDM on each split's test stimuli."""
    for s, (_, test) in enumerate(splits):
        rows, columns = np.triu_indices(len(test), 1)
        for t in range(design.shape[0]):
            for b in range(responses.shape[-1]):
                expected = spearmanr(rdm(design[t][test])[rows, columns], rdm(responses[test, :, b])[rows, columns])
                assert values[s, t, b] == pytest.approx(expected.statistic, abs=1e-12)


def test_a_pair_keeps_its_shared_positions_only_while_its_comparisons_run():
    rng = np.random.default_rng(3)
    n, steps, bins = 30, 3, 2
    design, responses = rng.standard_normal((steps, n, 6)), rng.standard_normal((n, 5, bins))
    region = SimilarityEvaluator(RdmSimilarity("correlation", "spearman")).region(design, responses, "IT")
    splits = [(np.arange(3), np.arange(3, n)), (np.arange(25, n), np.arange(25))]
    values = region.values("matrix", np.zeros((len(splits), bins), dtype=int), splits, steps)
    assert all(len(neural._positions_in) == 0 for neural in region.neural)
    assert_spearman_of_every_step_and_bin(values, design, responses, splits)


def test_matrix_mode_holds_one_unmapped_model_step_at_a_time():
    rng = np.random.default_rng(4)
    n, steps, bins = 24, 6, 2
    design, responses = rng.standard_normal((steps, n, 5)), rng.standard_normal((n, 4, bins))
    similarity = RdmSimilarity("correlation", "spearman")
    made, most_alive = [], []
    prepare, compare = similarity.prepare, similarity.compare

    def recording_prepare(patterns, what):
        prepared = prepare(patterns, what)
        if what.startswith("model"):
            made.append(weakref.ref(prepared))
        return prepared

    def counting_compare(model, neural, pairs):
        most_alive.append(sum(reference() is not None for reference in made))
        return compare(model, neural, pairs)

    similarity.prepare, similarity.compare = recording_prepare, counting_compare
    region = SimilarityEvaluator(similarity).region(design, responses, "IT")
    splits = [(np.arange(4), np.arange(4, n)), (np.arange(20, n), np.arange(20))]
    mapped = np.array([[1, 4], [1, 4]])
    region.values("per_bin", mapped, splits, steps)
    values = region.values("matrix", mapped, splits, steps)
    assert len(made) == steps
    assert max(most_alive) <= 3   # the two mapped steps, kept for the other modes, and the step being compared
    assert sorted(region._model) == [1, 4]
    assert_spearman_of_every_step_and_bin(values, design, responses, splits)
