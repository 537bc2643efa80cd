"""Banks of Gabor filters generated in code, and the squared Gabor drive of the hGRU.

The hGRU of Linsley et al. (2018) is driven by 25 7×7 filters: Gabors at 12
orientations and 2 phases, plus one luminance filter, whose responses (plus a learned
bias) are squared. Two banks are built from formulas (nothing is loaded from disk):

:func:`release_gabor_bank` (the default)
    the authors' bank, regenerated from its parameters: the S1 Gabors of HMAX
    (Serre et al. 2007) for 7-pixel receptive fields — wavelength 3.5 px, envelope
    s.d. 2.8 px, aspect 0.3 — at phases 0° (even) and −116.62°, each restricted to
    the disc of radius (size − 1) / 2, made zero-mean over the whole square and
    scaled to unit norm; the luminance filter is that disc scaled to mean 1 over the
    square (not zero-mean: it passes luminance). The phase of the second half was
    read off the released filters (they match these formulas to 1e-7).
:func:`gabor_bank`
    an earlier chronoscore bank: wavelength 4 px, phases 0° and 90°, every filter
    zero-mean over a disc of radius size / 2 (the luminance filter a
    centre-surround).

Coordinates and orientation: with the filter's centre pixel ``c = (size − 1) / 2``,
``x = column − c`` points right and ``y = c − row`` points up. A Gabor of orientation
θ has stripes running along (cos θ, sin θ) — θ = 0 is horizontal stripes, θ = 90°
vertical ones — so it responds best to bars and edges at angle θ, counter-clockwise
from the horizontal. With ``u = −x sin θ + y cos θ`` (across the stripes) and
``v = x cos θ + y sin θ`` (along them)::

    g(x, y) = exp(−(u² + (aspect · v)²) / (2 σ²)) · cos(2π u / wavelength + φ)

Phase φ = 0 gives an even (bar-like) filter, φ = π/2 an odd (edge-like) one. The
luminance filter is an isotropic Gaussian blob of s.d. σ; after the mean is removed it
is a centre-surround filter for local luminance
(:func:`release_gabor_bank` has its own rules, above).

In :func:`gabor_bank` every filter is set to zero outside the circular aperture ``x² + y² ≤ (size / 2)²``,
then has its mean over the aperture removed (zero-mean: no response to a uniform
image) and is scaled to unit Euclidean norm.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from chronoscore.errors import ConfigError, DataFormatError

__all__ = ["GaborBank", "GaborDrive", "gabor_bank", "gabor_orientations", "release_gabor_bank"]

GaborBank = Literal["release", "zero_mean"]
RELEASE_PHASES_DEGREES = (0.0, -116.62015610302774)
"""Carrier phases of the released bank's two halves (the second read off its filters)."""


def gabor_orientations(n_orientations: int) -> np.ndarray:
    """Stripe orientations θ_k = k · 180° / n in radians, k = 0 … n − 1, shape (n,)."""
    return np.arange(n_orientations) * np.pi / n_orientations


def gabor_bank(size: int = 7, n_orientations: int = 12, wavelength: float = 4.0, sigma: float = 2.0,
               aspect: float = 0.5, luminance_sigma: float = 1.0) -> torch.Tensor:
    """Gabors at ``n_orientations`` orientations × 2 phases and one luminance filter.

    Parameters
    ----------
    size : int
        Side of each filter in pixels (odd, at least 3).
    n_orientations : int
        Orientations, evenly spaced over 180° (see :func:`gabor_orientations`).
    wavelength : float
        Period of the carrier in pixels.
    sigma : float
        S.d. in pixels of the Gaussian envelope across the stripes.
    aspect : float
        Envelope s.d. across the stripes / s.d. along them (< 1: elongated along the stripes).
    luminance_sigma : float
        S.d. in pixels of the luminance filter's Gaussian centre.

    Returns
    -------
    Tensor (2 · n_orientations + 1, 1, size, size), float32
        Filter ``2k + p`` is orientation θ_k with phase p · 90° (p = 0 even, 1 odd);
        the last filter is the luminance filter. Each is zero outside the circular
        aperture, zero-mean and of unit norm.
    """
    _check_bank_options(size, n_orientations, wavelength=wavelength, sigma=sigma, aspect=aspect,
                        luminance_sigma=luminance_sigma)
    x, y = _filter_coordinates(size)
    aperture = x ** 2 + y ** 2 <= (size / 2) ** 2
    filters = [carrier for theta in gabor_orientations(n_orientations)
               for carrier in (_gabor(x, y, theta, wavelength, sigma, aspect, phase) for phase in (0.0, math.pi / 2))]
    filters.append(np.exp(-(x ** 2 + y ** 2) / (2 * luminance_sigma ** 2)))
    bank = np.stack([_zero_mean_unit_norm(kernel, aperture) for kernel in filters])
    return torch.as_tensor(bank[:, None], dtype=torch.float32)


