"""Ridge regression estimators with the scikit-learn API, on numpy or torch data.

:class:`Ridge` fits one penalty; :class:`RidgeCV` chooses it from a grid by
efficient leave-one-out (``cv=None``) or K-fold R² (``cv=int``), the choices
``sklearn.linear_model.RidgeCV`` makes. Both fit in float64 on the device of
``X`` and keep the learned coefficients there; ``predict`` answers in the
library (and on the device) of its input. The numerics are in
:mod:`chronoscore.neural_fit.ridge_solver`.
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import Sequence

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin

from chronoscore.errors import ConfigError
from chronoscore.neural_fit.arrays import Array, to_library_of, to_numpy
from chronoscore.neural_fit.linear_predictor import LinearPredictorMixin
from chronoscore.neural_fit.ridge_solver import (
    best_alpha_index,
    decompose,
    kfold_r2,
    loo_squared_errors,
    ridge_weights,
)
from chronoscore.neural_fit.validation import check_matrix, check_paired

__all__ = ["Ridge", "RidgeCV"]


def _check_fit_data(X: object, y: object) -> tuple[Array, Array]:
    """Validate training data; return ``x`` (n, p) and ``y`` (n, q), float64 in ``x``'s library."""
    x = check_matrix(X, "X")
    targets = check_matrix(y, "y", allow_1d=True)
    check_paired(x, targets)
    return x, to_library_of(targets.reshape(x.shape[0], -1), x)


def _check_flag(value: object, name: str) -> None:
    if not isinstance(value, (bool, np.bool_)):
        raise ConfigError(f"{name} must be True or False; got {value!r}.")


def _check_alpha(alpha: object) -> float:
    """Return a single non-negative penalty as a float, or raise ConfigError."""
    if isinstance(alpha, bool) or not isinstance(alpha, Real) or not 0 <= alpha < np.inf:
        raise ConfigError(f"alpha must be a single finite, non-negative number; got {alpha!r}.")
    return float(alpha)


def _check_alphas(alphas: object, allow_zero: bool) -> np.ndarray:
    """Return the alpha grid as a float64 numpy array (n_alphas,), or raise ConfigError."""
    try:
        grid = np.atleast_1d(np.asarray(alphas, dtype=np.float64))
    except (TypeError, ValueError) as error:
        raise ConfigError(f"alphas must be a sequence of numbers; got {alphas!r}.") from error
    bound = "non-negative" if allow_zero else "strictly positive"
    valid = (grid >= 0) if allow_zero else (grid > 0)
    if grid.ndim != 1 or grid.size == 0 or not (np.isfinite(grid) & valid).all():
        raise ConfigError(f"alphas must be a non-empty 1-d sequence of finite, {bound} numbers; got {alphas!r}.")
    return grid


class _RidgeBase(LinearPredictorMixin, RegressorMixin, BaseEstimator):
    """Storage of the fitted linear map, shared by the ridge estimators."""

    def _set_coefficients(self, weights: Array, intercepts: Array, y_ndim: int) -> None:
        """Store ``weights`` (p, q) and ``intercepts`` (q,) in scikit-learn's (≥ 1.6) layout.

        One target, given as a 1-d ``y`` or a single column, gives a 1-d ``coef_``
        (and 1-d predictions); the intercept is a scalar for a 1-d ``y`` only.
        """
        self.coef_ = weights[:, 0] if weights.shape[1] == 1 else weights.T
        if not self.fit_intercept:
            self.intercept_ = 0.0
        else:
            self.intercept_ = intercepts[0] if y_ndim == 1 else intercepts
        self.n_features_in_ = weights.shape[0]


