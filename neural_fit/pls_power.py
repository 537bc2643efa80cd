"""NIPALS' x-weight power iteration for a batch of PLS problems, in target or in feature space.

scikit-learn's NIPALS starts each component from the first non-zero column ``j0``
of the deflated targets and iterates ``w ← C Cᵀ w / ||C Cᵀ w||`` on the x-weights,
``C = X_kᵀ Y_k`` (f features × q targets), until ``||w_new − w||² < tol``. The
same sequence can be run on whichever side of ``C`` is smaller:

* **target space** (q × q): ``v ← M v / ||M v||`` with ``M = Cᵀ C``, started at
  ``e_j0``; the x-weight is ``w = C v / ||C v||`` and the convergence test needs
  only quadratic forms of ``M`` (:func:`target_space_iteration`);
* **feature space** (f × f): ``w ← N w / ||N w||`` with ``N = C Cᵀ``, started at
  ``C e_j0 / ||C e_j0||`` (:func:`feature_space_iteration`). Since
  ``C (M v) = N (C v)``, both produce the same x-weights at every iteration.

With many more targets than features (reverse predictivity: model units
predicted from neuroids) the feature space is far cheaper, and the other way
round for forward PLS.
"""

from __future__ import annotations

import numpy as np

from chronoscore.neural_fit.arrays import Array, is_torch, to_bool_numpy, zeros_like_batch

__all__ = ["feature_space_iteration", "first_nonzero", "target_space_iteration"]


def target_space_iteration(gram: Array, *, max_iter: int, tol: float) -> tuple[Array, np.ndarray]:
    """The power iteration run in target space for every problem.

    With ``w = C v / ||C v||`` the x-weight change that scikit-learn tests is
    ``||w_new − w||² = 2 − 2 v_newᵀ M v / sqrt(v_newᵀ M v_new · vᵀ M v)``, and
    ``v_newᵀ M v = ||M v||`` when ``v_new = M v / ||M v||``: one product with
    ``M`` per iteration, for the problems that are still iterating.

    Parameters
    ----------
    gram : (P, q, q) array
        ``M = Cᵀ C`` per problem. A problem whose ``M`` is zero (its design or
        targets are constant) keeps the start vector; its component then has a
        zero score and the problem stops.

    Returns
    -------
    v : (P, q) array
        Target-space vector with x-weight ``C v / ||C v||``.
    n_iter : (P,) int array
        Iterations used, counted as scikit-learn counts them.
    """
    n_problems, q = gram.shape[0], gram.shape[1]
    column_norm2 = gram.diagonal(dim1=1, dim2=2) if is_torch(gram) else np.diagonal(gram, axis1=1, axis2=2)
    v = zeros_like_batch(gram, (n_problems, q))
    v[np.arange(n_problems), first_nonzero(column_norm2)] = 1.0
    running = np.flatnonzero(to_bool_numpy(column_norm2.sum(1) > 0))   # a zero M (constant design) stays put
    if q == 1:
        return v, np.ones(n_problems, dtype=int)
    return _iterate(gram, v, running, max_iter=max_iter, tol=tol, target_space=True)


def feature_space_iteration(cross_gram: Array, start: Array, *, max_iter: int, tol: float
                            ) -> tuple[Array, np.ndarray]:
    """The power iteration run in feature space for every problem.

    Parameters
    ----------
    cross_gram : (P, f, f) array
        ``N = C Cᵀ`` per problem.
    start : (P, f) array
        The first x-weight ``C e_j0 / ||C e_j0||``; zero for a problem whose ``C``
        is zero (it stays zero, so its component has a zero score). The solver
        takes this space only with more targets than features, so never for a
        single target (where scikit-learn stops after the first step).
    max_iter, tol : int, float
        As scikit-learn's NIPALS.

    Returns
    -------
    w : (P, f) array
        Unit x-weights (zero where ``start`` is).
    n_iter : (P,) int array
        Iterations used, counted as scikit-learn counts them.
    """
    running = np.flatnonzero(to_bool_numpy((start * start).sum(1) > 0))
    w = start.clone() if is_torch(start) else start.copy()
    return _iterate(cross_gram, w, running, max_iter=max_iter, tol=tol, target_space=False)


def _iterate(matrix: Array, vectors: Array, running: np.ndarray, *, max_iter: int, tol: float,
             target_space: bool) -> tuple[Array, np.ndarray]:
    """Power-iterate ``vectors`` (P, d) with ``matrix`` (P, d, d) for the ``running`` problems, in place.

    In feature space the vectors are the unit x-weights and their change is taken
    directly; in target space it follows from quadratic forms (see
    :func:`target_space_iteration`).
    """
    n_iter = np.ones(vectors.shape[0], dtype=int)
    if not running.size:
        return vectors, n_iter
    # ``held``: the problems whose matrix is in the stack ``m``; ``alive``: which of them still iterate. Converged
    # problems stay in the stack (their results unused) until at most half of it is alive, so that the stack
    # is copied a bounded number of times instead of whenever one problem converges.
    held = running
    m, current = matrix[held], vectors[held]
    alive = np.ones(held.size, dtype=bool)
    m_current = (m @ current[:, :, None])[:, :, 0]
    current_norm2 = (current * m_current).sum(1)
    for iteration in range(1, max_iter):
        length = (m_current * m_current).sum(1) ** 0.5
        new = m_current / length[:, None]
        m_new = (m @ new[:, :, None])[:, :, 0]
        if target_space:
            new_norm2 = (new * m_new).sum(1)
            with np.errstate(invalid="ignore"):   # NaN where M is rounding noise (past the design's rank)
                change = 2.0 - 2.0 * length / (new_norm2 * current_norm2) ** 0.5
        else:
            new_norm2 = current_norm2
            change = ((new - current) ** 2).sum(1)
        rows = np.flatnonzero(alive)
        vectors[held[rows]] = new[rows]
        n_iter[held[rows]] = iteration + 1
        alive &= to_bool_numpy(change >= tol)   # a NaN change stops too: nothing is left to converge to
        current, m_current, current_norm2 = new, m_new, new_norm2
        if not alive.any():
            break
        if 2 * alive.sum() <= alive.size:
            keep = np.flatnonzero(alive)
            held, alive = held[keep], alive[keep]
            m, current, m_current, current_norm2 = m[keep], current[keep], m_current[keep], current_norm2[keep]
    return vectors, n_iter


def first_nonzero(column_norm2: Array) -> np.ndarray:
    """(P,) index of each problem's first column with a positive squared norm (0 if none)."""
    values = column_norm2.cpu().numpy() if is_torch(column_norm2) else np.asarray(column_norm2)
    nonzero = values > 0
    return np.where(nonzero.any(1), nonzero.argmax(1), 0)
