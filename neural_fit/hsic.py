"""HSIC and CKA of kernels restricted to subsets of the stimuli, without copying the kernels per subset.

A :class:`Kernel` holds one (N, N) kernel over all stimuli. The CKA of two
kernels on a subset S (a cross-validation split's stimuli) needs, with ``K̃``
the subset's kernel (its diagonal zeroed for the debiased estimator) and
``s = |S|``: ``tr(K̃ M̃)``, the row sums ``K̃ 1`` and their total. Then

* plain: ``HSIC = tr(K̃ M̃) − 2/s · (K̃1)ᵀ(M̃1) + (1ᵀK̃1)(1ᵀM̃1) / s²``, which is
  ``sum(HK̃H ∘ HM̃H)`` with ``H = I − 11ᵀ/s`` expanded;
* debiased (Song et al. 2007): ``HSIC = [tr(K̃ M̃) + (1ᵀK̃1)(1ᵀM̃1) / ((s−1)(s−2))
  − 2/(s−2) · (K̃1)ᵀ(M̃1)] / (s (s−3))``;

and ``CKA = HSIC(K, M) / sqrt(HSIC(K, K) HSIC(M, M))``. When S holds most
stimuli, its sums are taken as the whole kernel's minus those touching the
held-out stimuli H: ``Σ_{S×S} K∘M = Σ_{all} K∘M − 2 Σ_{i∈H} (K∘M 1)_i +
Σ_{H×H} K∘M`` and ``(K_S 1)_i = (K 1)_i − Σ_{j∈H} K_ij``, with the whole-kernel
row sums made once per kernel (and per pair of kernels), so a split costs
O(N |H|) instead of O(N²).
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

import numpy as np

__all__ = ["Kernel", "subset_cka"]

_BLOCK_ROWS = 256
"""Rows of two kernels multiplied at a time when a pair's product is summed (bounds the temporary)."""


class Kernel:
    """A symmetric (N, N) kernel over all stimuli, with the sums the CKA of any subset needs.

    Parameters
    ----------
    matrix : (N, N) float64 array
        Symmetric.
    """

    def __init__(self, matrix: np.ndarray) -> None:
        self.matrix = matrix
        self.diagonal = np.diagonal(matrix).copy()
        self.row_sums = matrix.sum(axis=1)
        self._product_row_sums: WeakKeyDictionary[Kernel, np.ndarray] = WeakKeyDictionary()

    def product_row_sums(self, other: Kernel) -> np.ndarray:
        """(N,) row sums of ``K ∘ M`` with ``other``'s matrix M, made once per pair."""
        if other not in self._product_row_sums:
            self._product_row_sums[other] = np.concatenate([
                (self.matrix[start:start + _BLOCK_ROWS] * other.matrix[start:start + _BLOCK_ROWS]).sum(axis=1)
                for start in range(0, len(self.diagonal), _BLOCK_ROWS)])
        return self._product_row_sums[other]

    def subset_row_sums(self, stimuli: np.ndarray, held: np.ndarray) -> np.ndarray:
        """(|S|,) ``Σ_{j∈S} K_ij`` for each i in ``stimuli`` S; ``held`` is the rest of the stimuli."""
        if held.size < stimuli.size:
            return (self.row_sums - self.matrix[held].sum(axis=0))[stimuli]
        return self.matrix[np.ix_(stimuli, stimuli)].sum(axis=1)

    def subset_product_sum(self, other: Kernel, stimuli: np.ndarray, held: np.ndarray) -> float:
        """``Σ_{i,j∈S} K_ij M_ij`` over ``stimuli`` S; ``held`` is the rest of the stimuli."""
        if held.size < stimuli.size:
            sums = self.product_row_sums(other)
            corner = np.ix_(held, held)
            return float(sums.sum() - 2 * sums[held].sum() + (self.matrix[corner] * other.matrix[corner]).sum())
        block = np.ix_(stimuli, stimuli)
        return float((self.matrix[block] * other.matrix[block]).sum())


def subset_cka(k: Kernel, m: Kernel, stimuli: np.ndarray, held: np.ndarray, debiased: bool) -> float:
    """CKA of two kernels restricted to ``stimuli`` (indices; ``held``: the other stimuli).

    NaN when a self-similarity is not positive (no shared variance to scale by).
    """
    size = float(stimuli.size)
    rows = [kernel.subset_row_sums(stimuli, held) - (kernel.diagonal[stimuli] if debiased else 0.0)
            for kernel in (k, m)]
    totals = [float(row.sum()) for row in rows]

    def hsic(first: int, second: int) -> float:
        one, other = (k, m)[first], (k, m)[second]
        trace = one.subset_product_sum(other, stimuli, held)
        if debiased:
            trace -= float(one.diagonal[stimuli] @ other.diagonal[stimuli])
            return (trace + totals[first] * totals[second] / ((size - 1) * (size - 2))
                    - 2 * float(rows[first] @ rows[second]) / (size - 2)) / (size * (size - 3))
        return trace - 2 * float(rows[first] @ rows[second]) / size + totals[first] * totals[second] / size ** 2

    scale = hsic(0, 0) * hsic(1, 1)
    return hsic(0, 1) / np.sqrt(scale) if scale > 0 else float("nan")
