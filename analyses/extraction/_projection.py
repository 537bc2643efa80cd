"""Per-area projections that bound the number of features kept per area, applied batch by batch.

``projection=("random", D)``
    A Gaussian random projection (Johnson–Lindenstrauss): an area with F > D
    features is multiplied by a fixed matrix (F, D) with entries drawn from
    N(0, 1/D). The matrix is made of row blocks of :func:`block_rows` (D) rows
    (2**24 // D: 16,777 rows, 67 MB, at D = 1000), block k drawn by torch's CPU
    generator seeded from the area's name, F, D and k, so it is the same in every
    run, on every machine and for every stimulus set. Block 0's seed is the one
    the whole matrix had before it was cut into blocks, so a matrix of one block
    (F ≤ block_rows(D)) is unchanged. A batch is projected block by block,
    ``sum_k activity[..., rows_k] @ block_k``: the blocks are drawn again for
    each batch, except those kept in memory up to ``kept_bytes`` (first come,
    first kept), so the whole matrix is never held (a 224 px ConvRNN's early
    areas, 56×56×128 features, would need 1.6 GB each at D = 1000).
``projection=("pca", D, fit_stimulus_set[, max_rows])``
    The first D principal components of each area, fitted on the activations of
    a separate stimulus set (as Brain-Score fits its PCA on ImageNet images), then
    applied as ``(x - mean) @ components.T`` (scikit-learn's ``PCA.transform``
    without whitening). Every (image, time step) pair is one sample, so one set of
    components serves all steps. The fit set is run batch by batch; of its
    N·T rows per area a fixed random sample of at most ``max_rows`` (default
    4096, seed 0) is kept, which bounds the fit's memory to max_rows·F·4 bytes per
    area; with N·T ≤ max_rows all rows are used and the result equals
    scikit-learn's PCA on them. The components are the top eigenvectors of the
    centred rows' covariance (or of their Gram matrix, whichever is smaller),
    computed in float64; each component's sign makes its largest-magnitude loading
    positive, as scikit-learn does. At most as many components as the sample's
    rank are kept.

In both, an area with at most D features is kept as it is.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import numpy as np
import torch

from chronoscore.analyses.checks import positive_int
from chronoscore.errors import ConfigError, FitError
from chronoscore.stimuli.stimulus_set import StimulusSet

__all__ = [
    "ProjectionKind",
    "ProjectionSpec",
    "Projection",
    "RandomProjection",
    "PCAProjection",
    "parse_projection",
    "random_projection_matrix",
    "random_projection_block",
    "block_rows",
    "DEFAULT_KEPT_BYTES",
    "fit_pca",
    "DEFAULT_PCA_MAX_ROWS",
]

ProjectionKind = Literal["random", "pca"]
DEFAULT_PCA_MAX_ROWS = 4096
DEFAULT_KEPT_BYTES = 256 * 2**20
_SAMPLE_SEED = 0
_BLOCK_ELEMENTS = 2**24
_RANDOM_PROJECTION_VERSION = 2
"""1: one whole matrix per area; 2: row blocks with their own seeds (equal to 1 for a matrix of one block)."""
_RANK_TOLERANCE = 1e-10


@dataclass(frozen=True)
class ProjectionSpec:
    """A requested projection, checked.

    Attributes
    ----------
    kind : {"random", "pca"}
    n_components : int
        At most this many features per area.
    fit_set : StimulusSet or None
        The stimulus set the PCA is fitted on (``"pca"`` only).
    max_rows : int
        Rows per area kept to fit the PCA.
    """

    kind: ProjectionKind
    n_components: int
    fit_set: StimulusSet | None = None
    max_rows: int = DEFAULT_PCA_MAX_ROWS

    @cached_property
    def fit_set_hash(self) -> str | None:
        """Content hash of the PCA's fit set (computed once), None without one."""
        return None if self.fit_set is None else self.fit_set.content_hash()

    def key(self) -> dict:
        """What identifies the projection (for a cache key); hashes the fit set's content."""
        if self.kind == "random":
            return {"kind": "random", "n_components": self.n_components, "version": _RANDOM_PROJECTION_VERSION}
        return {"kind": "pca", "n_components": self.n_components, "fit_set": self.fit_set.identifier,
                "fit_set_hash": self.fit_set_hash, "max_rows": self.max_rows}

    def describe(self) -> str:
        """One line saying what the projection does."""
        if self.kind == "random":
            return (f"random: Gaussian random projection to at most {self.n_components} features per area "
                    f"(entries N(0, 1/{self.n_components}), in row blocks of {block_rows(self.n_components)} seeded by "
                    "area name, feature count and block); "
                    "smaller areas kept as they are")
        return (f"pca: at most {self.n_components} principal components per area, fitted on stimulus set "
                f"{self.fit_set.identifier!r} (content {self.fit_set_hash}) over at most "
                f"{self.max_rows} (image, time step) rows per area; smaller areas kept as they are")


