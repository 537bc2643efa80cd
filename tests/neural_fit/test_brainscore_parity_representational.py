"""The ``rsa``, ``cka`` and ``reverse_pls`` metrics beside Brain-Score's own ``rdm``, ``cka`` and ``reverse_pls``."""

import numpy as np
import pytest

from chronoscore.neural_fit.assembly import average_repetitions
from chronoscore.neural_fit.brainscore_convert import to_brainscore
from chronoscore.neural_fit.scoring import neural_predictivity
from chronoscore.neural_fit.settings import FitSettings

from .synthetic import recording
from .test_brainscore_parity import brainscore_features

pytestmark = pytest.mark.brainscore

SHAPES = [  # seed, objects, per object, features, neuroids, repetitions
    (0, 8, 10, 40, 12, 4),
    (1, 4, 25, 300, 7, 6),
    (2, 5, 13, 26, 30, 3),
    (3, 6, 12, 5, 50, 2),
]


def brainscore_inputs(seed, objects, per_object, n_features, n_neuroids, reps):
    model, raw = recording(seed, n_objects=objects, per_object=per_object, n_features=n_features,
                           n_neuroids=n_neuroids, n_repetitions=reps)
    target = to_brainscore(average_repetitions(raw)).squeeze("time_bin")
    return model, raw, brainscore_features(model), target


@pytest.mark.parametrize("shape", SHAPES)
def test_rsa_matches_brainscore_rdm_cv(shape):
    from brainscore_vision import load_metric

    model, raw, source, target = brainscore_inputs(*shape)
    expected = load_metric("rdm_cv")(source, target)

    ours = neural_predictivity(model, raw, FitSettings(metric="rsa"), progress=False)

    per_split = expected.attrs["raw"].transpose("split").values
    np.testing.assert_allclose(ours["similarity"].values[:, 0, 0], per_split, atol=1e-9, rtol=0)
    assert abs(ours["score"].item() - float(expected.values)) <= 1e-6
    assert abs(ours["error"].item() - float(expected.attrs["error"])) <= 1e-6


@pytest.mark.parametrize("shape", SHAPES)
def test_rsa_without_cross_validation_matches_brainscore_rdm(shape):
    from brainscore_vision import load_metric

    model, raw, source, target = brainscore_inputs(*shape)
    expected = load_metric("rdm")(source, target)

    ours = neural_predictivity(model, raw, FitSettings(metric="rsa", metric_options={"cross_validate": False}),
                               progress=False)

    assert abs(ours["score"].item() - float(expected.values)) <= 1e-6


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name, options", [("cka_cv", {}), ("cka", {"cross_validate": False}),
                                           ("cka_biased", {"cross_validate": False, "debiased": False})])
def test_cka_matches_brainscore(shape, name, options):
    from brainscore_vision import load_metric

    model, raw, source, target = brainscore_inputs(*shape)
    expected = load_metric(name)(source, target)

    ours = neural_predictivity(model, raw, FitSettings(metric="cka", metric_options=options), progress=False)

    if name == "cka_cv":
        per_split = expected.attrs["raw"].transpose("split").values
        np.testing.assert_allclose(ours["similarity"].values[:, 0, 0], per_split, atol=1e-9, rtol=0)
        assert abs(ours["error"].item() - float(expected.attrs["error"])) <= 1e-6
    assert abs(ours["score"].item() - float(expected.values)) <= 1e-6


@pytest.mark.parametrize("shape", SHAPES)
def test_rbf_cka_matches_brainscores_kernel_cka(shape):
    from brainscore_vision.metrics.cka.metric import kernel_CKA

    model, raw, source, target = brainscore_inputs(*shape)
    expected = kernel_CKA(model.values, average_repetitions(raw).values[:, :, 0])

    ours = neural_predictivity(model, raw, FitSettings(metric="cka", metric_options={
        "cross_validate": False, "debiased": False, "kernel": "rbf"}), progress=False)

    assert abs(ours["score"].item() - expected) <= 1e-6



def brainscore_reverse_pls(n_components):
    from brainscore_vision.metrics.regression_correlation.metric import (ReverseCrossRegressedCorrelation,
                                                                          pearsonr_correlation, pls_regression)

    return ReverseCrossRegressedCorrelation(regression=pls_regression(dict(n_components=n_components)),
                                            correlation=pearsonr_correlation())


@pytest.mark.parametrize("shape, n_components", [(SHAPES[0], 5), (SHAPES[1], 7), (SHAPES[2], 25), (SHAPES[3], 25)])
def test_reverse_pls_matches_brainscore_reverse_pls_cv(shape, n_components):
    model, raw, source, target = brainscore_inputs(*shape)
    expected = brainscore_reverse_pls(n_components)(source, target)

    ours = neural_predictivity(model, raw, FitSettings(metric="reverse_pls",
                                                       metric_options={"n_components": n_components}),
                               progress=False)

    assert abs(ours["score"].item() - float(expected.values)) <= 1e-5
    assert abs(ours["error"].item() - float(expected.attrs["error"])) <= 1e-5


def test_the_default_reverse_pls_is_brainscores_registered_metric():
    from brainscore_vision import load_metric

    model, raw, source, target = brainscore_inputs(*SHAPES[3])
    expected = load_metric("reverse_pls_cv")(source, target)
    ours = neural_predictivity(model, raw, FitSettings(metric="reverse_pls"), progress=False)
    assert abs(ours["score"].item() - float(expected.values)) <= 1e-5
