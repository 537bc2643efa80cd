"""neural_predictivity: time modes, mappings, regions, ceilings and provenance."""

import json
import warnings

import numpy as np
import pytest
from scipy.stats import pearsonr
from sklearn.cross_decomposition import PLSRegression as SklearnPLS

import chronoscore
from chronoscore.neural_fit.assembly import average_repetitions
from chronoscore.neural_fit.ceiling import ceiling_normalised
from chronoscore.neural_fit.scoring import CeilingWarning, neural_predictivity
from chronoscore.neural_fit.settings import FitSettings
from chronoscore.neural_fit.splits import shuffle_splits
from chronoscore.neural_fit.summary import score_table
from chronoscore.neural_fit.time_mapping import TimeMapping

from .synthetic import recording

FAST = dict(metric_options={"n_components": 8}, n_splits=4)


def test_per_bin_r_equals_a_hand_made_fit_of_each_bin_from_its_mapped_step():
    model, raw = recording(0, n_bins=3, n_steps=3)
    settings = FitSettings(mapping=TimeMapping("table", table=(2, 0, 1)), **FAST)
    scores = neural_predictivity(model, raw, settings, progress=False)

    averaged = average_repetitions(raw)
    y = averaged.values
    x = model.transpose("time_step", "presentation", "neuroid").values
    splits = shuffle_splits(averaged["stimulus_id"].values, averaged["object_name"].values, n_splits=4)
    for s, (train, test) in enumerate(splits):
        for b, step in enumerate((2, 0, 1)):
            fit = SklearnPLS(8, scale=False).fit(x[step][train], y[train, :, b])
            predicted = fit.predict(x[step][test])
            expected = [pearsonr(predicted[:, j], y[test, j, b])[0] for j in range(y.shape[1])]
            np.testing.assert_allclose(scores["r"].values[s, :, b], expected, atol=1e-8)
    np.testing.assert_array_equal(scores["step_for_bin"].sel(region="IT").values, np.tile([2, 0, 1], (4, 1)))


def test_matrix_mode_holds_per_bin_fits_of_every_step():
    model, raw = recording(1, n_bins=3, n_steps=3)
    matrix = neural_predictivity(model, raw, FitSettings(time="matrix", **FAST), progress=False)
    assert matrix["r"].dims == ("split", "time_step", "neuroid", "time_bin")
    for step in range(3):
        settings = FitSettings(mapping=TimeMapping("table", table=(step,) * 3), **FAST)
        single = neural_predictivity(model, raw, settings, progress=False)
        np.testing.assert_allclose(matrix["r"].values[:, step], single["r"].values, atol=1e-10)
    diagonal = np.diagonal(matrix["score"].values[0])
    off_diagonal = matrix["score"].values[0][~np.eye(3, dtype=bool)]
    assert diagonal.min() > off_diagonal.max()


def test_best_mapping_finds_the_generating_step_from_training_stimuli():
    model, raw = recording(2, n_bins=4, n_steps=4, noise=1.0, n_neuroids=12, region=["V4"] * 6 + ["IT"] * 6)
    settings = FitSettings(mapping=TimeMapping("best"), **FAST)
    scores = neural_predictivity(model, raw, settings, progress=False)
    assert scores["step_for_bin"].dims == ("region", "split", "time_bin")
    np.testing.assert_array_equal(scores["step_for_bin"].values, np.tile(np.arange(4), (2, 4, 1)))


def test_user_given_splits_replace_the_drawn_ones():
    model, raw = recording(12)
    stimuli = average_repetitions(raw)["stimulus_id"].values
    splits = [(stimuli[:60], stimuli[60:]), (stimuli[20:], stimuli[:20])]
    scores = neural_predictivity(model, raw, FitSettings(metric_options={"n_components": 8}), splits=splits,
                                 progress=False)
    assert scores.sizes["split"] == 2
    x, y = model.values, average_repetitions(raw).values[:, :, 0]
    predicted = SklearnPLS(8, scale=False).fit(x[:60], y[:60]).predict(x[60:])
    expected = [pearsonr(predicted[:, j], y[60:, j])[0] for j in range(y.shape[1])]
    np.testing.assert_allclose(scores["r"].values[0, :, 0], expected, atol=1e-8)


