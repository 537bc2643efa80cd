"""Frozen copy of chronoscore's first random projection (version 1), kept only as a reference.

It drew each area's whole Gaussian matrix (F, D) at once and held it in memory
for the whole extraction (F·D·4 bytes per area: 1.6 GB for a 56×56×128 area at
D = 1000). ``bench_extract.py`` extracts with it beside the current, blocked
projection to compare their memory and speed. Nothing in the package imports
it. The code is the package's former ``random_projection_matrix`` and
``RandomProjection``, unchanged apart from being gathered into one file.
"""

from __future__ import annotations

import hashlib
import math

import torch

from chronoscore.analyses.extraction._projection import Projection


def random_projection_matrix(area: str, n_features: int, n_components: int) -> torch.Tensor:
    """The fixed Gaussian matrix (n_features, n_components), entries N(0, 1/n_components), float32 on CPU.

    Drawn by torch's CPU generator seeded from the SHA-256 of ``area``,
    ``n_features`` and ``n_components``.
    """
    seed_text = f"chronoscore.random_projection|{area}|{n_features}|{n_components}"
    seed = int.from_bytes(hashlib.sha256(seed_text.encode()).digest()[:8], "little") % (2**63)
    generator = torch.Generator(device="cpu").manual_seed(seed)
    matrix = torch.randn(n_features, n_components, generator=generator, dtype=torch.float32)
    return matrix.mul_(1.0 / math.sqrt(n_components))


class RandomProjection(Projection):
    """Gaussian random projection to at most ``n_components`` features per area, whole matrices held."""

    def __init__(self, n_components: int) -> None:
        self.n_components = n_components
        self._matrices: dict[tuple[str, int], torch.Tensor] = {}

    def project(self, area: str, activity: torch.Tensor) -> torch.Tensor:
        """``activity`` (T, B, F) @ the area's matrix, (T, B, D); unchanged when F ≤ D."""
        n_features = activity.shape[-1]
        if n_features <= self.n_components:
            return activity
        key = (area, n_features)
        if key not in self._matrices:
            matrix = random_projection_matrix(area, n_features, self.n_components)
            self._matrices[key] = matrix.to(device=activity.device, dtype=activity.dtype)
        return activity @ self._matrices[key]