def release_gabor_bank(size: int = 7, n_orientations: int = 12, wavelength: float = 3.5, sigma: float = 2.8,
                       aspect: float = 0.3) -> torch.Tensor:
    """The authors' bank: ``n_orientations`` even Gabors, as many at −116.62°, one luminance filter.

    Parameters
    ----------
    size : int
        Side of each filter in pixels (odd, at least 3; 7 in the release).
    n_orientations : int
        Orientations per phase, evenly spaced over 180° (see :func:`gabor_orientations`).
    wavelength, sigma, aspect : float
        Carrier period, envelope s.d. across the stripes (pixels) and envelope s.d.
        across / along the stripes (HMAX's S1 values for 7-pixel filters).

    Returns
    -------
    Tensor (2 · n_orientations + 1, 1, size, size), float32
        Filter ``k`` is orientation θ_k at phase 0, filter ``n_orientations + k`` the
        same orientation at phase −116.62°: each is zero outside the disc
        x² + y² ≤ ((size − 1) / 2)², has zero mean over the whole square (so it is
        slightly positive outside the disc) and unit norm. The last filter is the
        disc divided by its mean over the square.
    """
    _check_bank_options(size, n_orientations, wavelength=wavelength, sigma=sigma, aspect=aspect)
    x, y = _filter_coordinates(size)
    disc = (x ** 2 + y ** 2 <= ((size - 1) / 2) ** 2).astype(np.float64)
    filters = []
    for phase in np.radians(RELEASE_PHASES_DEGREES):
        for theta in gabor_orientations(n_orientations):
            kernel = _gabor(x, y, theta, wavelength, sigma, aspect, phase) * disc
            kernel -= kernel.mean()
            filters.append(kernel / np.linalg.norm(kernel))
    filters.append(disc / disc.mean())
    return torch.as_tensor(np.stack(filters)[:, None], dtype=torch.float32)


def _check_bank_options(size: int, n_orientations: int, **positive: float) -> None:
    if isinstance(size, bool) or not isinstance(size, int) or size < 3 or size % 2 == 0:
        raise ConfigError(f"size must be an odd integer of at least 3, got {size!r}.")
    if isinstance(n_orientations, bool) or not isinstance(n_orientations, int) or n_orientations < 1:
        raise ConfigError(f"n_orientations must be a positive integer, got {n_orientations!r}.")
    for name, value in positive.items():
        if not value > 0:
            raise ConfigError(f"{name} must be positive, got {value!r}.")


def _filter_coordinates(size: int) -> tuple[np.ndarray, np.ndarray]:
    """x (right) and y (up) of each pixel from the filter's centre, each (size, size)."""
    centre = (size - 1) / 2
    rows, columns = np.mgrid[0:size, 0:size].astype(np.float64)
    return columns - centre, centre - rows


def _gabor(x: np.ndarray, y: np.ndarray, theta: float, wavelength: float, sigma: float, aspect: float,
           phase: float) -> np.ndarray:
    """The Gabor of the module docstring at orientation ``theta`` and ``phase`` (radians)."""
    across = -x * math.sin(theta) + y * math.cos(theta)
    along = x * math.cos(theta) + y * math.sin(theta)
    envelope = np.exp(-(across ** 2 + (aspect * along) ** 2) / (2 * sigma ** 2))
    return envelope * np.cos(2 * math.pi * across / wavelength + phase)


def _zero_mean_unit_norm(kernel: np.ndarray, aperture: np.ndarray) -> np.ndarray:
    """``kernel`` inside ``aperture`` minus its mean there, scaled to unit norm; zero outside."""
    inside = np.where(aperture, kernel - kernel[aperture].mean(), 0.0)
    return inside / np.linalg.norm(inside)


class GaborDrive(nn.Module):
    """The hGRU's feedforward drive: squared responses of a trainable Gabor bank plus a learned bias.

    Images (B, 1, H, W) — one grey channel in [0, 1], background 0, the release's
    input — or (B, 3, H, W), averaged over their channels, are convolved with the
    bank ("same" zero padding), a per-filter bias (starting at 0) is added and the
    result squared: X = (G ∗ I + b)², (B, 2 · n_orientations + 1, H, W).

    Parameters
    ----------
    size : int
        Side of the filters (7 in the paper).
    n_orientations : int
        Orientations of the bank (12 in the paper: 25 filters).
    bank : {"release", "zero_mean"}
        :func:`release_gabor_bank` or :func:`gabor_bank`.
    bias : bool
        Learn the bias b (the release does); without it b = 0.
    """

    def __init__(self, size: int = 7, n_orientations: int = 12, *, bank: GaborBank = "release",
                 bias: bool = True) -> None:
        super().__init__()
        banks = {"release": release_gabor_bank, "zero_mean": gabor_bank}
        if bank not in banks:
            raise ConfigError(f"unknown Gabor bank {bank!r}; choose one of {list(banks)}.")
        self.weight = nn.Parameter(banks[bank](size, n_orientations))
        self.bias = nn.Parameter(torch.zeros(self.weight.shape[0])) if bias else None

    @property
    def out_channels(self) -> int:
        """Filters in the bank, 2 · n_orientations + 1."""
        return self.weight.shape[0]

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Squared Gabor responses (B, C, H, W) of images (B, 1, H, W) or (B, 3, H, W)."""
        if not isinstance(images, torch.Tensor) or images.ndim != 4 or images.shape[1] not in (1, 3):
            shape = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
            raise DataFormatError(f"images must be a tensor (B, 1, H, W) or (B, 3, H, W), got {shape}; give "
                                  "grey images in [0, 1] (data.input: unit_gray) or RGB images.")
        gray = images if images.shape[1] == 1 else images.mean(dim=1, keepdim=True)
        return F.conv2d(gray, self.weight, self.bias, padding=self.weight.shape[-1] // 2) ** 2
