"""Large result arrays in ordinary pages, so that filling them costs little kernel time.

numpy asks the kernel for transparent huge pages for every large array
(``madvise(MADV_HUGEPAGE)``). Where the kernel's huge-page defragmentation is set
to ``madvise`` (the default of many distributions), each first write to a fresh
2 MiB page of such an array may compact memory before the page can be given; on
a virtual machine that makes filling a fresh array costly (0.82 GB of activations
written batch by batch into ``np.empty``: 2.8-4.4 s in the kernel on a 2-core
virtual machine, against 0.35 s in ordinary 4 KiB pages). :func:`empty_array`
maps the memory anonymously without that request.
"""

from __future__ import annotations

import mmap

import numpy as np

__all__ = ["empty_array"]

_SMALL_BYTES = 2 * 1024 * 1024


def empty_array(shape: tuple[int, ...], dtype: type[np.generic] | np.dtype) -> np.ndarray:
    """An uninitialised C-ordered array in its own anonymous mapping (``np.empty`` below 2 MiB).

    Parameters
    ----------
    shape : tuple of int
    dtype : numpy dtype

    Returns
    -------
    numpy.ndarray of ``shape`` and ``dtype``
        Writable; its memory is released when the array (and every view of it) is.
    """
    dtype = np.dtype(dtype)
    n_bytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if n_bytes < _SMALL_BYTES:
        return np.empty(shape, dtype=dtype)
    return np.frombuffer(mmap.mmap(-1, n_bytes), dtype=dtype).reshape(shape)
