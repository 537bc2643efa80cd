"""Cheap stand-ins for ``chronoscore score`` as cell runners: ``runner(argv, folder)``.

Each reads its instructions from the cell's arguments; they are pickled by value
(see the tests), so the worker processes need not import this module.
"""

import json
import os
import time
from pathlib import Path

from chronoscore.errors import ConfigError


def count_run(log: str) -> int:
    """Append one line to ``log``; return the number of lines (the runs so far)."""
    with open(log, "a") as handle:
        handle.write("run\n")
    return len(Path(log).read_text().splitlines())


def writes_result(argv, folder):
    """argv = [log]: count the run and write ``result.json`` with the arguments."""
    count_run(argv[0])
    (Path(folder) / "result.json").write_text(json.dumps(list(argv)))


def fails_first(argv, folder):
    """argv = [log, n]: fail the first n runs with a RuntimeError, then write ``result.json``."""
    if count_run(argv[0]) <= int(argv[1]):
        raise RuntimeError("a transient failure")
    (Path(folder) / "result.json").write_text("{}")


def refuses_settings(argv, folder):
    """argv = [log]: count the run and raise a chronoscore error (bad settings)."""
    count_run(argv[0])
    raise ConfigError("the settings are wrong")


def takes_a_while(argv, folder):
    """argv = [folder, seconds]: record start and end times (for overlaps) around a sleep."""
    start = time.time()
    time.sleep(float(argv[1]))
    Path(argv[0], f"{os.getpid()}-{start}.interval").write_text(f"{start} {time.time()}")
    (Path(folder) / "result.json").write_text("{}")