def test_shared_mode_differs_from_per_bin_but_scores_every_bin():
    model, raw = recording(3, n_bins=2, n_steps=2)
    shared = neural_predictivity(model, raw, FitSettings(time="shared", **FAST), progress=False)
    per_bin = neural_predictivity(model, raw, FitSettings(**FAST), progress=False)
    assert shared["r"].shape == per_bin["r"].shape
    assert np.isfinite(shared["score"].values).all()
    assert not np.allclose(shared["r"].values, per_bin["r"].values)


def test_each_region_is_fitted_on_its_own():
    regions = ["V4"] * 5 + ["IT"] * 7
    model, raw = recording(4, n_neuroids=12, region=regions)
    both = neural_predictivity(model, raw, FitSettings(**FAST), progress=False)
    it_only = raw.isel(neuroid=slice(5, None))
    alone = neural_predictivity(model, it_only, FitSettings(**FAST), progress=False)
    np.testing.assert_allclose(both["r"].values[:, 5:], alone["r"].values, atol=1e-12)
    assert list(both["region"].values) == ["V4", "IT"]
    expected_it = np.mean(np.median(alone["r"].values[:, :, 0], axis=1))
    assert both["score"].sel(region="IT").item() == pytest.approx(expected_it, abs=1e-12)


def test_ceiled_score_follows_the_chosen_convention():
    model, raw = recording(5, **{"n_repetitions": 6})
    modern = neural_predictivity(model, raw, FitSettings(**FAST), progress=False)
    older = neural_predictivity(model, raw, FitSettings(ceiling_convention="squared_ratio", **FAST), progress=False)
    r, ceiling = modern["score"].item(), modern["ceiling"].item()
    assert modern["ceiled_score"].item() == pytest.approx(r**2 / ceiling)
    assert older["ceiled_score"].item() == pytest.approx((r / ceiling) ** 2)


def test_scores_above_one_are_kept_and_warned_about():
    """With few trials the ceiling is low, while a model that knows the true features is not."""
    model, raw = recording(6, n_features=4, noise=3.0, n_repetitions=2)
    settings = FitSettings(ceiling_convention="squared_ratio", metric_options={"n_components": 4}, n_splits=4)
    with pytest.warns(CeilingWarning, match="unclipped"):
        scores = neural_predictivity(model, raw, settings, progress=False)
    assert scores["ceiled_score"].item() > 1


def test_trial_averaged_data_gives_scores_without_ceiling():
    model, raw = recording(7)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scores = neural_predictivity(model, average_repetitions(raw), FitSettings(**FAST), progress=False)
    assert "ceiling" not in scores and np.isfinite(scores["score"].item())


def test_provenance_is_recorded():
    model, raw = recording(8)
    model.attrs.update(model="toy", weights_hash="abc123")
    raw.attrs["identifier"] = "toy.IT"
    settings = FitSettings(random_state=3, **FAST)
    scores = neural_predictivity(model, raw, settings, progress=False)
    assert scores.attrs["model"] == "toy" and scores.attrs["weights_hash"] == "abc123"
    assert scores.attrs["data"] == "toy.IT" and len(scores.attrs["data_hash"]) == 16
    assert scores.attrs["chronoscore_version"] == chronoscore.__version__
    assert scores.attrs["seed"] == 3
    assert json.loads(scores.attrs["metric_settings"])["n_splits"] == 4
    other_model, _ = recording(9)
    other = neural_predictivity(other_model.assign_coords(stimulus_id=model["stimulus_id"]), raw, settings,
                                progress=False)
    assert other.attrs["data_hash"] == scores.attrs["data_hash"]
    assert other.attrs["features_hash"] != scores.attrs["features_hash"]


