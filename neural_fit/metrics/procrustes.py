"""``procrustes``: angular Procrustes shape distance per region and time bin (Williams et al. 2021).

Both representations of the held-out stimuli, X (n, p) and Y (n, q), are
centred over the stimuli and scaled to unit Frobenius norm; the narrower is
padded with zero columns. Their distance is the angle
``arccos(max_Q tr(Xᵀ Y Q))`` over orthogonal Q, which is
``arccos(‖Xᵀ Y‖_*)`` (the nuclear norm, the sum of the singular values): 0 for
representations equal up to translation, rotation, reflection and scale, π/2
at most. It is a metric on shapes (the ``alpha = 1`` shape metric of
Williams et al., without whitening). Lower is closer, so no ceiling is reported.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from chronoscore.errors import ConfigError, DataFormatError
from chronoscore.neural_fit.metrics._registry import register_metric
from chronoscore.neural_fit.representational import SimilarityEvaluator, representational_scores

__all__ = ["ProcrustesOptions", "ProcrustesDistance", "procrustes", "angular_distance"]


@dataclass(frozen=True)
class ProcrustesOptions:
    """Options of the ``procrustes`` metric.

    Parameters
    ----------
    test_size : float
        Fraction of the stimuli each shuffle split compares.
    cross_validate : bool
        False compares over all stimuli once.
    """

    test_size: float = 0.9
    cross_validate: bool = True

    def __post_init__(self) -> None:
        size = self.test_size
        if isinstance(size, bool) or not isinstance(size, numbers.Real) or not 0 < size < 1:
            raise ConfigError(f"test_size must be a number between 0 and 1 (exclusive), got {size!r}.")


def angular_distance(x: np.ndarray, y: np.ndarray) -> float:
    """Angular Procrustes distance (radians) between (n, p) and (n, q) representations of n stimuli."""
    x, y = x - x.mean(axis=0), y - y.mean(axis=0)
    scale = np.linalg.norm(x) * np.linalg.norm(y)
    cross = x.T @ y if x.shape[1] <= y.shape[1] else y.T @ x
    cosine = np.linalg.svd(cross, compute_uv=False).sum() / scale
    return float(np.arccos(np.clip(cosine, -1.0, 1.0)))


class ProcrustesDistance:
    """Representations compared by :func:`angular_distance` (see
    :class:`chronoscore.neural_fit.representational.Similarity`)."""

    larger_is_closer = False
    min_stimuli = 3

    def prepare(self, patterns: np.ndarray, what: str) -> np.ndarray:
        """The (N, D) patterns as float64; raises if a value is non-finite."""
        values = np.asarray(patterns, dtype=np.float64)
        if not np.isfinite(values).all():
            raise DataFormatError(f"{what}: the responses hold NaN or infinite values; drop those stimuli or "
                                  "features first.")
        return values

    def select(self, n: int, stimuli: np.ndarray) -> np.ndarray:
        """Indices of the compared stimuli."""
        return np.asarray(stimuli)

    def compare(self, model: np.ndarray, neural: np.ndarray, stimuli: np.ndarray) -> float:
        """The angular distance on ``stimuli``; NaN when either side is the same for all of them."""
        x, y = model[stimuli], neural[stimuli]
        if np.all(x == x[:1]) or np.all(y == y[:1]):
            return float("nan")
        return angular_distance(x, y)


@register_metric("procrustes", options=ProcrustesOptions, label="Procrustes distance (rad, lower is closer)",
                 lower_is_closer=True)
def procrustes(features, neural, settings, options: ProcrustesOptions, **run) -> dict:
    """Angular Procrustes shape distance of model and neural responses on held-out stimuli (lower is closer)."""
    return representational_scores(features, neural, settings, SimilarityEvaluator(ProcrustesDistance(),
                                                                                     ceiling=False),
                                   test_size=options.test_size, cross_validate=options.cross_validate, **run)
