"""The batched solver: many problems sharing one design equal separate scikit-learn fits."""

import numpy as np
import pytest
import torch
from sklearn.cross_decomposition import PLSRegression as SklearnPLS

from chronoscore.neural_fit.pls_solver import fit_pls_problems, prefer_kernel_form


@pytest.mark.parametrize("kernel", [False, True])
@pytest.mark.parametrize("seed,n,p,q,blocks,splits", [(0, 120, 80, 7, 3, 4), (1, 70, 300, 2, 2, 3)])
def test_every_split_and_block_equals_its_own_fit(kernel, seed, n, p, q, blocks, splits):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) * 2 + 1
    Y = rng.normal(size=(blocks, n, q)) + X[None, :, :q] * 0.5
    masks = rng.random((splits, n)) < 0.8

    factors = fit_pls_problems(X, Y, masks, n_components=10, kernel=kernel)
    coef, intercept = factors.coefficients()

    for s in range(splits):
        held_out = X[~masks[s]]
        for b in range(blocks):
            reference = SklearnPLS(10, scale=False).fit(X[masks[s]], Y[b][masks[s]])
            expected = reference.predict(held_out)
            problem = s * blocks + b
            np.testing.assert_allclose(held_out @ coef[problem] + intercept[problem], expected, atol=1e-9)
            working = factors.working_rows(held_out)
            np.testing.assert_allclose(factors.predict_working(working, problem), expected, atol=1e-9)
            assert list(factors.n_iter[problem]) == list(reference.n_iter_)


@pytest.mark.parametrize("seed,n,p,q,blocks,splits", [(5, 60, 4, 40, 2, 3), (6, 90, 12, 150, 1, 4)])
def test_more_targets_than_features_iterate_in_feature_space_and_equal_scikit_learn(seed, n, p, q, blocks, splits):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) + 0.5
    Y = rng.normal(size=(blocks, n, q)) + (X @ rng.normal(size=(p, q)))[None] * 0.3
    Y[:, :, 0] = 0.0  # a silent model unit: NIPALS starts from the next column
    masks = rng.random((splits, n)) < 0.8
    n_components = min(p, 6)

    factors = fit_pls_problems(X, Y, masks, n_components=n_components)
    torch_factors = fit_pls_problems(torch.tensor(X), torch.tensor(Y), torch.tensor(masks), n_components=n_components)

    assert factors.rotations.shape[1] < factors.y_loadings.shape[1], "the iteration should run in feature space"
    for s in range(splits):
        held_out = X[~masks[s]]
        for b in range(blocks):
            reference = SklearnPLS(n_components, scale=False).fit(X[masks[s]], Y[b][masks[s]])
            problem = s * blocks + b
            working = factors.working_rows(held_out)
            np.testing.assert_allclose(factors.predict_working(working, problem), reference.predict(held_out),
                                       atol=1e-9)
            assert list(factors.n_iter[problem]) == list(reference.n_iter_)
    np.testing.assert_array_equal(np.asarray(torch_factors.n_iter), factors.n_iter)
    np.testing.assert_allclose(torch_factors.coefficients()[0].numpy(), factors.coefficients()[0], atol=1e-10)


def test_torch_and_numpy_agree():
    rng = np.random.default_rng(2)
    X, Y = rng.normal(size=(60, 40)), rng.normal(size=(60, 5))
    masks = np.ones((1, 60), dtype=bool)
    expected = fit_pls_problems(X, Y, masks, n_components=8).coefficients()[0]
    factors = fit_pls_problems(torch.tensor(X), torch.tensor(Y), torch.tensor(masks), n_components=8)
    coef = factors.coefficients()[0]
    assert isinstance(coef, torch.Tensor)
    np.testing.assert_allclose(coef.numpy(), expected, atol=1e-10)


@pytest.mark.parametrize("seed", [3, 4])
def test_torch_and_numpy_agree_on_many_problems_converging_at_different_iterations(seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(90, 50))
    Y = rng.normal(size=(3, 90, 6)) + X[None, :, :6] * 0.3
    masks = rng.random((4, 90)) < 0.8
    expected = fit_pls_problems(X, Y, masks, n_components=8)
    factors = fit_pls_problems(torch.tensor(X), torch.tensor(Y), torch.tensor(masks), n_components=8)
    assert len({tuple(row) for row in expected.n_iter}) > 1, "the problems should need different iteration counts"
    np.testing.assert_array_equal(np.asarray(factors.n_iter), expected.n_iter)
    np.testing.assert_allclose(factors.coefficients()[0].numpy(), expected.coefficients()[0], atol=1e-10)


def test_kernel_form_is_chosen_only_when_features_far_exceed_samples():
    assert prefer_kernel_form(50, 20000, 5, 10, 25)
    assert not prefer_kernel_form(3200, 4096, 168, 10, 25)
    assert not prefer_kernel_form(500, 100, 10, 1, 25)
