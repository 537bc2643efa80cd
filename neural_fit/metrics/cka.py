"""``cka``: centered kernel alignment per region and time bin (Brain-Score's ``cka_cv``, ``cka``, ``cka_biased``).

CKA (Kornblith et al. 2019) compares two representations of the same stimuli
through their kernel (Gram) matrices K and L: ``HSIC(K, L) / sqrt(HSIC(K, K)
HSIC(L, L))``. The plain estimator takes ``HSIC = sum(HKH ∘ HLH)`` with the
centring matrix ``H = I − 11ᵀ/n``; the debiased one (Song et al. 2007, Brain-Score's
default) zeroes the kernels' diagonals and takes
``[tr(KL) + 1ᵀK1 1ᵀL1 / ((n−1)(n−2)) − 2 1ᵀKL1 / (n−2)] / (n (n−3))``.
Kernels are linear (``XXᵀ`` of the raw features, as Brain-Score) or RBF
``exp(−‖x − y‖² / (2σ²))`` with σ the square root of the median nonzero squared
distance among the compared stimuli unless given.

Each kernel (or squared-distance matrix) is made once per model step and neural
bin over all stimuli; a linear kernel's HSIC terms on a split come from sums over
the whole kernel (:mod:`chronoscore.neural_fit.hsic`), an RBF
kernel is subset per split (its width is the median of the split's distances).
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from chronoscore.errors import ConfigError, DataFormatError
from chronoscore.neural_fit.hsic import Kernel, subset_cka
from chronoscore.neural_fit.metrics._registry import register_metric
from chronoscore.neural_fit.representational import SimilarityEvaluator, representational_scores

__all__ = ["CKAOptions", "CkaSimilarity", "cka", "cka_label"]

KERNELS = ("linear", "rbf")


@dataclass(frozen=True)
class CKAOptions:
    """Options of the ``cka`` metric.

    Parameters
    ----------
    kernel : {"linear", "rbf"}
    debiased : bool
        The debiased HSIC estimator (Brain-Score's ``cka``); False gives the plain
        one (``cka_biased``).
    sigma : float
        RBF width; 0 takes the median heuristic on the compared stimuli.
    test_size : float
        Fraction of the stimuli each shuffle split compares (Brain-Score's ``cka_cv``: 0.9).
    cross_validate : bool
        False compares over all stimuli once (Brain-Score's ``cka``).
    """

    kernel: str = "linear"
    debiased: bool = True
    sigma: float = 0.0
    test_size: float = 0.9
    cross_validate: bool = True

    def __post_init__(self) -> None:
        if self.kernel not in KERNELS:
            raise ConfigError(f"kernel must be one of {', '.join(KERNELS)}; got {self.kernel!r}.")
        if isinstance(self.sigma, bool) or not isinstance(self.sigma, numbers.Real) or self.sigma < 0:
            raise ConfigError(f"sigma must be a non-negative number (0: median heuristic), got {self.sigma!r}.")
        size = self.test_size
        if isinstance(size, bool) or not isinstance(size, numbers.Real) or not 0 < size < 1:
            raise ConfigError(f"test_size must be a number between 0 and 1 (exclusive), got {size!r}.")


def cka_label(options: CKAOptions) -> str:
    """The axis label of CKA scores: ``CKA (0–1)``, naming an RBF kernel."""
    return "CKA (0–1)" if options.kernel == "linear" else "CKA, RBF kernel (0–1)"


class CkaSimilarity:
    """Kernels of one kind compared by CKA (see :class:`chronoscore.neural_fit.representational.Similarity`)."""

    larger_is_closer = True

    def __init__(self, kernel: str, debiased: bool, sigma: float) -> None:
        self.kernel, self.debiased, self.sigma = kernel, debiased, sigma
        self.min_stimuli = 4 if debiased else 3
        """The debiased estimator divides by n − 3."""

    def prepare(self, patterns: np.ndarray, what: str) -> Kernel | np.ndarray:
        """The linear kernel (N, N) of (N, D) ``patterns``, or for RBF their squared distances (N, N).

        Raises
        ------
        DataFormatError
            If a value is non-finite.
        """
        values = np.asarray(patterns, dtype=np.float64)
        if not np.isfinite(values).all():
            raise DataFormatError(f"{what}: the responses hold NaN or infinite values; drop those stimuli or "
                                  "features first.")
        centred = values - values.mean(axis=0)   # HSIC of any subset is unchanged by a shift of every pattern
        gram = centred @ centred.T               # one symmetric product (BLAS syrk)
        if self.kernel == "linear":
            return Kernel(gram)
        norms = np.diag(gram)
        return np.maximum(norms[:, None] + norms[None, :] - 2 * gram, 0.0)

    def select(self, n: int, stimuli: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The compared stimuli and the others among ``n``, as index arrays."""
        stimuli = np.asarray(stimuli)
        return stimuli, np.setdiff1d(np.arange(n), stimuli)

    def compare(self, model: Kernel | np.ndarray, neural: Kernel | np.ndarray,
                selector: tuple[np.ndarray, np.ndarray]) -> float:
        """CKA of the two kernels on the selected stimuli."""
        stimuli, held = selector
        if self.kernel == "linear":
            return subset_cka(model, neural, stimuli, held, self.debiased)
        subset = np.ix_(stimuli, stimuli)
        everyone = np.arange(stimuli.size)
        return subset_cka(self._rbf(model[subset]), self._rbf(neural[subset]), everyone, everyone[:0],
                          self.debiased)

    def warm(self, model: Kernel | np.ndarray, neural: Kernel | np.ndarray,
             selectors: list[tuple[np.ndarray, np.ndarray]]) -> None:
        """Make the kernels' product row sums, once for every split that holds out fewer stimuli than it
        compares (linear kernels)."""
        if self.kernel == "linear" and any(held.size < stimuli.size for stimuli, held in selectors):
            for kernel, other in ((model, neural), (model, model), (neural, neural)):
                kernel.product_row_sums(other)

    def _rbf(self, squared_distances: np.ndarray) -> Kernel:
        sigma_squared = self.sigma ** 2 or float(np.median(squared_distances[squared_distances != 0]))
        return Kernel(np.exp(squared_distances * (-0.5 / sigma_squared)))


@register_metric("cka", options=CKAOptions, label=cka_label)
def cka(features, neural, settings, options: CKAOptions, **run) -> dict:
    """Centered kernel alignment of model and neural kernels on held-out stimuli per region and time bin."""
    similarity = CkaSimilarity(options.kernel, options.debiased, options.sigma)
    return representational_scores(features, neural, settings, SimilarityEvaluator(similarity), test_size=options.test_size,
                                   cross_validate=options.cross_validate, **run)
