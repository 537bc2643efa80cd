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


def counts_neighbours(argv, folder):
    """argv = [running folder, seconds]: while marked as running, watch for up to ``seconds`` how many cells run.

    Writes the most cells seen running at once (itself included) into ``most.json``
    of its cell folder; it stops watching early once it sees three.
    """
    running = Path(argv[0])
    marker = running / str(os.getpid())
    marker.write_text("")
    most, deadline = 1, time.monotonic() + float(argv[1])
    while time.monotonic() < deadline and most < 3:
        most = max(most, len(list(running.iterdir())))
        time.sleep(0.05)
    marker.unlink()
    (Path(folder) / "most.json").write_text(json.dumps(most))