class Ridge(_RidgeBase):
    """Linear least squares with an L2 penalty ``alpha * ||w||²`` on the weights.

    Same model, coefficients and predictions as ``sklearn.linear_model.Ridge``
    (the intercept is not penalised); accepts numpy arrays or torch tensors.

    Parameters
    ----------
    alpha : float
        Non-negative penalty; 0 gives the minimum-norm least-squares solution.
    fit_intercept : bool
        Fit an unpenalised intercept (the data are centred first).

    Attributes
    ----------
    coef_ : array (n_targets, n_features), or (n_features,) for one target (a 1-d ``y`` or one column)
        In the library and on the device of the training ``X``.
    intercept_ : array (n_targets,), scalar for a 1-d ``y``, or 0.0 without intercept
    n_features_in_ : int
    """

    def __init__(self, alpha: float = 1.0, fit_intercept: bool = True) -> None:
        self.alpha = alpha
        self.fit_intercept = fit_intercept

    def fit(self, X: Array, y: Array) -> "Ridge":
        """Fit on ``X`` (n_samples, n_features) and ``y`` (n_samples,) or (n_samples, n_targets)."""
        alpha = _check_alpha(self.alpha)
        _check_flag(self.fit_intercept, "fit_intercept")
        x, targets = _check_fit_data(X, y)
        weights, intercepts = ridge_weights(decompose(x, self.fit_intercept), targets, alpha)
        self._set_coefficients(weights, intercepts, y_ndim=np.ndim(y))
        return self


class RidgeCV(_RidgeBase):
    """Ridge regression with the penalty chosen from a grid by cross-validation.

    With ``cv=None`` the penalty minimises the mean squared leave-one-out error,
    computed in closed form from one decomposition for all alphas; with
    ``cv=K`` it maximises the mean R² over K contiguous folds (scikit-learn's
    ``KFold`` without shuffling and its default regressor score). The model is
    then refitted on all samples. ``alpha_`` matches
    ``sklearn.linear_model.RidgeCV`` with the same ``cv``.

    Parameters
    ----------
    alphas : sequence of float
        Penalties to try, strictly positive for ``cv=None`` and non-negative otherwise.
    fit_intercept : bool
        Fit an unpenalised intercept.
    cv : int or None
        None for efficient leave-one-out, or the number of folds.
    alpha_per_target : bool
        Choose one alpha per target instead of one for all targets (mean loss).
        Unlike scikit-learn, also allowed with ``cv=int``.

    Attributes
    ----------
    alpha_ : float, or numpy array (n_targets,) with ``alpha_per_target`` and 2+ targets
    best_score_ : float or numpy array (n_targets,)
        Negative mean squared leave-one-out error (``cv=None``) or mean R² (``cv=int``)
        of the chosen alpha(s).
    coef_ : array (n_targets, n_features), or (n_features,) for one target (a 1-d ``y`` or one column)
    intercept_ : array (n_targets,), scalar for a 1-d ``y``, or 0.0 without intercept
    n_features_in_ : int
    """

    def __init__(
        self,
        alphas: Sequence[float] = (0.1, 1.0, 10.0),
        fit_intercept: bool = True,
        cv: int | None = None,
        alpha_per_target: bool = False,
    ) -> None:
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.cv = cv
        self.alpha_per_target = alpha_per_target

    def fit(self, X: Array, y: Array) -> "RidgeCV":
        """Choose alpha and fit on ``X`` (n_samples, n_features) and ``y`` (n_samples,) or (n_samples, n_targets)."""
        if self.cv is not None and (isinstance(self.cv, bool) or not isinstance(self.cv, Integral) or self.cv < 2):
            raise ConfigError(f"cv must be None (leave-one-out) or an integer number of folds >= 2; got {self.cv!r}.")
        alphas = _check_alphas(self.alphas, allow_zero=self.cv is not None)
        _check_flag(self.fit_intercept, "fit_intercept")
        _check_flag(self.alpha_per_target, "alpha_per_target")
        x, targets = _check_fit_data(X, y)
        per_target = bool(self.alpha_per_target) and targets.shape[1] > 1
        if self.cv is None:
            decomposition = decompose(x, self.fit_intercept)
            loss = to_numpy(loo_squared_errors(decomposition, targets, alphas))
        else:
            loss = -to_numpy(kfold_r2(x, targets, alphas, int(self.cv), self.fit_intercept))
            decomposition = decompose(x, self.fit_intercept)
        best = best_alpha_index(loss, per_target)
        if per_target:
            self.alpha_ = alphas[best]
            self.best_score_ = -loss[best, np.arange(loss.shape[1])]
        else:
            self.alpha_ = float(alphas[best])
            self.best_score_ = float(-loss[best].mean())
        weights, intercepts = ridge_weights(decomposition, targets, self.alpha_)
        self._set_coefficients(weights, intercepts, y_ndim=np.ndim(y))
        return self
