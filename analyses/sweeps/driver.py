"""A whole sweep: write its plan, skip the cells already done with the same provenance, run the rest."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chronoscore.analyses.sweeps.cell_run import CellRunner, cell_is_done
from chronoscore.analyses.sweeps.executors import ExecutorName, run_cells
from chronoscore.analyses.sweeps.grid import Cell
from chronoscore.analyses.sweeps.provenance import hashes
from chronoscore.analyses.sweeps.status import write_plan

__all__ = ["SweepOutcome", "run_sweep"]


@dataclass(frozen=True)
class SweepOutcome:
    """What a sweep run did.

    Attributes
    ----------
    skipped : list of str
        Cells already done with the same provenance (not submitted).
    outcomes : list of dict
        The last outcome of each submitted cell (``cell``, ``state``, ``seconds``, ``error``).
    """

    skipped: list[str]
    outcomes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def failed(self) -> list[dict[str, Any]]:
        """The outcomes of the cells that failed every attempt."""
        return [outcome for outcome in self.outcomes if outcome["state"] == "failed"]


def run_sweep(cells: Sequence[Cell], sweep: str | os.PathLike, runner: CellRunner, *,
              executor: ExecutorName = "local", parallel: int = 1, threads: int | None = None, retries: int = 2,
              slurm: Mapping[str, Any] | None = None,
              report: Callable[[dict[str, Any]], None] = lambda outcome: None) -> SweepOutcome:
    """Score every cell of ``cells`` into ``sweep`` that is not done yet (see :func:`~.executors.run_cells`).

    Running it again after an interruption (even a SIGKILL of everything) runs
    exactly the cells that are not done; done cells stay as they are.
    """
    sweep = Path(sweep)
    digests = hashes(cells)
    write_plan(sweep, list(cells), digests)
    skipped = [cell.name for cell in cells if cell_is_done(sweep, cell.name, digests[cell.name])]
    todo = [cell for cell in cells if cell.name not in skipped]
    if not todo:
        return SweepOutcome(skipped)
    outcomes = run_cells(todo, digests, sweep, runner, executor=executor, parallel=parallel, threads=threads,
                         retries=retries, slurm=slurm, report=report)
    return SweepOutcome(skipped, outcomes)
