"""Partial least squares (PLS1/PLS2, NIPALS) for many problems that share one design.

This is the numerical core behind :class:`chronoscore.neural_fit.PLSRegression` and
the cross-validated metric. It computes exactly what scikit-learn's
``PLSRegression(scale=False)`` computes — the NIPALS power iteration with the same
start vector, the same convergence test (``||w_i - w_{i-1}||^2 < tol``) and the
same regression-mode deflation — but it never deflates the (samples × features)
design. Writing ``C_k = X_kᵀ Y_k`` for the deflated cross-covariance, the facts
used are (Wold's NIPALS as described by Wegelin 2000; Höskuldsson 1988):

* NIPALS' x-weight iteration is a power iteration ``w ← C_k C_kᵀ w`` started at
  column ``j0`` of ``C_k``, run on the smaller side of ``C_k``
  (:mod:`chronoscore.neural_fit.pls_power`): in target space ``v ← M_k v`` with
  ``M_k = C_kᵀ C_k`` (q × q) and ``w = C_k v / ||C_k v||``, or with more targets
  than features in feature space on ``N_k = C_k C_kᵀ`` (f × f). Iterations
  therefore cost min(f, q)², not n·p.
* With scores ``t = X_k w``, loadings ``p = X_kᵀ t / s``, ``c = Y_kᵀ t / s`` and
  ``s = tᵀt``, deflation of both blocks gives ``C_{k+1} = C_k − s p cᵀ`` and a
  rank-two update of ``M`` (or ``N``); also ``Y_kᵀ t = C_kᵀ w``, so Y is never revisited.
* ``X_k w = X_c w − T (Pᵀ w)`` and ``X_kᵀ t = X_cᵀ t − P (Tᵀ t)``: two passes over
  the design per component, shared by every problem (cross-validation splits,
  time bins) through one matrix product.
* NIPALS is equivariant under an orthonormal change of feature basis, so when
  features far exceed samples the design is first reduced to ``Z = X Q``
  (``Xᵀ = Q R``), an n-column matrix with identical PLS solution (kernel form).

A *problem* is a pair (train rows, target block). All problems share the design
``X``; each has its own row mask (a cross-validation split) and its own targets
(e.g. one neural time bin). Problems run in lockstep so that the passes over
``X`` are matrix-matrix products.

When the design has fewer independent directions than requested components,
scikit-learn keeps dividing by numerically zero scores and returns predictions
of order 1e15; here a problem stops adding components at the numerical rank
(with a warning from the caller), which equals scikit-learn's result at
``n_components = rank``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chronoscore.neural_fit.arrays import (
    Array,
    as_float64,
    is_torch,
    permute,
    pinv,
    qr,
    stack,
    swap_last,
    to_bool_numpy,
    to_library_of,
    zeros_like_batch,
)
from chronoscore.neural_fit.pls_power import feature_space_iteration, first_nonzero, target_space_iteration

__all__ = ["PLSFactors", "fit_pls_problems", "prefer_kernel_form"]

_EPS = float(np.finfo(np.float64).eps)


@dataclass(frozen=True)
class PLSFactors:
    """Fitted PLS models of a batch of problems, in the working feature space.

    Attributes
    ----------
    x_mean : (P, f) array
        Mean of the training rows of the working design, per problem.
    y_mean : (P, q) array
        Mean of the training targets, per problem.
    rotations : (P, f, k) array
        ``W (Pᵀ W)⁺``: maps centred working features to x-scores.
    y_loadings : (P, q, k) array
        Regression of the targets on the x-scores.
    n_components : (P,) numpy int array
        Components actually extracted per problem (smaller than ``k`` when the
        design's numerical rank was reached).
    n_iter : (P, k) numpy int array
        Power iterations used per component (0 for components not extracted).
    basis : (p, f) array or None
        Orthonormal basis mapping working features back to the original ones
        (kernel form), or None when the working space is the original one.
    offset : (p,) array
        Mean that was subtracted from the design before the basis change.
    """

    x_mean: Array
    y_mean: Array
    rotations: Array
    y_loadings: Array
    n_components: np.ndarray
    n_iter: np.ndarray
    basis: Array | None
    offset: Array

    def coefficients(self) -> tuple[Array, Array]:
        """Return ``coef`` (P, p, q) and ``intercept`` (P, q) in the original feature space.

        Predictions for new rows ``x`` (p,) of problem ``i`` are
        ``x @ coef[i] + intercept[i]``.
        """
        coef = self.rotations @ swap_last(self.y_loadings)
        if self.basis is not None:
            coef = self.basis @ coef
        x_mean = self.x_mean if self.basis is None else self.x_mean @ self.basis.T
        x_mean = x_mean + self.offset
        intercept = self.y_mean - (x_mean[:, None, :] @ coef)[:, 0, :]
        return coef, intercept

    def working_rows(self, rows: Array) -> Array:
        """Map rows (m, p) of the original design into the working space (m, f)."""
        centred = rows - self.offset
        return centred if self.basis is None else centred @ self.basis

    def predict_working(self, rows: Array, problem: int) -> Array:
        """Predict targets (m, q) from rows (m, f) of the working design for one problem."""
        centred = rows - self.x_mean[problem]
        scores = centred @ self.rotations[problem]
        return scores @ self.y_loadings[problem].T + self.y_mean[problem]


def prefer_kernel_form(n_samples: int, n_features: int, n_targets: int, n_problems: int,
                       n_components: int) -> bool:
    """Decide from a flop count whether reducing the design to its row space pays off.

    The reduction costs one QR of the (p × n) design; it then shrinks every
    per-problem product from p to n columns.
    """
    if n_features <= n_samples:
        return False

    def cost(width: int) -> float:
        cross = 2.0 * n_samples * width * n_targets
        gram = 2.0 * width * n_targets * min(width, n_targets) * n_problems
        passes = n_components * 4.0 * n_samples * width
        return cross + gram + passes

    reduction = 2.0 * n_samples**2 * n_features
    return reduction + cost(n_samples) < cost(n_features)


def fit_pls_problems(
    X: Array,
    Y: Array,
    train_masks: Array,
    *,
    n_components: int = 25,
    max_iter: int = 500,
    tol: float = 1e-6,
    kernel: bool | None = None,
) -> PLSFactors:
    """Fit one NIPALS PLS regression per problem, all sharing the design ``X``.

    Parameters
    ----------
    X : (n, p) array
        Shared design (features of every sample). numpy or torch; computation is
        float64 on its device.
    Y : (n, q) or (B, n, q) array
        Targets: one block, or ``B`` blocks (e.g. one per time bin).
    train_masks : (S, n) bool array
        Rows used for training, one mask per split.
    n_components : int
        Components per problem (scikit-learn's ``n_components``).
    max_iter, tol : int, float
        NIPALS power-iteration limit and convergence tolerance, as scikit-learn.
    kernel : bool, optional
        Force (True) or forbid (False) the row-space reduction; by default a flop
        count decides (:func:`prefer_kernel_form`).

    Returns
    -------
    PLSFactors
        Models of the ``P = S × B`` problems, split-major: problem ``i`` is
        split ``i // B`` with target block ``i % B``.
    """
    X = as_float64(X)
    Y = as_float64(Y)
    if Y.ndim == 2:
        Y = Y[None]
    masks = to_library_of(train_masks, X)
    masks = masks[None] if masks.ndim == 1 else masks
    n, p = X.shape
    n_blocks, _, q = Y.shape
    n_problems = masks.shape[0] * n_blocks
    offset = X.mean(0)
    design = X - offset
    if kernel is None:
        kernel = prefer_kernel_form(n, p, q, n_problems, n_components)
    basis = None
    if kernel:
        basis, upper = qr(design.T)
        design = upper.T
    state = _LockstepState.start(design, Y, masks, n_components)
    for _ in range(n_components):
        if not state.active.any():
            break
        state.extract_component(max_iter=max_iter, tol=tol)
    return state.finish(basis, offset)


@dataclass
class _LockstepState:
    """Everything the NIPALS loop carries from one component to the next.

    Shapes: P problems, n samples, f working features, q targets, k components.
    """

    design: Array        # (n, f) globally centred working design
    masks: Array         # (P, n) 1.0 on training rows of each problem
    x_mean: Array        # (P, f) mean of each problem's training rows (of ``design``)
    y_mean: Array        # (P, q)
    cross: Array         # (P, f, q) cross-covariance C_0 of the centred training data
    gram: Array          # (P, q, q) M_k = C_kᵀ C_k of the deflated cross-covariance, or in feature space
                         # (P, f, f) N_k = C_k C_kᵀ
    feature_space: bool  # whether the power iteration runs on N_k (fewer features than targets)
    scores: Array        # (P, n, k) x-scores T (zero outside training rows)
    weights: Array       # (P, f, k) W
    x_loadings: Array    # (P, f, k) P
    y_loadings: Array    # (P, q, k)
    norms: Array         # (P, k) s_j = t_jᵀ t_j (0 for components not extracted)
    scale: Array         # (P,) squared Frobenius norm of each centred training design
    active: np.ndarray   # (P,) bool: still extracting components
    n_iter: np.ndarray   # (P, k) int
    component: int = 0

    @classmethod
    def start(cls, design: Array, Y: Array, split_masks: Array, n_components: int) -> "_LockstepState":
        n_blocks, n, q = Y.shape
        n_splits = split_masks.shape[0]
        f = design.shape[1]
        n_problems = n_splits * n_blocks
        counts = split_masks.sum(1)                                   # (S,)
        split_x_mean = (split_masks @ design) / counts[:, None]        # (S, f)
        y_sums = (split_masks[:, None, None, :] @ Y[None])[:, :, 0, :]  # (S, B, q)
        y_mean = y_sums / counts[:, None, None]
        cross = _centred_cross_products(design, Y, split_masks, split_x_mean, y_mean, counts)
        masks = _repeat_splits(split_masks, n_blocks)
        x_mean = _repeat_splits(split_x_mean, n_blocks)
        y_mean = y_mean.reshape(n_problems, q)
        cross = cross.reshape(n_problems, f, q)
        row_norms = (design * design).sum(1)                           # (n,)
        scale = masks @ row_norms - masks.sum(1) * (x_mean * x_mean).sum(1)
        return cls(
            design=design, masks=masks, x_mean=x_mean, y_mean=y_mean, cross=cross,
            gram=cross @ swap_last(cross) if f < q else swap_last(cross) @ cross,
            feature_space=f < q,
            scores=zeros_like_batch(design, (n_problems, n, n_components)),
            weights=zeros_like_batch(design, (n_problems, f, n_components)),
            x_loadings=zeros_like_batch(design, (n_problems, f, n_components)),
            y_loadings=zeros_like_batch(design, (n_problems, q, n_components)),
            norms=zeros_like_batch(design, (n_problems, n_components)),
            scale=scale,
            active=np.ones(n_problems, dtype=bool),
            n_iter=np.zeros((n_problems, n_components), dtype=int),
        )

    def extract_component(self, *, max_iter: int, tol: float) -> None:
        """Extract component ``self.component`` for every active problem."""
        k = self.component
        if self.feature_space:
            weights, n_iter = feature_space_iteration(self.gram, self._start_weights(), max_iter=max_iter, tol=tol)
        else:
            v, n_iter = target_space_iteration(self.gram, max_iter=max_iter, tol=tol)
            direction = self._cross_times(v)                            # (P, f)
            weights = direction / ((direction * direction).sum(1) ** 0.5 + _EPS)[:, None]
        scores = self._scores(weights)                                  # (P, n)
        norm2 = (scores * scores).sum(1)                                # (P,)
        self._stop_exhausted_design(norm2)
        keep = to_library_of(self.active, weights)
        weights = weights * keep[:, None]
        scores = scores * keep[:, None]
        norm2 = norm2 * keep
        safe = norm2 + (1.0 - keep)                                     # avoid 0/0 for stopped problems
        x_loadings = self._loadings(scores) / safe[:, None]             # (P, f)
        if self.feature_space:
            y_loadings = self._cross_transpose_times(weights[:, None, :])[:, 0] / safe[:, None]
            self._deflate_gram(x_loadings, self._cross_times(y_loadings), y_loadings, norm2)   # C_k c
        else:
            both = self._cross_transpose_times(permute(stack([weights, x_loadings]), (1, 0, 2)))
            y_loadings = both[:, 0] / safe[:, None]                    # Y_kᵀ t / s = C_kᵀ w / s
            self._deflate_gram(y_loadings, both[:, 1], x_loadings, norm2)                    # C_kᵀ p
        self.norms[:, k] = norm2
        self.weights[:, :, k] = weights
        self.scores[:, :, k] = scores
        self.x_loadings[:, :, k] = x_loadings
        self.y_loadings[:, :, k] = y_loadings
        self.n_iter[:, k] = np.where(self.active, n_iter, 0)
        self.component += 1

    def _scores(self, weights: Array) -> Array:
        """x-scores ``X_k w`` of each problem's training rows, (P, n)."""
        projected = swap_last(self.design @ weights.T)                        # (P, n)
        centred = projected - (self.x_mean * weights).sum(1)[:, None]
        scores = centred * self.masks
        k = self.component
        if k:
            previous = (swap_last(self.x_loadings[:, :, :k]) @ weights[:, :, None])  # (P, k, 1)
            scores = scores - (self.scores[:, :, :k] @ previous)[:, :, 0]
        return scores

    def _loadings(self, scores: Array) -> Array:
        """``X_kᵀ t`` for each problem, (P, f)."""
        back = swap_last(self.design.T @ scores.T)                            # (P, f)
        back = back - self.x_mean * scores.sum(1)[:, None]
        k = self.component
        if k:
            overlap = swap_last(self.scores[:, :, :k]) @ scores[:, :, None]     # (P, k, 1)
            back = back - (self.x_loadings[:, :, :k] @ overlap)[:, :, 0]
        return back

    def _cross_times(self, v: Array) -> Array:
        """``C_k v`` (P, f) for v (P, q), with ``C_k = C_0 − P diag(s) Clᵀ`` never formed."""
        k = self.component
        product = (self.cross @ v[:, :, None])[:, :, 0]
        if k:
            along = (swap_last(self.y_loadings[:, :, :k]) @ v[:, :, None])[:, :, 0] * self.norms[:, :k]
            product = product - (self.x_loadings[:, :, :k] @ along[:, :, None])[:, :, 0]
        return product

    def _cross_transpose_times(self, u: Array) -> Array:
        """``C_kᵀ u`` (P, m, q) for m vectors u (P, m, f) in one pass over ``C_0``."""
        k = self.component
        product = u @ self.cross
        if k:
            along = (u @ self.x_loadings[:, :, :k]) * self.norms[:, None, :k]      # (P, m, k)
            product = product - along @ swap_last(self.y_loadings[:, :, :k])
        return product

    def _start_weights(self) -> Array:
        """Column ``j0`` of ``C_k`` (its first non-zero one), normalised: NIPALS' first x-weight, (P, f).

        The first column is tried for every problem; ``C_k`` is formed only for
        the problems where it is zero (e.g. a model unit constant on the training stimuli).
        """
        k = self.component
        deflation = self.x_loadings[:, :, :k] * self.norms[:, None, :k]                 # (P, f, k): P diag(s)
        column = self.cross[:, :, 0] - (deflation @ self.y_loadings[:, 0, :k, None])[:, :, 0]
        empty = np.flatnonzero(to_bool_numpy((column * column).sum(1) == 0))
        if empty.size:
            deflated = self.cross[empty] - deflation[empty] @ swap_last(self.y_loadings[empty, :, :k])
            column[empty] = deflated[np.arange(empty.size), :, first_nonzero((deflated * deflated).sum(1))]
        length = (column * column).sum(1) ** 0.5
        return column / (length + (length == 0))[:, None]

    def _deflate_gram(self, side: Array, along: Array, other: Array, norm2: Array) -> None:
        """The iteration matrix after deflation ``C ← C − s p cᵀ``, as a rank-two update.

        Target space: ``M ← (C − s p cᵀ)ᵀ (C − s p cᵀ)`` with ``side = c``,
        ``along = C_kᵀ p``, ``other = p``; feature space: ``N ← (C − s p cᵀ)(C −
        s p cᵀ)ᵀ`` with ``side = p``, ``along = C_k c``, ``other = c``.
        """
        s = norm2[:, None, None]
        pp = (other * other).sum(1)[:, None, None]
        c_row, c_col = side[:, None, :], side[:, :, None]
        # s (c aᵀ + a cᵀ) − s² (pᵀp) c cᵀ with three (P, d, d) temporaries; a cᵀ is (c aᵀ)ᵀ
        outer = c_col * along[:, None, :]
        update = outer + swap_last(outer)
        update *= s
        square = c_col * c_row
        square *= s * s * pp
        update -= square
        self.gram -= update

    def _stop_exhausted_design(self, norm2: Array) -> None:
        """Stop problems whose deflated design has reached its numerical rank."""
        n, f = self.design.shape
        floor = (max(n, f) * _EPS) ** 2 * self.scale * 1e4
        self.active &= ~to_bool_numpy(norm2 <= floor)

    def finish(self, basis: Array | None, offset: Array) -> PLSFactors:
        """Turn the extracted weights and loadings into prediction factors."""
        k = self.component
        weights, x_loadings = self.weights[:, :, :k], self.x_loadings[:, :, :k]
        rotations = weights @ pinv(swap_last(x_loadings) @ weights)
        used = (self.n_iter[:, :k] > 0).sum(1)
        return PLSFactors(
            x_mean=self.x_mean, y_mean=self.y_mean, rotations=rotations,
            y_loadings=self.y_loadings[:, :, :k], n_components=used,
            n_iter=self.n_iter[:, :k], basis=basis, offset=offset,
        )


def _repeat_splits(per_split: Array, n_blocks: int) -> Array:
    """(S, ...) → (S·B, ...) with each split repeated for its B target blocks."""
    if is_torch(per_split):
        return per_split.repeat_interleave(n_blocks, dim=0)
    return np.repeat(per_split, n_blocks, axis=0)


def _centred_cross_products(design: Array, Y: Array, masks: Array, x_mean: Array, y_mean: Array,
                            counts: Array) -> Array:
    """``X_sᵀ Y_sb`` of centred training rows for every split s and block b: (S, B, f, q).

    The design is multiplied once with every block over all rows; each split
    then removes its held-out rows when they are fewer than its training rows.
    """
    n_blocks, n, q = Y.shape
    f = design.shape[1]
    stacked = permute(Y, (1, 0, 2)).reshape(n, n_blocks * q)         # (n, B·q)
    out = zeros_like_batch(design, (masks.shape[0], n_blocks, f, q))
    full = None
    for s in range(masks.shape[0]):
        rows = to_bool_numpy(masks[s] > 0.5)
        if 2 * rows.sum() >= n:
            if full is None:
                full = design.T @ stacked                                 # (f, B·q)
            raw = full - design[~rows].T @ stacked[~rows]
        else:
            raw = design[rows].T @ stacked[rows]
        out[s] = permute(raw.reshape(f, n_blocks, q), (1, 0, 2))          # (B, f, q)
        out[s] -= counts[s] * x_mean[s][None, :, None] * y_mean[s][:, None, :]
    return out
