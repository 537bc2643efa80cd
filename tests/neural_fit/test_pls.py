"""PLSRegression against scikit-learn's PLSRegression(scale=False)."""

import warnings

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.cross_decomposition import PLSRegression as SklearnPLS

from chronoscore.errors import DataFormatError, FitError, NotFittedError
from chronoscore.neural_fit.pls import PLSRegression, RankWarning


def problem(seed, n, p, q, rank=None):
    """Correlated design (optionally of low rank) and noisy targets with a nonzero mean."""
    rng = np.random.default_rng(seed)
    if rank is None:
        X = rng.normal(size=(n, p)) @ np.diag(np.linspace(3, 0.2, p)) + 2.0
        X_new = rng.normal(size=(17, p)) @ np.diag(np.linspace(3, 0.2, p)) + 2.0
    else:
        basis = rng.normal(size=(rank, p))
        X = rng.normal(size=(n, rank)) @ basis + 1.0
        X_new = rng.normal(size=(17, rank)) @ basis + 1.0
    used = min(p, 30)
    Y = X[:, :used] @ rng.normal(size=(used, q)) / np.sqrt(used) + rng.normal(size=(n, q)) + 5.0
    return X, Y, X_new


def assert_same_predictions(ours, theirs, rtol):
    scale = np.abs(theirs).max()
    assert np.abs(ours - theirs).max() <= rtol * scale


SHAPES = [  # seed, samples, features, targets, components
    (0, 50, 10, 1, 10),
    (1, 120, 300, 20, 25),
    (2, 3000, 64, 100, 25),
    (3, 60, 20000, 5, 25),
    (4, 500, 1000, 100, 25),
    (5, 200, 40, 300, 25),
]


@pytest.mark.parametrize("seed,n,p,q,k", SHAPES)
def test_predictions_and_iterations_equal_scikit_learn(seed, n, p, q, k):
    X, Y, X_new = problem(seed, n, p, q)
    reference = SklearnPLS(n_components=k, scale=False).fit(X, Y)

    ours = PLSRegression(n_components=k).fit(X, Y)

    assert ours.n_iter_ == list(reference.n_iter_)
    assert_same_predictions(ours.predict(X_new), reference.predict(X_new), rtol=1e-5)
    assert_same_predictions(ours.predict(X), reference.predict(X), rtol=1e-5)
    np.testing.assert_allclose(ours.coef_, reference.coef_, rtol=0, atol=1e-5 * np.abs(reference.coef_).max())


@pytest.mark.parametrize("solver", ["primal", "kernel"])
def test_both_solvers_equal_scikit_learn(solver):
    X, Y, X_new = problem(6, 80, 400, 12)
    reference = SklearnPLS(n_components=25, scale=False).fit(X, Y)
    ours = PLSRegression(n_components=25, solver=solver).fit(X, Y)
    assert_same_predictions(ours.predict(X_new), reference.predict(X_new), rtol=1e-5)


def test_one_dimensional_target_gives_one_dimensional_prediction():
    X, Y, X_new = problem(7, 70, 30, 1)
    reference = SklearnPLS(n_components=5, scale=False).fit(X, Y[:, 0])
    ours = PLSRegression(n_components=5).fit(X, Y[:, 0])
    assert ours.predict(X_new).shape == (17,)
    assert_same_predictions(ours.predict(X_new), reference.predict(X_new).ravel(), rtol=1e-5)


@pytest.mark.parametrize("seed,rank", [(8, 6), (9, 15)])
def test_components_above_the_rank_stop_at_the_rank(seed, rank):
    """scikit-learn divides by zero scores past the rank; chronoscore stops there.

    Its answer then equals scikit-learn's with n_components = rank.
    """
    X, Y, X_new = problem(seed, 90, 200, 7, rank=rank)
    with pytest.warns(RankWarning, match=f"only {rank} independent directions"), warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)   # no invalid arithmetic on the noise past the rank
        ours = PLSRegression(n_components=25).fit(X, Y)
    reference = SklearnPLS(n_components=rank, scale=False).fit(X, Y)
    assert ours.n_components_ == rank
    assert_same_predictions(ours.predict(X_new), reference.predict(X_new), rtol=1e-5)


def test_torch_input_gives_torch_output_equal_to_numpy():
    X, Y, X_new = problem(10, 100, 50, 9)
    expected = PLSRegression(n_components=12).fit(X, Y).predict(X_new)
    model = PLSRegression(n_components=12).fit(torch.tensor(X, dtype=torch.float32), torch.tensor(Y))
    prediction = model.predict(torch.tensor(X_new))
    assert isinstance(prediction, torch.Tensor) and prediction.dtype == torch.float64
    np.testing.assert_allclose(prediction.numpy(), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.gpu
def test_cuda_input_stays_on_the_device():
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA device")
    X, Y, X_new = problem(11, 300, 200, 30)
    expected = PLSRegression().fit(X, Y).predict(X_new)
    model = PLSRegression().fit(torch.tensor(X, device="cuda"), torch.tensor(Y, device="cuda"))
    prediction = model.predict(torch.tensor(X_new, device="cuda"))
    assert prediction.device.type == "cuda"
    np.testing.assert_allclose(prediction.cpu().numpy(), expected, rtol=1e-5, atol=1e-6)


def test_follows_the_scikit_learn_estimator_api():
    model = PLSRegression(n_components=3, tol=1e-7)
    assert clone(model).get_params() == model.get_params()
    with pytest.raises(NotFittedError):
        model.predict(np.ones((2, 4)))
    X, Y, _ = problem(12, 40, 8, 2)
    assert model.fit(X, Y) is model
    assert 0.0 < model.score(X, Y) <= 1.0


def test_bad_input_raises_before_fitting():
    X, Y, _ = problem(13, 20, 8, 2)
    with pytest.raises(FitError, match="at least as many training samples as components"):
        PLSRegression(n_components=25).fit(X, Y)
    with pytest.raises(DataFormatError, match="NaN"):
        PLSRegression(n_components=2).fit(np.where(X > 3, np.nan, X), Y)
    with pytest.raises(DataFormatError, match="samples"):
        PLSRegression(n_components=2).fit(X, Y[:-1])
    with pytest.raises(DataFormatError, match="features"):
        PLSRegression(n_components=2).fit(X, Y).predict(X[:, :-1])


def test_no_warning_when_the_rank_suffices():
    X, Y, _ = problem(14, 100, 30, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        PLSRegression(n_components=25).fit(X, Y)
