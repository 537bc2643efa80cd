"""Sweeps: scoring grids of models × benchmarks × metrics × time modes × settings, one ``score`` run per cell.

* :mod:`~chronoscore.analyses.sweeps.grid` reads a sweep file and expands its grid into cells;
* :mod:`~chronoscore.analyses.sweeps.provenance` hashes what a cell's results depend on;
* :mod:`~chronoscore.analyses.sweeps.cell_run` runs one cell atomically under its lock;
* :mod:`~chronoscore.analyses.sweeps.executors` runs cells on submitit (local processes or SLURM arrays);
* :mod:`~chronoscore.analyses.sweeps.driver` runs a sweep, skipping finished cells;
* :mod:`~chronoscore.analyses.sweeps.status` tells done, running, failed and pending cells apart.
"""

from chronoscore._lazy import lazy_exports

_EXPORTS = {
    "Cell": "chronoscore.analyses.sweeps.grid",
    "load_sweep": "chronoscore.analyses.sweeps.grid",
    "expand_grid": "chronoscore.analyses.sweeps.grid",
    "provenance_hash": "chronoscore.analyses.sweeps.provenance",
    "run_cell": "chronoscore.analyses.sweeps.cell_run",
    "local_parallelism": "chronoscore.analyses.sweeps.executors",
    "run_cells": "chronoscore.analyses.sweeps.executors",
    "run_sweep": "chronoscore.analyses.sweeps.driver",
    "sweep_status": "chronoscore.analyses.sweeps.status",
    "status_table": "chronoscore.analyses.sweeps.status",
}
"""Public name -> the module defining it (imported when the name is first used)."""

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)
