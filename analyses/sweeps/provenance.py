"""A cell's provenance hash: what its results depend on, so an unchanged cell is not scored again.

The hash covers the cell's ``score`` arguments, chronoscore's version, the
SHA-256 of chronoscore's own installed files (its code, recipes and embedded
weights: a development install changes them without a new version, and a
registered model is defined by them alone) and the SHA-256 of the contents of
every input file the cell names (weights, a training run's checkpoint, a model's
Python file, a benchmark folder's netCDF files). Changing any of these gives a
new hash, and the sweep scores the cell again; the same sweep file on the same
files gives the same hash, and the cell is skipped.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import chronoscore
from chronoscore.analyses.sweeps.grid import Cell

__all__ = ["cell_provenance", "provenance_hash", "file_sha256", "code_sha256", "hashes"]

_CHUNK = 1 << 20


def cell_provenance(cell: Cell) -> dict:
    """The JSON-able description the hash is taken of: arguments, version and input files' SHA-256."""
    return {"argv": list(cell.argv), "chronoscore_version": chronoscore.__version__,
            "chronoscore_code": code_sha256(), "inputs": {path: file_sha256(path) for path in cell.inputs}}


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


@lru_cache(maxsize=1)
def code_sha256() -> str:
    """SHA-256 of chronoscore's installed files (every file of its packages but compiled bytecode), taken
    over their paths within the packages and their contents, in path order; made once per process."""
    digest = hashlib.sha256()
    for package, root in _package_roots():
        for file in sorted(path for path in root.rglob("*")
                           if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"):
            digest.update(f"{package}/{file.relative_to(root).as_posix()}\0".encode())
            digest.update(file_sha256(str(file)).encode())
    return digest.hexdigest()


_PACKAGES = ("chronoscore", "chronoscore.models", "chronoscore.neural_fit", "chronoscore.stimuli",
             "chronoscore.analyses", "chronoscore.figures")
"""The packages whose folders hold chronoscore's files (the others are folders within these)."""


def _package_roots() -> list[tuple[str, Path]]:
    """(package, folder) of each of :data:`_PACKAGES`, found without importing them."""
    roots = []
    for package in _PACKAGES:
        [folder] = importlib.util.find_spec(package).submodule_search_locations
        roots.append((package, Path(folder)))
    return roots


def hashes(cells: Iterable[Cell]) -> dict[str, str]:
    """Cell name -> provenance hash."""
    return {cell.name: provenance_hash(cell) for cell in cells}
