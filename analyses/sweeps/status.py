"""A sweep folder's plan (``sweep.json``) and the state of each of its cells: done, running, failed or pending."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from chronoscore.analyses.run_folder import SWEEP_PLAN_FILE
from chronoscore.analyses.sweeps.cell_run import cell_is_done, lock_path, read_failure
from chronoscore.analyses.sweeps.grid import Cell
from chronoscore.errors import FileFormatError

__all__ = ["CellState", "write_plan", "read_plan", "sweep_status", "status_table", "STATES"]

STATES = ("done", "running", "failed", "pending")


@dataclass(frozen=True)
class CellState:
    """One cell's state.

    Attributes
    ----------
    name : str
    state : {"done", "running", "failed", "pending"}
    detail : str
        For a failed cell, its attempts and last error.
    """

    name: str
    state: str
    detail: str = ""


def write_plan(sweep: Path, cells: list[Cell], digests: dict[str, str]) -> Path:
    """Write ``sweep.json``: each cell's name, score arguments, labels and provenance hash (atomically)."""
    sweep.mkdir(parents=True, exist_ok=True)
    plan = {"cells": [{"name": cell.name, "argv": list(cell.argv), "labels": cell.labels,
                       "provenance_hash": digests[cell.name]} for cell in cells]}
    path = sweep / SWEEP_PLAN_FILE
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(plan, indent=2))
    os.replace(temporary, path)
    return path


def read_plan(sweep: Path) -> list[dict]:
    """The cells of ``sweep.json`` (FileFormatError if the folder is not a sweep's)."""
    path = Path(sweep) / SWEEP_PLAN_FILE
    try:
        return json.loads(path.read_text())["cells"]
    except OSError as error:
        raise FileFormatError(f"{sweep}: not a sweep folder (no readable {SWEEP_PLAN_FILE}: {error}); give the --out "
                              "folder of chronoscore sweep.") from error
    except (ValueError, KeyError, TypeError) as error:
        raise FileFormatError(f"{path}: not a sweep plan ({error}); run chronoscore sweep again to rewrite it.") \
            from error


def sweep_status(sweep: Path) -> list[CellState]:
    """The state of every cell of the sweep in ``sweep``, in the plan's order."""
    states = []
    for cell in read_plan(sweep):
        name, digest = cell["name"], cell["provenance_hash"]
        failure = read_failure(sweep, name)
        if cell_is_done(sweep, name, digest):
            states.append(CellState(name, "done"))
        elif _lock_is_held(lock_path(sweep, name)):
            states.append(CellState(name, "running"))
        elif failure and failure.get("provenance_hash") == digest:
            states.append(CellState(name, "failed", f"{failure['attempts']} attempt(s): {failure['error']}"))
        else:
            states.append(CellState(name, "pending"))
    return states


def status_table(states: list[CellState]) -> str:
    """A Markdown table of the cells and a line counting each state."""
    lines = ["| cell | state | detail |", "| --- | --- | --- |"]
    lines += [f"| {state.name} | {state.state} | {state.detail.splitlines()[0] if state.detail else ''} |"
              for state in states]
    counts = {name: sum(state.state == name for state in states) for name in STATES}
    lines += ["", ", ".join(f"{count} {name}" for name, count in counts.items()) + f" (of {len(states)} cells)"]
    return "\n".join(lines)


def _lock_is_held(path: Path) -> bool:
    """Whether a process holds the cell's lock (taken and released at once when it is free)."""
    lock = path.with_name(path.name + ".lock")
    if not lock.is_file():
        return False
    try:
        import fcntl
    except ImportError:  # no POSIX locks: running cells cannot be told from pending ones
        return False
    with open(lock, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False
