"""Running a sweep's cells on submitit: local processes (the default) or SLURM job arrays; retries.

Each cell is one submitit job running :func:`~chronoscore.analyses.sweeps.cell_run.run_cell`.
``local`` runs them in parallel processes on this machine (submitit's
``LocalExecutor``), at most ``parallel`` at a time; ``slurm`` submits them as one
job array (submitit's ``SlurmExecutor``), at most ``parallel`` running at once
(SLURM's ``--array=0-N%parallel``). A job is checkpointable: when SLURM preempts
it (or it nears its time limit) submitit requeues it and the cell starts again
from scratch (a cell is short and written whole, so nothing else is kept). Cells
that fail are submitted again, up to ``retries`` more times, but for a chronoscore
error (bad settings, a missing file), which the same cell would meet again.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import submitit

from chronoscore.analyses.run_folder import sweep_work_folder
from chronoscore.analyses.sweeps.cell_run import CellRunner, record_failure, run_cell
from chronoscore.analyses.sweeps.grid import Cell
from chronoscore.errors import ConfigError

__all__ = ["CellJob", "LocalPlan", "local_parallelism", "run_cells", "ExecutorName"]

ExecutorName = Literal["local", "slurm"]

_POLL_SECONDS = 0.2
_LOCAL_TIMEOUT_MIN = 7 * 24 * 60
"""submitit's local jobs are signalled at their time limit; a cell has none on one machine."""


class CellJob(submitit.helpers.Checkpointable):
    """The function each submitit job calls; checkpointable, so a preempted job is requeued and the cell rerun."""

    def __call__(self, cell: Cell, digest: str, sweep: str, runner: CellRunner,
                 threads: int | None = None) -> dict[str, Any]:
        """Run one cell (:func:`~chronoscore.analyses.sweeps.cell_run.run_cell`)."""
        return run_cell(cell, digest, sweep, runner, threads)


@dataclass(frozen=True)
class LocalPlan:
    """How many cells run at once on this machine, and torch's threads in each.

    Attributes
    ----------
    parallel : int
    threads : int
    """

    parallel: int
    threads: int


def local_parallelism(max_parallel: int | None = None, memory_gb: float | None = None,
                      cell_memory_gb: float = 2.0, cores: int | None = None) -> LocalPlan:
    """Cells at once: at most ``max_parallel`` (default: the cores), and ``memory_gb / cell_memory_gb``.

    Raises
    ------
    ConfigError
        If a bound is not positive or the memory budget holds no cell.
    """
    cores = cores or (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
    if max_parallel is not None and max_parallel < 1:
        raise ConfigError(f"--max-parallel {max_parallel}: give 1 or more.")
    if cell_memory_gb <= 0:
        raise ConfigError(f"--cell-memory-gb {cell_memory_gb}: give a positive estimate of one cell's memory.")
    parallel = max_parallel or cores
    if memory_gb is not None:
        fitting = math.floor(memory_gb / cell_memory_gb)
        if fitting < 1:
            raise ConfigError(f"--memory-gb {memory_gb} holds no cell of --cell-memory-gb {cell_memory_gb}; raise "
                              "the budget or lower the estimate.")
        parallel = min(parallel, fitting)
    return LocalPlan(parallel, max(1, cores // parallel))


def run_cells(cells: Sequence[Cell], digests: Mapping[str, str], sweep: Path, runner: CellRunner, *,
              executor: ExecutorName = "local", parallel: int = 1, threads: int | None = None, retries: int = 2,
              slurm: Mapping[str, Any] | None = None,
              report: Callable[[dict[str, Any]], None] = lambda outcome: None) -> list[dict[str, Any]]:
    """Run ``cells``; those that fail run again, up to ``retries`` more times.

    Parameters
    ----------
    cells : sequence of Cell
    digests : mapping of cell name to provenance hash
    sweep : Path
        The sweep folder.
    runner : callable
        ``runner(argv, folder)``: one ``chronoscore score`` run (must be importable by name in the workers).
    executor : {"local", "slurm"}
    parallel : int
        Cells running at once.
    threads : int, optional
        torch's threads in each cell (local).
    retries : int
    slurm : mapping, optional
        Parameters of submitit's ``SlurmExecutor.update_parameters`` (partition, time, gpus_per_task, ...).
    report : callable
        Called with each cell's outcome as it arrives.

    Returns
    -------
    list of dict
        The last outcome of each cell (see :func:`~chronoscore.analyses.sweeps.cell_run.run_cell`).
    """
    if retries < 0:
        raise ConfigError(f"--retries {retries}: give 0 or more.")
    folder = sweep_work_folder(sweep, "jobs")
    submit = (_local_submitter(folder, parallel) if executor == "local"
              else _slurm_submitter(folder, parallel, dict(slurm or {})))
    outcomes: dict[str, dict[str, Any]] = {}
    remaining = list(cells)
    for _ in range(retries + 1):
        if not remaining:
            break
        for outcome in submit([(CellJob(), cell, digests[cell.name], str(sweep), runner, threads)
                               for cell in remaining]):
            outcomes[outcome["cell"]] = outcome
            report(outcome)
        remaining = [cell for cell in remaining
                     if outcomes[cell.name]["state"] == "failed" and outcomes[cell.name].get("retry", True)]
    return [outcomes[cell.name] for cell in cells]


def _local_submitter(folder: Path, parallel: int):
    """Submit local jobs, at most ``parallel`` running; yield each outcome as it ends."""
    executor = submitit.LocalExecutor(folder=folder)
    executor.update_parameters(timeout_min=_LOCAL_TIMEOUT_MIN)

    def submit(calls: list[tuple]):
        waiting, running = list(calls), {}
        while waiting or running:
            while waiting and len(running) < parallel:
                call = waiting.pop(0)
                running[executor.submit(*call)] = call
            yield from _finished_outcomes(running)
    return submit


def _slurm_submitter(folder: Path, parallel: int, parameters: dict[str, Any]):
    """Submit one SLURM job array (``parallel`` tasks at once); yield each outcome as it ends."""
    executor = submitit.SlurmExecutor(folder=folder)
    executor.update_parameters(array_parallelism=parallel, job_name="chronoscore-sweep", **parameters)

    def submit(calls: list[tuple]):
        function = calls[0][0]
        columns = list(zip(*(call[1:] for call in calls)))
        running = dict(zip(executor.map_array(function, *columns), calls))
        while running:
            yield from _finished_outcomes(running)
    return submit


def _finished_outcomes(running: dict):
    """Remove the finished jobs from ``running`` (job -> call) and yield their outcomes; wait a poll if none were."""
    finished = [job for job in running if job.done()]
    for job in finished:
        yield _outcome(job, running.pop(job))
    if not finished:
        time.sleep(_POLL_SECONDS)


def _outcome(job: submitit.Job, call: tuple) -> dict[str, Any]:
    """The job's result; a job whose process died (killed, out of memory) is recorded as a failed cell."""
    _, cell, digest, sweep, *_ = call
    try:
        return job.result()
    except Exception as error:  # submitit raises its own errors for jobs that ended without a result
        message = f"the job of cell {cell.name} ended without a result ({type(error).__name__}: " \
                  f"{str(error).splitlines()[0] if str(error) else ''}); its log: {job.paths.stderr}"
        record_failure(Path(sweep), cell.name, digest, message)
        return {"cell": cell.name, "state": "failed", "seconds": float("nan"), "error": message}