def test_ridge_regressions_run_through_the_same_pipeline():
    model, raw = recording(10)
    for regression in ("ridge", "ridgecv"):
        scores = neural_predictivity(model, raw, FitSettings(metric=regression, n_splits=3), progress=False)
        assert 0 < scores["score"].item() < 1


def test_kfold_splits_use_every_stimulus_once_for_testing():
    model, raw = recording(11)
    settings = FitSettings(splits="kfold", n_splits=5, metric_options={"n_components": 8})
    scores = neural_predictivity(model, raw, settings, progress=False)
    assert scores.sizes["split"] == 5 and np.isfinite(scores["r"].values).all()


def test_each_region_can_be_fitted_from_its_own_features():
    regions = ["V4"] * 6 + ["IT"] * 6
    model, raw = recording(13, n_neuroids=12, region=regions)
    other, _ = recording(14)
    other = other.assign_coords(stimulus_id=model["stimulus_id"])
    model = model.assign_coords(layer=("neuroid", ["early"] * model.sizes["neuroid"]))
    other = other.assign_coords(layer=("neuroid", ["late"] * other.sizes["neuroid"]))
    mixed = neural_predictivity({"V4": model, "IT": other}, raw, FitSettings(**FAST), progress=False)
    from_model = neural_predictivity(model, raw, FitSettings(**FAST), progress=False)
    from_other = neural_predictivity(other, raw, FitSettings(**FAST), progress=False)
    np.testing.assert_allclose(mixed["r"].values[:, :6], from_model["r"].values[:, :6], atol=1e-12)
    np.testing.assert_allclose(mixed["r"].values[:, 6:], from_other["r"].values[:, 6:], atol=1e-12)
    assert json.loads(mixed.attrs["areas"]) == {"IT": ["late"], "V4": ["early"]}
    with pytest.raises(chronoscore.errors.DataFormatError, match="no features given for region"):
        neural_predictivity({"V4": model}, raw, FitSettings(**FAST), progress=False)


@pytest.mark.parametrize("seed", [8, 9])
def test_a_bin_whose_ceiling_is_below_the_floor_has_no_ceiled_score_and_says_why(seed):
    """Bin 1 holds pure noise (its ceiling is about 0): r / ~0 would be meaningless, so it is NaN with the reason."""
    model, raw = recording(seed, n_bins=2, n_repetitions=6)
    rng = np.random.default_rng(seed)
    raw[:, :, 1] = rng.normal(size=raw[:, :, 1].shape)
    scores = neural_predictivity(model, raw, FitSettings(**FAST), progress=False)
    ceiling = scores["ceiling"].values[0]
    assert ceiling[0] >= 0.1 > ceiling[1]
    assert float(scores["ceiled_score"][0, 0]) == pytest.approx(float(scores["score"][0, 0]) ** 2 / ceiling[0])
    assert np.isnan(scores["ceiled_score"].values[0, 1])
    assert scores["ceiling_below_floor"].values[0].tolist() == [False, True]
    assert scores.attrs["ceiling_floor"] == 0.1
    table = score_table(scores)
    assert "| n/a" in table and "below 0.1, too unreliable" in table
    without = neural_predictivity(model, raw, FitSettings(ceiling_floor=-1.0, **FAST), progress=False)
    assert float(without["ceiled_score"][0, 1]) == pytest.approx(float(without["score"][0, 1]) ** 2 / ceiling[1])


@pytest.mark.parametrize("convention", ["r2_over_ceiling", "squared_ratio"])
def test_ceiling_normalised_is_the_formula_above_the_floor_and_nan_below(convention):
    r = np.array([0.3, -0.2, 0.5, 0.4])
    ceiling = np.array([0.8, 0.5, 0.05, np.nan])
    expected = r**2 / ceiling if convention == "r2_over_ceiling" else (r / ceiling) ** 2
    got = ceiling_normalised(r, ceiling, convention, floor=0.1)
    np.testing.assert_allclose(got[:2], expected[:2])
    assert np.isnan(got[2:]).all()
