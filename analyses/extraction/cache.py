"""The on-disk cache of extracted activations: keyed, atomic, verified, safe under concurrency.

Layout
------
One file per entry, ``<folder>/<model name>-<key>.npz``, where ``key`` is the first
32 hex characters of the SHA-256 of everything the activations depend on (see
:func:`entry_path`). The default folder is ``chronoscore.paths.cache_dir() /
"activations"``. The file is an uncompressed numpy ``.npz`` (no pickled objects)
holding the values (float16 or float32, which netCDF could not store as
float16), every coordinate as its own array, a JSON description of dims, coords
and attrs, and the SHA-256 of all of these.

Safety
------
* **Atomic**: an entry is written under a unique temporary name in the same
  folder and moved onto its final name with ``os.replace``, so a reader sees
  either no entry or a complete one.
* **Verified**: on reading, the checksum is recomputed; an unreadable, truncated
  or altered entry gives a warning and counts as missing, so it is recomputed and
  replaced.
* **Concurrent**: :func:`entry_lock` holds an exclusive ``fcntl`` lock on
  ``<entry>.lock`` while one process checks, computes and writes an entry; a
  second process extracting the same activations waits and then reads the entry
  instead of computing it again. Where ``fcntl`` is missing (Windows) there is
  no lock: both processes compute, and the unique temporary names and the
  atomic rename still leave one valid entry.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import sys
import uuid
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import xarray as xr

from chronoscore.errors import FileFormatError
from chronoscore.paths import cache_dir

__all__ = ["default_cache_folder", "entry_path", "entry_lock", "read_entry", "write_entry", "activations_checksum"]

_FORMAT = 1
_KEY_CHARACTERS = 32
_UNSAFE_NAME_CHARACTERS = re.compile(r"[^A-Za-z0-9_.-]+")
_DESCRIPTION, _CHECKSUM, _VALUES = "description", "checksum", "values"


def default_cache_folder() -> Path:
    """``chronoscore.paths.cache_dir() / "activations"`` (not created here)."""
    return cache_dir() / "activations"


def entry_path(folder: str | os.PathLike, model_name: str, key: dict) -> Path:
    """Path of the entry for ``key`` (a JSON-able dict of everything the activations depend on)."""
    text = json.dumps({"format": _FORMAT, **key}, sort_keys=True, default=str)
    digest = hashlib.sha256(text.encode()).hexdigest()[:_KEY_CHARACTERS]
    name = _UNSAFE_NAME_CHARACTERS.sub("_", model_name).strip("._")[:80] or "model"
    return Path(folder) / f"{name}-{digest}.npz"


@contextlib.contextmanager
def entry_lock(path: Path, *, announce: bool = True) -> Iterator[None]:
    """Hold an exclusive lock on ``<path>.lock`` (creating the folder) for the ``with`` block.

    When another process holds it, says so on stderr (if ``announce``) and waits.
    """
    _writable_folder(path.parent)
    try:
        import fcntl
    except ImportError:  # no POSIX locks (Windows): atomic writes alone keep entries valid
        yield
        return
    try:
        lock = open(path.with_name(path.name + ".lock"), "a")  # noqa: SIM115 - closed by the with below
    except OSError as error:
        raise FileFormatError(f"{path.parent}: the activation cache cannot be written ({error}); choose another "
                              "folder (cache=PATH) or pass cache=False.") from error
    with lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if announce:
                print(f"chronoscore: waiting for another process extracting the same activations ({path.name})",
                      file=sys.stderr)
            fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def write_entry(path: Path, activations: xr.DataArray) -> Path:
    """Write ``activations`` to ``path`` through a uniquely named temporary file and ``os.replace``."""
    members = _members(activations)
    members[_CHECKSUM] = np.array(_checksum(members))
    temporary = _writable_folder(path.parent) / f".{path.name}.{uuid.uuid4().hex}.tmp"
    try:
        with open(temporary, "xb") as file:  # a new file with the usual permissions (umask)
            np.savez(file, **members)
        os.replace(temporary, path)
    except OSError as error:
        raise FileFormatError(f"{path}: the activation cache cannot be written ({error}); free disk space, "
                              "choose another cache folder or pass cache=False.") from error
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
    return path


def read_entry(path: Path) -> xr.DataArray | None:
    """The activations stored at ``path``, or None if there is no entry or it fails verification.

    A failed verification (unreadable, truncated, checksum mismatch) issues a
    ``UserWarning`` naming the file; the caller then recomputes and overwrites it.
    """
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as stored:
            members = {name: stored[name] for name in stored.files}
        checksum = str(members.pop(_CHECKSUM))
        if checksum != _checksum(members):
            raise ValueError("its checksum does not match its contents")
        return _activations(members)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
        warnings.warn(f"the cached activations {path} are corrupt or truncated ({error}); recomputing them.",
                      UserWarning, stacklevel=3)
        return None


def activations_checksum(activations: xr.DataArray) -> str:
    """SHA-256 (hex) of the values, coords, dims and attrs as the cache stores them."""
    return _checksum(_members(activations))


def _members(activations: xr.DataArray) -> dict[str, np.ndarray]:
    """The arrays of an entry: values, one per coord, and the JSON description."""
    coords = []
    members = {_VALUES: np.ascontiguousarray(activations.values)}
    for index, (name, coord) in enumerate(activations.coords.items()):
        member = f"coord{index}"
        members[member] = np.asarray(coord.values)
        coords.append([str(name), list(coord.dims), member])
    description = {"dims": list(activations.dims), "coords": coords, "attrs": dict(activations.attrs),
                   "name": activations.name}
    members[_DESCRIPTION] = np.array(json.dumps(description, sort_keys=True))
    return members


def _activations(members: dict[str, np.ndarray]) -> xr.DataArray:
    """Rebuild the DataArray from an entry's arrays."""
    description = json.loads(str(members[_DESCRIPTION]))
    coords = {name: (tuple(dims), members[member]) for name, dims, member in description["coords"]}
    return xr.DataArray(members[_VALUES], dims=description["dims"], coords=coords, attrs=description["attrs"],
                        name=description["name"])


def _checksum(members: dict[str, np.ndarray]) -> str:
    """SHA-256 over each member's name, dtype, shape and bytes, in name order."""
    digest = hashlib.sha256()
    for name in sorted(members):
        array = np.ascontiguousarray(members[name])
        digest.update(f"{name}|{array.dtype.str}|{array.shape}|".encode())
        digest.update(array.reshape(-1).view(np.uint8))
    return digest.hexdigest()


def _writable_folder(folder: Path) -> Path:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise FileFormatError(f"{folder}: the activation cache folder cannot be created ({error}); choose "
                              "another folder (cache=PATH) or pass cache=False.") from error
    return folder