def parse_projection(projection: tuple | ProjectionSpec | None) -> ProjectionSpec | None:
    """Check ``projection`` (``None``, ``("random", D)`` or ``("pca", D, fit_set[, max_rows])``).

    Raises
    ------
    ConfigError
        For an unknown kind, a non-positive D or max_rows, or a missing fit set.
    """
    if projection is None or isinstance(projection, ProjectionSpec):
        return projection
    usage = ("give projection=None, ('random', D) or ('pca', D, fit_stimulus_set[, max_rows]) with D a "
             "positive integer")
    if not isinstance(projection, (tuple, list)) or not projection:
        raise ConfigError(f"projection {projection!r} is not understood; {usage}.")
    kind, *options = projection
    if kind == "random" and len(options) == 1:
        return ProjectionSpec("random", positive_int("the projection's D", options[0]))
    if kind == "pca" and len(options) in (2, 3):
        if not isinstance(options[1], StimulusSet):
            raise ConfigError(f"the PCA's fit set must be a StimulusSet, got {type(options[1]).__name__}; {usage}.")
        max_rows = positive_int("max_rows", options[2]) if len(options) == 3 else DEFAULT_PCA_MAX_ROWS
        return ProjectionSpec("pca", positive_int("the projection's D", options[0]), options[1], max_rows)
    raise ConfigError(f"projection {projection!r} is not understood; {usage}.")


class Projection:
    """Maps each area's flattened activity (T, B, F) to (T, B, F') with F' ≤ D."""

    def project(self, area: str, activity: torch.Tensor) -> torch.Tensor:  # pragma: no cover
        """Project one area's activity (T, B, F) to (T, B, F')."""
        raise NotImplementedError


