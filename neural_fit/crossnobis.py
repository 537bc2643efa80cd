"""Cross-validated Mahalanobis (crossnobis) RDMs over repetitions (Walther et al. 2016).

Each repetition is one independent partition m = 1..M of the N stimuli's
response patterns x_m (N, q). With the residuals ``e_m = x_m − mean over
repetitions`` the noise covariance is ``Σ = Σ_m e_mᵀ e_m / (N (M − 1))``,
shrunk towards its mean variance, ``Σ_λ = (1 − λ) Σ + λ (tr Σ / q) I``, with λ
given or the Ledoit–Wolf estimate from the residuals. The distance of stimuli i
and j takes the pattern differences ``δ_m = x_m,i − x_m,j`` of different
partitions only::

    d(i, j) = Σ_{m ≠ n} δ_m Σ_λ⁻¹ δ_nᵀ / (M (M − 1) q)

an unbiased estimate of the squared Mahalanobis distance per neuroid (noise
does not inflate it; it is 0 on average for identical patterns and may be
negative). It is computed from ``(Σ_m δ_m) Σ_λ⁻¹ (Σ_n δ_n)ᵀ − Σ_m δ_m Σ_λ⁻¹ δ_mᵀ``,
two sets of Gram matrices, not a loop over pairs.
"""

from __future__ import annotations

import numpy as np

from chronoscore.errors import DataFormatError

__all__ = ["crossnobis_rdm", "ledoit_wolf_shrinkage", "noise_covariance"]


def ledoit_wolf_shrinkage(residuals: np.ndarray) -> float:
    """Ledoit–Wolf (2004) shrinkage weight of (n, q) zero-mean ``residuals`` towards the scaled identity.

    With ``S = XᵀX / n`` and ``μ = tr S / q``: ``d² = ‖S − μI‖²``, ``b̄² = (Σ_k ‖x_k‖⁴ − n ‖S‖²) / n²``
    (Frobenius norms), and the weight is ``min(b̄², d²) / d²`` (0 when S is already a multiple of I).
    """
    x = np.asarray(residuals, dtype=np.float64)
    n, q = x.shape
    sample = x.T @ x / n
    target = np.trace(sample) / q
    spread = np.sum(sample ** 2) - 2 * target * np.trace(sample) + target ** 2 * q
    if spread <= 0:
        return 0.0
    error = (np.sum(np.einsum("ij,ij->i", x, x) ** 2) - n * np.sum(sample ** 2)) / n ** 2
    return float(min(error, spread) / spread)


def noise_covariance(trials: np.ndarray, shrinkage: float | None = None) -> np.ndarray:
    """The shrunk residual covariance Σ_λ (q, q) of (N, M, q) ``trials`` (see the module docstring).

    Parameters
    ----------
    trials : (N, M, q) array
        N stimuli, M repetitions, q neuroids.
    shrinkage : float in [0, 1], optional
        λ; None takes the Ledoit–Wolf estimate.
    """
    n_stimuli, n_repetitions, q = trials.shape
    residuals = (trials - trials.mean(axis=1, keepdims=True)).reshape(-1, q)
    covariance = residuals.T @ residuals / (n_stimuli * (n_repetitions - 1))
    weight = ledoit_wolf_shrinkage(residuals) if shrinkage is None else shrinkage
    return (1 - weight) * covariance + weight * np.trace(covariance) / q * np.eye(q)


def crossnobis_rdm(trials: np.ndarray, shrinkage: float | None = None, what: str = "the responses") -> np.ndarray:
    """The crossnobis RDM (N, N) of (N, M, q) repeated trials.

    Parameters
    ----------
    trials : (N, M, q) array
        Every stimulus recorded in each of the M ≥ 2 repetitions.
    shrinkage : float in [0, 1], optional
        λ of the noise covariance; None takes the Ledoit–Wolf estimate.
    what : str
        Names the data in error messages.

    Returns
    -------
    (N, N) float64 array
        Symmetric with a zero diagonal.

    Raises
    ------
    DataFormatError
        With fewer than 2 repetitions, a missing (NaN) trial, or a noise
        covariance that cannot be inverted (no shrinkage and fewer residual
        degrees of freedom than neuroids, or neuroids without noise).
    """
    values = np.asarray(trials, dtype=np.float64)
    if values.ndim != 3 or values.shape[1] < 2:
        raise DataFormatError(f"{what}: a crossnobis RDM cross-validates over repetitions and needs at least 2 "
                              f"trials of every stimulus, got trials of shape {values.shape} (stimuli, repetitions, "
                              "neuroids); give raw trials with a repetition coordinate, or choose rdm='correlation'.")
    if not np.isfinite(values).all():
        lacking = np.flatnonzero(~np.isfinite(values).all(axis=(1, 2)))
        raise DataFormatError(f"{what}: {lacking.size} stimuli (rows {lacking[:5].tolist()}) lack a trial in some "
                              "repetition; a crossnobis RDM needs every stimulus in every repetition, so drop those "
                              "stimuli or repetitions, or choose rdm='correlation'.")
    precision = _inverse(noise_covariance(values, shrinkage), what)
    summed = values.sum(axis=1)
    between = _squared_distances(summed, precision) - sum(
        _squared_distances(values[:, m], precision) for m in range(values.shape[1]))
    n_repetitions, q = values.shape[1], values.shape[2]
    distances = between / (n_repetitions * (n_repetitions - 1) * q)
    np.fill_diagonal(distances, 0.0)
    return distances


def _squared_distances(patterns: np.ndarray, precision: np.ndarray) -> np.ndarray:
    """(N, N) ``(a_i − a_j) P (a_i − a_j)ᵀ`` of (N, q) patterns under the precision P."""
    gram = patterns @ precision @ patterns.T
    diagonal = np.diag(gram)
    return diagonal[:, None] + diagonal[None, :] - 2 * gram


def _inverse(covariance: np.ndarray, what: str) -> np.ndarray:
    try:
        factor = np.linalg.cholesky(covariance)
    except np.linalg.LinAlgError:
        raise DataFormatError(f"{what}: the noise covariance of the trials is singular (more neuroids than residual "
                              "degrees of freedom, or a neuroid without trial-to-trial variation); set "
                              "metric_options.noise_shrinkage (e.g. 0.2) or leave it unset for the Ledoit–Wolf "
                              "estimate, or drop neuroids without variation.") from None
    inverse_factor = np.linalg.inv(factor)
    return inverse_factor.T @ inverse_factor
