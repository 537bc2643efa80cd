"""chronoscore's metric, ceiling and splits beside Brain-Score's own code on the same data."""

import numpy as np
import pytest

from chronoscore.neural_fit.assembly import average_repetitions
from chronoscore.neural_fit.brainscore_convert import to_brainscore
from chronoscore.neural_fit.ceiling import split_half_consistency, trials_by_repetition
from chronoscore.neural_fit.scoring import neural_predictivity, noise_ceiling
from chronoscore.neural_fit.settings import FitSettings
from chronoscore.neural_fit.splits import shuffle_splits
from chronoscore.neural_fit.time_mapping import TimeMapping

from .synthetic import recording

pytestmark = pytest.mark.brainscore

SHAPES = [  # seed, objects, per object, features, neuroids, repetitions
    (0, 8, 10, 40, 12, 4),
    (1, 4, 25, 300, 7, 6),
    (2, 5, 13, 26, 30, 3),
]


def brainscore_features(model):
    from brainscore_core.supported_data_standards.brainio.assemblies import NeuroidAssembly

    dims = list(model.dims)
    coords = {name: (coord.dims, coord.values) for name, coord in model.coords.items()}
    if "time_step" in dims:
        raise ValueError("use brainscore_temporal_features for time-resolved features")
    coords["layer"] = ("neuroid", ["features"] * model.sizes["neuroid"])
    return NeuroidAssembly(model.values, coords=coords, dims=dims)


def brainscore_pls():
    from brainscore_vision import load_metric

    return load_metric("pls", crossvalidation_kwargs=dict(stratification_coord="object_name"))


def per_neuroid(bs_score, neuroid_ids):
    raw = bs_score.attrs["raw"]
    order = {nid: i for i, nid in enumerate(raw["neuroid_id"].values)}
    columns = [order[nid] for nid in neuroid_ids]
    return raw.transpose("split", ...).values[:, columns]


@pytest.mark.parametrize("seed,objects,per_object,n_features,n_neuroids,reps", SHAPES)
def test_pls_metric_matches_brainscore(seed, objects, per_object, n_features, n_neuroids, reps):
    model, raw = recording(seed, n_objects=objects, per_object=per_object, n_features=n_features,
                           n_neuroids=n_neuroids, n_repetitions=reps)
    target = to_brainscore(average_repetitions(raw)).squeeze("time_bin")
    expected = brainscore_pls()(brainscore_features(model), target)

    ours = neural_predictivity(model, raw, FitSettings(), progress=False)

    r_expected = per_neuroid(expected, raw["neuroid_id"].values)
    np.testing.assert_allclose(ours["r"].values[:, :, 0], r_expected, atol=1e-4, rtol=0)
    assert abs(ours["score"].item() - float(expected.values)) <= 1e-5
    assert abs(ours["error"].item() - float(expected.attrs["error"])) <= 1e-5


@pytest.mark.parametrize("seed,objects,per_object,n_features,n_neuroids,reps", SHAPES)
def test_ceiling_matches_brainscore_internal_consistency(seed, objects, per_object, n_features, n_neuroids, reps):
    from brainscore_vision.metrics.internal_consistency.ceiling import InternalConsistency

    _, raw = recording(seed, n_objects=objects, per_object=per_object, n_features=n_features,
                       n_neuroids=n_neuroids, n_repetitions=reps)
    expected = InternalConsistency()(to_brainscore(raw).squeeze("time_bin"))

    ours = noise_ceiling(raw)

    assert abs(ours["ceiling"].item() - float(expected.values)) <= 1e-5
    assert abs(ours["ceiling_error"].item() - float(expected.attrs["error"])) <= 1e-5
    values = raw.values[:, :, 0]
    dense, _, _ = trials_by_repetition(values, raw["stimulus_id"].values, raw["repetition"].values)
    raw_expected = expected.attrs["raw"].transpose("split", "neuroid")
    order = {nid: i for i, nid in enumerate(raw_expected["neuroid_id"].values)}
    columns = [order[nid] for nid in raw["neuroid_id"].values]
    np.testing.assert_allclose(split_half_consistency(dense), raw_expected.values[:, columns], atol=1e-10)


@pytest.mark.parametrize("seed,objects,per_object", [(3, 8, 10), (4, 3, 31)])
def test_splits_equal_brainscore_splits(seed, objects, per_object):
    from brainscore_vision.metric_helpers.transformations import Split

    _, raw = recording(seed, n_objects=objects, per_object=per_object)
    target = to_brainscore(average_repetitions(raw)).squeeze("time_bin")
    values, expected = Split(stratification_coord="object_name").build_splits(target)

    ours = shuffle_splits(target["stimulus_id"].values, target["object_name"].values)

    assert len(ours) == len(expected) == 10
    for (train, test), (train_bs, test_bs) in zip(ours, expected):
        np.testing.assert_array_equal(train, train_bs)
        np.testing.assert_array_equal(test, test_bs)


def brainscore_temporal(assembly, stimulus_ids, objects):
    """A (presentation, neuroid, time_bin) Brain-Score assembly with MultiIndexed time bins."""
    from brainscore_core.supported_data_standards.brainio.assemblies import NeuroidAssembly

    return NeuroidAssembly(
        assembly, dims=["presentation", "neuroid", "time_bin"],
        coords={"stimulus_id": ("presentation", stimulus_ids), "object_name": ("presentation", objects),
                "neuroid_id": ("neuroid", [f"u{i}" for i in range(assembly.shape[1])]),
                "time_bin_start": ("time_bin", 70 + 10 * np.arange(assembly.shape[2])),
                "time_bin_end": ("time_bin", 80 + 10 * np.arange(assembly.shape[2]))})


@pytest.mark.parametrize("seed,n_bins", [(5, 3), (6, 2)])
def test_shared_time_fit_matches_brainscore_spantime_pls(seed, n_bins):
    from brainscore_vision import load_metric

    model, raw = recording(seed, n_objects=6, per_object=10, n_features=30, n_neuroids=8, n_bins=n_bins,
                           n_steps=n_bins)
    averaged = average_repetitions(raw)
    target = to_brainscore(averaged)
    source_values = model.transpose("presentation", "neuroid", "time_step").values
    source = brainscore_temporal(source_values, model["stimulus_id"].values, model["object_name"].values)
    metric = load_metric("spantime_pls", crossvalidation_kwargs=dict(stratification_coord="object_name"))
    expected = metric(source, target)

    settings = FitSettings(time="shared", mapping=TimeMapping("latency", latency_ms=70, step_ms=10))
    ours = neural_predictivity(model, raw, settings, progress=False)

    expected_per_bin = expected.transpose("time_bin").values
    np.testing.assert_allclose(ours["score"].values[0], expected_per_bin, atol=1e-5, rtol=0)


def test_per_bin_ceilings_match_brainscore_temporal_ceiling():
    from brainscore_vision.metrics.internal_consistency.ceiling import InternalConsistency, TemporalCeiling

    _, raw = recording(7, n_objects=4, per_object=12, n_neuroids=6, n_repetitions=5, n_bins=3, n_steps=3)
    expected = TemporalCeiling(InternalConsistency())(to_brainscore(raw))

    ours = noise_ceiling(raw)

    np.testing.assert_allclose(ours["ceiling"].values[0], expected.values, atol=1e-5, rtol=0)
