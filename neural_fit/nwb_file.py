"""Opening NWB files with pynwb (the optional extra ``chronoscore[nwb]``), lazily and with clear errors.

pynwb reads an NWB file lazily: tables and arrays stay ``h5py`` datasets in the
file until sliced, so opening a file of any size costs only its metadata.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

from chronoscore.errors import ConfigError, FileFormatError

__all__ = ["require_pynwb", "open_nwb", "column_values"]


def require_pynwb() -> ModuleType:
    """Import and return ``pynwb``.

    Raises
    ------
    ConfigError
        If pynwb is not installed, naming the extra that installs it.
    """
    try:
        import pynwb
    except ImportError as error:
        raise ConfigError(
            f"reading NWB files needs pynwb, which is not installed ({error}); install chronoscore's nwb extra: "
            "pip install 'chronoscore[nwb]'."
        ) from error
    return pynwb


@contextmanager
def open_nwb(path: str | os.PathLike) -> Iterator[Any]:
    """Open an NWB file read-only and yield its ``pynwb.NWBFile``; the file closes on exit.

    Raises
    ------
    ConfigError
        If pynwb is missing (see :func:`require_pynwb`).
    FileFormatError
        If the file is missing, or is not a readable NWB file (truncated, corrupt,
        another format).
    """
    pynwb = require_pynwb()
    path = Path(path)
    if not path.is_file():
        raise FileFormatError(f"{path}: no such file; check the path to the NWB file.")
    try:
        io = pynwb.NWBHDF5IO(str(path), mode="r", load_namespaces=True)
    except Exception as error:  # h5py and hdmf raise many types for a damaged file; all mean the same here
        raise FileFormatError(
            f"{path}: cannot be opened as an NWB (HDF5) file ({type(error).__name__}: {error}); it is truncated, "
            "corrupt or of another format. Download it again (DANDI lists each file's checksum)."
        ) from error
    try:
        try:
            nwbfile = io.read()
        except Exception as error:  # as above: a damaged or non-NWB HDF5 file
            raise FileFormatError(
                f"{path}: is not a readable NWB file ({type(error).__name__}: {error}); it is corrupt or was not "
                "written by an NWB tool. Download it again, or check it with nwbinspector."
            ) from error
        yield nwbfile
    finally:
        io.close()


def column_values(table: Any, name: str) -> Any:
    """The data of column ``name`` of an hdmf ``DynamicTable`` (an ``h5py`` dataset in a read file)."""
    return next(column for column in table.columns if column.name == name).data