def block_rows(n_components: int) -> int:
    """Rows of each block of a random projection matrix with ``n_components`` columns: 2**24 // D, at least 1."""
    return max(1, _BLOCK_ELEMENTS // n_components)


def random_projection_block(area: str, n_features: int, n_components: int, block: int) -> torch.Tensor:
    """Block ``block`` of the area's random projection matrix: its rows k·R to min((k+1)·R, F), float32 on CPU.

    R is :func:`block_rows` (``n_components``). Entries N(0, 1/``n_components``),
    drawn by torch's CPU generator seeded from the SHA-256 of ``area``,
    ``n_features``, ``n_components`` and, for blocks after the first, ``block``.

    Returns
    -------
    Tensor (rows, n_components)
    """
    rows = block_rows(n_components)
    first = block * rows
    if not 0 <= first < n_features:
        raise ValueError(f"block {block} is outside a matrix of {n_features} rows in blocks of {rows}")
    seed_text = f"chronoscore.random_projection|{area}|{n_features}|{n_components}"
    if block > 0:
        seed_text += f"|block {block}"
    seed = int.from_bytes(hashlib.sha256(seed_text.encode()).digest()[:8], "little") % (2**63)
    generator = torch.Generator(device="cpu").manual_seed(seed)
    matrix = torch.randn(min(rows, n_features - first), n_components, generator=generator, dtype=torch.float32)
    return matrix.mul_(1.0 / math.sqrt(n_components))


def random_projection_matrix(area: str, n_features: int, n_components: int) -> torch.Tensor:
    """The area's whole Gaussian matrix (n_features, n_components), its blocks stacked, float32 on CPU.

    Entries N(0, 1/n_components); see :func:`random_projection_block`. Extraction
    never builds it (it projects block by block); this is for inspection and tests.
    """
    n_blocks = -(-n_features // block_rows(n_components))
    return torch.cat([random_projection_block(area, n_features, n_components, block) for block in range(n_blocks)])


class RandomProjection(Projection):
    """Gaussian random projection to at most ``n_components`` features per area (see the module docstring).

    Parameters
    ----------
    n_components : int
        D, the features kept per area.
    kept_bytes : int
        Blocks (on the activity's device and dtype) are kept in memory, first
        come first kept, while their total stays within this many bytes; other
        blocks are drawn again for every batch. Memory: at most ``kept_bytes``
        plus one block (2**24 floats) plus the batch's projection.
    """

    def __init__(self, n_components: int, kept_bytes: int = DEFAULT_KEPT_BYTES) -> None:
        self.n_components = n_components
        self.kept_bytes = kept_bytes
        self._kept: dict[tuple[str, int, int, torch.device, torch.dtype], torch.Tensor] = {}
        self._kept_total = 0

    def project(self, area: str, activity: torch.Tensor) -> torch.Tensor:
        """``activity`` (T, B, F) times the area's matrix, block by block: (T, B, D); unchanged when F ≤ D."""
        n_features = activity.shape[-1]
        if n_features <= self.n_components:
            return activity
        rows = block_rows(self.n_components)
        projected = None
        for block, first in enumerate(range(0, n_features, rows)):
            part = activity[..., first:first + rows] @ self._block(area, n_features, block, activity)
            projected = part if projected is None else projected.add_(part)
        return projected

    def _block(self, area: str, n_features: int, block: int, activity: torch.Tensor) -> torch.Tensor:
        """Block ``block`` on ``activity``'s device and dtype, from memory or drawn (and kept if it fits)."""
        key = (area, n_features, block, activity.device, activity.dtype)
        if key in self._kept:
            return self._kept[key]
        matrix = random_projection_block(area, n_features, self.n_components, block).to(
            device=activity.device, dtype=activity.dtype)
        size = matrix.numel() * matrix.element_size()
        if self._kept_total + size <= self.kept_bytes:
            self._kept[key] = matrix
            self._kept_total += size
        return matrix


class PCAProjection(Projection):
    """Fitted principal axes per area (see :func:`fit_pca`).

    Parameters
    ----------
    axes : dict of str to (mean, components)
        Per area its mean (F,) and components (k, F) as float64 tensors; areas
        absent from it are kept as they are.
    """

    def __init__(self, axes: dict[str, tuple[torch.Tensor, torch.Tensor]]) -> None:
        self.axes = axes
        self._applied: dict[tuple[str, torch.device, torch.dtype], tuple[torch.Tensor, torch.Tensor]] = {}

    def project(self, area: str, activity: torch.Tensor) -> torch.Tensor:
        """``(activity - mean) @ components.T``, (T, B, k); unchanged for areas without axes."""
        if area not in self.axes:
            return activity
        key = (area, activity.device, activity.dtype)
        if key not in self._applied:
            mean, components = self.axes[area]
            self._applied[key] = (mean.to(activity.device, activity.dtype),
                                  components.T.contiguous().to(activity.device, activity.dtype))
        mean, components_t = self._applied[key]
        return (activity - mean) @ components_t


def fit_pca(batches: Iterable[tuple[np.ndarray, dict[str, torch.Tensor]]], n_images: int, n_components: int,
            max_rows: int = DEFAULT_PCA_MAX_ROWS) -> PCAProjection:
    """Fit per-area principal axes on activity arriving batch by batch.

    Parameters
    ----------
    batches : iterable of (indices, {area: Tensor (T, B, F)})
        Batches of the fit set (see :func:`~chronoscore.analyses.extraction._activity_batches.activity_batches`);
        ``indices`` (B,) are positions in the fit set.
    n_images : int
        Size of the fit set (N).
    n_components : int
        Components kept per area (D); areas with F ≤ D get no axes.
    max_rows : int
        Of the N·T (image, step) rows of an area, a fixed random sample of at
        most this many is kept (all of them when N·T ≤ max_rows).

    Returns
    -------
    PCAProjection

    Raises
    ------
    FitError
        If an area's activity is constant over the sampled rows (no component).
    """
    kept: dict[str, list[torch.Tensor]] = {}
    masks: dict[str, np.ndarray] = {}
    for indices, activity in batches:
        for area, values in activity.items():
            if values.shape[-1] <= n_components:
                continue
            if area not in masks:
                masks[area] = _row_sample(n_images, values.shape[0], max_rows)
            chosen = torch.from_numpy(masks[area][indices]).to(values.device)
            kept.setdefault(area, []).append(values.transpose(0, 1)[chosen].to("cpu", torch.float32))
    return PCAProjection({area: _principal_axes(area, torch.cat(kept.pop(area)), n_components) for area in list(kept)})


def _row_sample(n_images: int, n_steps: int, max_rows: int) -> np.ndarray:
    """(N, T) bool mask of the kept (image, step) rows: all, or ``max_rows`` drawn with seed 0."""
    total = n_images * n_steps
    mask = np.ones(total, dtype=bool)
    if total > max_rows:
        mask[:] = False
        mask[np.random.default_rng(_SAMPLE_SEED).choice(total, size=max_rows, replace=False)] = True
    return mask.reshape(n_images, n_steps)


def _principal_axes(area: str, rows: torch.Tensor, n_components: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean (F,) and the top components (k, F), k ≤ n_components, of rows (R, F), in float64."""
    rows = rows.to(torch.float64)
    mean = rows.mean(dim=0)
    centred = rows.sub_(mean)
    n_rows, n_features = centred.shape
    if n_features <= n_rows:
        eigenvalues, eigenvectors = torch.linalg.eigh(centred.T @ centred)
        order = torch.argsort(eigenvalues, descending=True)
        eigenvalues, components = eigenvalues[order], eigenvectors[:, order].T
    else:
        eigenvalues, eigenvectors = torch.linalg.eigh(centred @ centred.T)
        order = torch.argsort(eigenvalues, descending=True)
        eigenvalues, eigenvectors = eigenvalues[order], eigenvectors[:, order]
        components = None
    rank = int((eigenvalues > _RANK_TOLERANCE * eigenvalues[0].clamp_min(0)).sum()) if eigenvalues[0] > 0 else 0
    if rank == 0:
        raise FitError(f"area {area!r} is constant over the PCA's fit set; it has no principal component. "
                       "Fit the PCA on a set of varied images or leave the area out.")
    keep = min(n_components, rank)
    if components is None:
        singular = eigenvalues[:keep].sqrt()
        components = (eigenvectors[:, :keep] / singular).T @ centred
    components = components[:keep]
    largest = components.abs().argmax(dim=1)
    signs = torch.sign(components[torch.arange(keep), largest])
    return mean, components * signs[:, None]

