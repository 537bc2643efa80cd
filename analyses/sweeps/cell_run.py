"""Running one cell: under its lock, into a partial folder, moved into place whole; a failure is recorded.

:func:`run_cell` is what every worker runs, on any executor:

1. take the cell's lock (``.sweep/locks/<cell>.lock``, an ``fcntl`` lock the
   system drops when the process dies, even by SIGKILL); a second worker on the
   same cell waits for it;
2. skip the cell if its folder holds ``cell.json`` with the same provenance hash;
3. remove partial folders of the cell that a killed worker left, score into a
   new one (``.sweep/partial/<cell>.<id>``), write ``cell.json`` last, and
   rename the folder onto ``<cell>`` (an older result of other provenance is
   moved aside first and deleted after);
4. on an error, record it with the number of attempts in ``.sweep/failed/<cell>.json``.

So a sweep folder only ever holds whole cells: a killed cell leaves a partial
folder, which the next run removes.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import traceback
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from chronoscore.analyses.extraction.cache import entry_lock
from chronoscore.analyses.run_folder import CELL_FILE, sweep_work_folder
from chronoscore.analyses.sweeps.grid import Cell
from chronoscore.analyses.sweeps.provenance import cell_provenance
from chronoscore.errors import ChronoscoreError

__all__ = ["run_cell", "cell_is_done", "read_failure", "record_failure", "lock_path", "CellRunner"]

CellRunner = Callable[[Sequence[str], Path], Any]
"""Runs ``chronoscore score`` with the cell's arguments and ``--out FOLDER``: ``runner(argv, folder)``."""

_ERROR_CHARACTERS = 4000


def lock_path(sweep: Path, name: str) -> Path:
    """The path whose ``.lock`` file a worker holds while it runs cell ``name``."""
    return sweep_work_folder(sweep, "locks") / name


def cell_is_done(sweep: Path, name: str, digest: str) -> bool:
    """Whether ``sweep/name`` holds a finished cell of provenance hash ``digest``."""
    record = Path(sweep) / name / CELL_FILE
    try:
        return json.loads(record.read_text())["provenance_hash"] == digest
    except (OSError, ValueError, KeyError, TypeError):
        return False


def read_failure(sweep: Path, name: str) -> dict | None:
    """The recorded failure of cell ``name`` (``error``, ``attempts``, ``provenance_hash``), or None."""
    try:
        return json.loads((sweep_work_folder(sweep, "failed") / f"{name}.json").read_text())
    except (OSError, ValueError):
        return None


def run_cell(cell: Cell, digest: str, sweep: str | os.PathLike, runner: CellRunner,
             threads: int | None = None) -> dict[str, Any]:
    """Score ``cell`` into ``sweep/<cell.name>`` unless it is done; see the module docstring.

    Parameters
    ----------
    cell : Cell
    digest : str
        The cell's provenance hash (:func:`~chronoscore.analyses.sweeps.provenance.provenance_hash`).
    sweep : path-like
        The sweep folder.
    runner : callable
        ``runner(argv, folder)`` scores into ``folder``.
    threads : int, optional
        torch's intra-op threads in this worker (cores / parallel cells).

    Returns
    -------
    dict
        ``cell``, ``state`` ("done", "skipped" or "failed"), ``seconds`` and, when failed, ``error``
        and ``retry`` (False for a chronoscore error, which the same cell would meet again).
    """
    sweep = Path(sweep)
    if threads:
        import torch

        torch.set_num_threads(int(threads))
    with entry_lock(lock_path(sweep, cell.name), announce=False):
        if cell_is_done(sweep, cell.name, digest):
            return {"cell": cell.name, "state": "skipped", "seconds": 0.0}
        partial_root = sweep_work_folder(sweep, "partial")
        for stale in partial_root.glob(f"{cell.name}.*"):
            shutil.rmtree(stale, ignore_errors=True)
        partial = partial_root / f"{cell.name}.{uuid.uuid4().hex}"
        partial.mkdir(parents=True)
        started = time.perf_counter()
        try:
            runner(cell.argv, partial)
        except Exception as error:
            shutil.rmtree(partial, ignore_errors=True)
            message = f"{type(error).__name__}: {error}"
            _record_failure(sweep, cell.name, digest, message, traceback.format_exc())
            return {"cell": cell.name, "state": "failed", "seconds": time.perf_counter() - started, "error": message,
                    "retry": not isinstance(error, ChronoscoreError)}
        seconds = time.perf_counter() - started
        record = {"cell": cell.name, "labels": cell.labels, "provenance_hash": digest, "seconds": seconds,
                  **cell_provenance(cell)}
        (partial / CELL_FILE).write_text(json.dumps(record, indent=2, sort_keys=True))
        _move_into_place(partial, sweep / cell.name)
        (sweep_work_folder(sweep, "failed") / f"{cell.name}.json").unlink(missing_ok=True)
        return {"cell": cell.name, "state": "done", "seconds": seconds}


def record_failure(sweep: Path, name: str, digest: str, error: str) -> None:
    """Record a failure that no worker could record (its process died): counts as one attempt."""
    _record_failure(sweep, name, digest, error, "")


def _record_failure(sweep: Path, name: str, digest: str, error: str, trace: str) -> None:
    previous = read_failure(sweep, name) or {}
    attempts = previous.get("attempts", 0) + 1 if previous.get("provenance_hash") == digest else 1
    folder = sweep_work_folder(sweep, "failed")
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f".{name}.{uuid.uuid4().hex}.tmp"
    temporary.write_text(json.dumps({"cell": name, "provenance_hash": digest, "attempts": attempts,
                                     "error": error[:_ERROR_CHARACTERS], "traceback": trace[-_ERROR_CHARACTERS:]},
                                    indent=2))
    os.replace(temporary, folder / f"{name}.json")


def _move_into_place(partial: Path, final: Path) -> None:
    """Rename ``partial`` onto ``final``; a previous ``final`` is moved aside first and deleted after."""
    aside = None
    if final.exists():
        aside = partial.with_name(f"{partial.name}.replaced")
        os.rename(final, aside)
    os.rename(partial, final)
    _sync_folder(final.parent)
    if aside is not None:
        shutil.rmtree(aside, ignore_errors=True)


def _sync_folder(folder: Path) -> None:
    """Flush a folder's entries (the rename) to disk where the system allows it."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
