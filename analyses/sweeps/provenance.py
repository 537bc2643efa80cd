"""A cell's provenance hash: what its results depend on, so an unchanged cell is not scored again.

The hash covers the cell's ``score`` arguments, chronoscore's version and the
SHA-256 of the contents of every input file it names (weights, a training run's
checkpoint, a model's Python file, a benchmark folder's netCDF files). Changing
any of these gives a new hash, and the sweep scores the cell again; the same
sweep file on the same files gives the same hash, and the cell is skipped.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import chronoscore
from chronoscore.analyses.sweeps.grid import Cell

__all__ = ["cell_provenance", "provenance_hash", "file_sha256", "hashes"]

_CHUNK = 1 << 20


def cell_provenance(cell: Cell) -> dict:
    """The JSON-able description the hash is taken of: arguments, version and input files' SHA-256."""
    return {"argv": list(cell.argv), "chronoscore_version": chronoscore.__version__,
            "inputs": {path: file_sha256(path) for path in cell.inputs}}


def provenance_hash(cell: Cell) -> str:
    """SHA-256 (hex) of :func:`cell_provenance`."""
    text = json.dumps(cell_provenance(cell), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def file_sha256(path: str) -> str:
    """SHA-256 of a file's contents ("missing" for a file that is not there); remembered per size and mtime."""
    file = Path(path)
    if not file.is_file():
        return "missing"
    stat = file.stat()
    return _digest(str(file.resolve()), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=1024)
def _digest(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def hashes(cells: Iterable[Cell]) -> dict[str, str]:
    """Cell name -> provenance hash."""
    return {cell.name: provenance_hash(cell) for cell in cells}
