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

Streaming
---------
An extraction writes its entry while it runs (:class:`EntryWriter`): the values
arrive batch by batch, in row order, and go straight into the file (and into
the checksum), so they are never all in memory while the model runs; once the
model is done, they are read back from the entry into one array in memory
(:func:`~chronoscore.analyses.extraction._large_arrays.empty_array`), straight from the file,
with no second copy.

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

from chronoscore.analyses.extraction._large_arrays import empty_array
from chronoscore.errors import FileFormatError
from chronoscore.paths import cache_dir

__all__ = ["default_cache_folder", "entry_path", "entry_lock", "read_entry", "write_entry", "activations_checksum",
           "EntryWriter", "stored_values"]

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
    values = np.ascontiguousarray(activations.values)
    with EntryWriter(path, activations.copy(data=np.broadcast_to(values.dtype.type(0), values.shape))) as writer:
        writer.write_rows(values)
        writer.complete()
    return path


class EntryWriter:
    """Writes an entry whose values (N, ...) arrive row block by row block, never all in memory.

    Use as a context manager: rows go in with :meth:`write_rows`, in order;
    :meth:`complete` adds the checksum and moves the entry onto ``path``;
    :meth:`finish` does the same and returns the activations, their values read
    back from the entry. Leaving the block without completing (an exception, a
    missing row) removes the temporary file; an incomplete entry never appears
    under ``path``.

    Parameters
    ----------
    path : Path
        The entry's final path (see :func:`entry_path`).
    template : xarray.DataArray
        Dims, coords, attrs, name, shape and dtype of the activations; its values
        are not read (a broadcast zero will do).
    """

    def __init__(self, path: Path, template: xr.DataArray) -> None:
        self.path = path
        self.template = template
        self.shape, self.dtype = tuple(template.shape), np.dtype(template.dtype)
        self.rows_written = 0
        members = _coordinate_members(template)
        if max(members) >= _VALUES:  # the checksum hashes the values last, after every other member
            raise ValueError(f"a member is named after {_VALUES!r}: {sorted(members)}")
        self._digest = hashlib.sha256()
        for name in sorted(members):
            _hash_member(self._digest, name, members[name])
        self._digest.update(_member_header(_VALUES, self.dtype, self.shape))
        self._temporary = _writable_folder(path.parent) / f".{path.name}.{uuid.uuid4().hex}.tmp"
        self._file = self._archive = self._values = None
        try:
            self._file = open(self._temporary, "xb")  # noqa: SIM115 - closed by finish or _remove_temporary
            self._archive = zipfile.ZipFile(self._file, "w", allowZip64=True)
            for name, array in members.items():
                with self._archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                    np.lib.format.write_array(member, array, allow_pickle=False)
            self._values = self._archive.open(f"{_VALUES}.npy", "w", force_zip64=True)
            header = {"descr": np.lib.format.dtype_to_descr(self.dtype), "fortran_order": False, "shape": self.shape}
            np.lib.format.write_array_header_2_0(self._values, header)
        except OSError as error:
            self._remove_temporary()
            raise _unwritable(path, error) from error

    def __enter__(self) -> EntryWriter:
        return self

    def __exit__(self, *exc_info) -> None:
        self._remove_temporary()

    def write_rows(self, rows: np.ndarray) -> None:
        """Append ``rows`` (n, ...) of the values, in order (converted to the entry's dtype)."""
        rows = np.ascontiguousarray(rows, dtype=self.dtype)
        if rows.shape[1:] != self.shape[1:] or self.rows_written + len(rows) > self.shape[0]:
            raise ValueError(f"rows of shape {rows.shape} do not fit values {self.shape} with "
                             f"{self.rows_written} rows written")
        data = rows.reshape(-1).view(np.uint8)
        self._digest.update(data)
        try:
            self._values.write(data)
        except OSError as error:
            self._remove_temporary()
            raise _unwritable(self.path, error) from error
        self.rows_written += len(rows)

    def finish(self) -> xr.DataArray:
        """:meth:`complete`, then the activations with their values read back from the entry."""
        self.complete()
        return self.template.copy(data=stored_values(self.path))

    def complete(self) -> Path:
        """Write the checksum and move the entry onto ``path`` (every row must have been written)."""
        try:
            if self.rows_written != self.shape[0]:
                raise ValueError(f"{self.rows_written} of {self.shape[0]} rows written")
            self._values.close()
            with self._archive.open(f"{_CHECKSUM}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.array(self._digest.hexdigest()), allow_pickle=False)
            self._archive.close()
            self._file.close()
            os.replace(self._temporary, self.path)
        except OSError as error:
            raise _unwritable(self.path, error) from error
        finally:
            self._remove_temporary()
        return self.path

    def _remove_temporary(self) -> None:
        """Close whatever is open and remove the temporary file (if it is still there)."""
        for handle in (self._values, self._archive, self._file):
            if handle is not None:
                with contextlib.suppress(OSError, ValueError):
                    handle.close()
        with contextlib.suppress(FileNotFoundError):
            os.remove(self._temporary)


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


def stored_values(path: Path) -> np.ndarray:
    """The values of the entry at ``path``, read from the file into a new array (one copy, no checksum check)."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(f"{_VALUES}.npy")
    if info.compress_type != zipfile.ZIP_STORED:
        raise ValueError(f"{path}: the values are compressed")
    with open(path, "rb") as file:
        file.seek(info.header_offset)
        local = file.read(30)  # the local file header: its name and extra field lengths are at bytes 26-29
        name_length, extra_length = int.from_bytes(local[26:28], "little"), int.from_bytes(local[28:30], "little")
        file.seek(info.header_offset + 30 + name_length + extra_length)
        version = np.lib.format.read_magic(file)
        read_header = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
        shape, fortran_order, dtype = read_header[version](file)
        if fortran_order:
            raise ValueError(f"{path}: the values are stored in Fortran order")
        values = empty_array(shape, dtype)
        target = memoryview(values.reshape(-1).view(np.uint8))
        if file.readinto(target) != len(target):
            raise ValueError(f"{path}: the values are truncated")
    return values


def _members(activations: xr.DataArray) -> dict[str, np.ndarray]:
    """The arrays of an entry: values, one per coord, and the JSON description."""
    return {_VALUES: np.ascontiguousarray(activations.values), **_coordinate_members(activations)}


def _coordinate_members(activations: xr.DataArray) -> dict[str, np.ndarray]:
    """The arrays of an entry but the values: one per coord, and the JSON description."""
    coords, members = [], {}
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
        _hash_member(digest, name, members[name])
    return digest.hexdigest()


def _hash_member(digest: hashlib._Hash, name: str, array: np.ndarray) -> None:
    array = np.ascontiguousarray(array)
    digest.update(_member_header(name, array.dtype, array.shape))
    digest.update(array.reshape(-1).view(np.uint8))


def _member_header(name: str, dtype: np.dtype, shape: tuple[int, ...]) -> bytes:
    return f"{name}|{dtype.str}|{shape}|".encode()


def _unwritable(path: Path, error: OSError) -> FileFormatError:
    return FileFormatError(f"{path}: the activation cache cannot be written ({error}); free disk space, "
                           "choose another cache folder or pass cache=False.")


def _writable_folder(folder: Path) -> Path:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise FileFormatError(f"{folder}: the activation cache folder cannot be created ({error}); choose "
                              "another folder (cache=PATH) or pass cache=False.") from error
    return folder
