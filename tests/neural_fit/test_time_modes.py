"""Several time modes in one call: the same Scores as one call per mode, with checks, splits and ceilings shared."""

import dataclasses

import numpy as np
import pytest

from chronoscore.errors import ConfigError
from chronoscore.neural_fit import scoring
from chronoscore.neural_fit.assembly import average_repetitions
from chronoscore.neural_fit.scoring import neural_predictivity, score_time_modes
from chronoscore.neural_fit.settings import FitSettings
from chronoscore.neural_fit.time_mapping import TimeMapping

from .synthetic import recording

MODES = ("per_bin", "shared", "matrix")


def assert_same_scores(together, alone):
    """Every variable and coordinate equal (numbers to 1e-12); every attribute equal but the creation time."""
    assert set(together.variables) == set(alone.variables)
    for name in alone.variables:
        assert together[name].dims == alone[name].dims
        if alone[name].dtype.kind in "biuf":
            np.testing.assert_allclose(together[name].values, alone[name].values, atol=1e-12, rtol=0)
        else:
            np.testing.assert_array_equal(together[name].values, alone[name].values)
    assert {k: v for k, v in together.attrs.items() if k != "created"} == \
        {k: v for k, v in alone.attrs.items() if k != "created"}


@pytest.mark.parametrize("seed, shape, settings", [
    (0, dict(n_bins=3, n_steps=3), FitSettings(metric_options={"n_components": 6}, n_splits=3)),
    (1, dict(n_bins=4, n_steps=2, region=["V4"] * 5 + ["IT"] * 7), FitSettings(metric_options={"n_components": 4},
                                                                                 n_splits=4, splits="kfold")),
    (2, dict(n_bins=2, n_steps=1, n_features=15), FitSettings(metric="ridge", n_splits=3, train_size=0.75)),
    (3, dict(n_bins=5, n_steps=4, n_neuroids=7), FitSettings(metric="ridgecv", n_splits=2,
                                                              mapping=TimeMapping("table", table=(3, 0, 1, 2, 2)))),
])
def test_modes_in_one_call_equal_one_call_per_mode(seed, shape, settings):
    model, raw = recording(seed, **shape)
    together = score_time_modes(model, raw, settings, MODES, progress=False)
    assert list(together) == list(MODES)
    for mode in MODES:
        assert_same_scores(together[mode], neural_predictivity(model, raw, dataclasses.replace(settings, time=mode),
                                                               progress=False))


def test_the_best_mapping_chooses_steps_once_for_per_bin_and_shared():
    model, raw = recording(4, n_bins=3, n_steps=3, noise=1.0)
    settings = FitSettings(metric_options={"n_components": 4}, n_splits=3, mapping=TimeMapping("best"))
    together = score_time_modes(model, raw, settings, ("per_bin", "shared"), progress=False)
    for mode in ("per_bin", "shared"):
        assert_same_scores(together[mode], neural_predictivity(model, raw, dataclasses.replace(settings, time=mode),
                                                               progress=False))


def test_trial_averaged_data_and_per_region_features_give_the_same_scores_too():
    model, raw = recording(5, n_bins=2, n_steps=2, region=["V4"] * 6 + ["IT"] * 6)
    features = {"V4": model, "IT": model.isel(time_step=[0])}
    settings = FitSettings(metric_options={"n_components": 5}, n_splits=3)
    averaged = average_repetitions(raw)
    together = score_time_modes(features, averaged, settings, MODES, progress=False)
    for mode in MODES:
        assert_same_scores(together[mode], neural_predictivity(features, averaged,
                                                               dataclasses.replace(settings, time=mode),
                                                               progress=False))


def test_ceilings_splits_and_feature_checks_run_once_for_all_modes(monkeypatch):
    calls = {"noise_ceiling": 0, "_splits": 0, "feature_steps": 0}
    for name in calls:
        original = getattr(scoring, name)

        def counted(*args, _original=original, _name=name, **kwargs):
            calls[_name] += 1
            return _original(*args, **kwargs)

        monkeypatch.setattr(scoring, name, counted)
    model, raw = recording(6, n_bins=2, n_steps=2)
    score_time_modes(model, raw, FitSettings(metric_options={"n_components": 4}, n_splits=2), MODES, progress=False)
    assert calls == {"noise_ceiling": 1, "_splits": 1, "feature_steps": 1}


def test_every_mode_is_checked_before_any_work(monkeypatch):
    monkeypatch.setattr(scoring, "noise_ceiling", lambda *args, **kwargs: pytest.fail("work started"))
    model, raw = recording(7, n_bins=2, n_steps=2)
    settings = FitSettings(metric_options={"n_components": 4}, mapping=TimeMapping("best"))
    with pytest.raises(ConfigError, match=r"the 'best' time mapping applies to per_bin or shared fits, not to matrix"):
        score_time_modes(model, raw, settings, ("per_bin", "matrix"), progress=False)
    with pytest.raises(ConfigError, match=r"time must be one of per_bin, shared, matrix; got 'diagonal'"):
        score_time_modes(model, raw, settings, ("per_bin", "diagonal"), progress=False)


def test_with_the_best_mapping_each_split_is_fitted_from_its_own_chosen_steps():
    model, raw = recording(8, n_bins=3, n_steps=3, noise=3.0)
    settings = FitSettings(metric_options={"n_components": 4}, n_splits=3, mapping=TimeMapping("best"))
    together = score_time_modes(model, raw, settings, ("per_bin", "shared"), progress=False)
    stimuli = average_repetitions(raw)["stimulus_id"].values
    drawn = scoring._splits(average_repetitions(raw), settings)
    for mode, scores in together.items():
        chosen = scores["step_for_bin"].sel(region="IT").values                     # (split, bin)
        assert len({tuple(steps) for steps in chosen}) > 1                          # the splits chose differently
        for s, (train, test) in enumerate(drawn):
            table = FitSettings(metric_options={"n_components": 4}, time=mode,
                                mapping=TimeMapping("table", table=tuple(int(step) for step in chosen[s])))
            alone = neural_predictivity(model, raw, table, splits=[(stimuli[train], stimuli[test])], progress=False)
            np.testing.assert_allclose(scores["r"].values[s], alone["r"].values[0], atol=1e-12, rtol=0)
