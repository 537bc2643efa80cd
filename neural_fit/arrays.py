"""Numpy/torch dispatch for the numerical solvers.

Solvers accept either numpy arrays or torch tensors and compute in float64 on the
array's own device; the library is picked from the input (there is no global
backend switch). Only the few operations whose spelling differs between numpy
and torch are wrapped here; everything else is written with operators and
methods both libraries share (``@``, ``.T``, ``.sum(0)``, ...).
"""

from __future__ import annotations

from typing import Any

import numpy as np

try:  # torch is a dependency, but the numpy path must not need it at import time
    import torch
except ImportError:  # pragma: no cover - torch is always installed with chronoscore
    torch = None

__all__ = [
    "Array",
    "is_torch",
    "as_float64",
    "to_library_of",
    "to_numpy",
    "to_bool_numpy",
    "zeros_like_batch",
    "swap_last",
    "permute",
    "stack",
    "concat",
    "pinv",
    "qr",
    "svd",
    "eigh",
]

Array = Any
"""A numpy array or a torch tensor."""


def is_torch(array: Array) -> bool:
    """Return True if ``array`` is a torch tensor."""
    return torch is not None and isinstance(array, torch.Tensor)


def as_float64(array: Array) -> Array:
    """Return ``array`` as float64 in its own library and on its own device.

    Python sequences become numpy arrays.
    """
    if is_torch(array):
        return array.to(torch.float64)
    return np.asarray(array, dtype=np.float64)


def zeros_like_batch(reference: Array, shape: tuple[int, ...]) -> Array:
    """float64 zeros of ``shape`` in ``reference``'s library and device."""
    if is_torch(reference):
        return torch.zeros(shape, dtype=torch.float64, device=reference.device)
    return np.zeros(shape, dtype=np.float64)


def to_numpy(array: Array) -> np.ndarray:
    """Return a numpy copy (or view) of ``array`` on the host."""
    if is_torch(array):
        return array.detach().cpu().numpy()
    return np.asarray(array)


def to_bool_numpy(array: Array) -> np.ndarray:
    """Return ``array`` as a numpy bool array on the host."""
    return to_numpy(array).astype(bool)


def pinv(matrix: Array) -> Array:
    """Moore-Penrose pseudo-inverse with numpy's default cut-off, batched over leading dims."""
    if is_torch(matrix):
        return torch.linalg.pinv(matrix)
    return np.linalg.pinv(matrix)


def qr(matrix: Array) -> tuple[Array, Array]:
    """Reduced QR decomposition ``matrix = q @ r`` of a (m, n) matrix, m >= n."""
    if is_torch(matrix):
        return torch.linalg.qr(matrix, mode="reduced")
    return np.linalg.qr(matrix, mode="reduced")


def to_library_of(array: Array, reference: Array) -> Array:
    """Return ``array`` (numpy, torch on any device, or a Python number) as float64 in
    ``reference``'s library and on its device."""
    if is_torch(reference):
        return torch.as_tensor(array, dtype=torch.float64, device=reference.device)
    return np.asarray(to_numpy(array), dtype=np.float64)


def svd(matrix: Array) -> tuple[Array, Array, Array]:
    """Thin SVD ``matrix = u @ diag(s) @ vt`` of a (m, n) matrix; s (min(m, n),) descending."""
    if is_torch(matrix):
        return torch.linalg.svd(matrix, full_matrices=False)
    return np.linalg.svd(matrix, full_matrices=False)


def eigh(matrix: Array) -> tuple[Array, Array]:
    """Eigenvalues (n,) ascending and eigenvectors (n, n) as columns of a symmetric (n, n) matrix."""
    if is_torch(matrix):
        return torch.linalg.eigh(matrix)
    return np.linalg.eigh(matrix)


def swap_last(array: Array) -> Array:
    """Swap the last two axes."""
    return array.transpose(-1, -2) if is_torch(array) else np.swapaxes(array, -1, -2)


def permute(array: Array, order: tuple[int, ...]) -> Array:
    """Reorder all axes (numpy ``transpose``, torch ``permute``)."""
    return array.permute(*order) if is_torch(array) else np.transpose(array, order)


def stack(arrays: list[Array]) -> Array:
    """Stack equally shaped arrays along a new first axis."""
    return torch.stack(arrays) if is_torch(arrays[0]) else np.stack(arrays)


def concat(arrays: list[Array]) -> Array:
    """Join arrays along their first axis."""
    return torch.cat(arrays) if is_torch(arrays[0]) else np.concatenate(arrays)
