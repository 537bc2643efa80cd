"""``chronoscore sweep SWEEP.yaml --out DIR``: score a grid of models × benchmarks × metrics × time modes × settings.

Each cell of the grid is one ``chronoscore score`` run in its own folder
``DIR/<cell>``, run by submitit: in parallel local processes (``--executor
local``, the default; at most ``--max-parallel`` at once and as many as
``--memory-gb`` holds at ``--cell-memory-gb`` each) or as a SLURM job array
(``--executor slurm``, ``--slurm-*`` options; ``--max-parallel`` throttles the
array). A cell whose folder holds results of the same provenance (arguments,
input files, version) is skipped, so running the same command again resumes an
interrupted sweep; a failed cell is tried ``--retries`` more times. ``chronoscore
sweep status DIR`` shows each cell as done, running, failed or pending; ``DIR/leaderboard.md``
ranks the finished cells per region (``chronoscore report DIR`` shows it). See
:mod:`chronoscore.analyses.sweeps.grid` for the sweep file.
"""

from __future__ import annotations

import argparse
import contextlib
import io
from collections.abc import Sequence
from pathlib import Path

from chronoscore.errors import ConfigError

__all__ = ["add_parser", "run", "score_cell"]

STATUS = "status"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``sweep`` (and ``sweep status DIR``) and its options."""
    parser = subparsers.add_parser(
        "sweep", help="score a grid of models x benchmarks x metrics x settings on submitit (local or SLURM)",
        description=__doc__.split("\n\n")[0])
    parser.add_argument("sweep_file", metavar="SWEEP.yaml|status",
                        help="the sweep file (models, benchmarks, metrics, time, settings), or 'status'")
    parser.add_argument("status_folder", nargs="?", type=Path, metavar="DIR",
                        help="with 'status': the sweep folder whose cells to show")
    parser.add_argument("--out", type=Path, help="the sweep folder (one folder per cell)")
    parser.add_argument("--executor", choices=("local", "slurm"), default="local",
                        help="local processes (default) or a SLURM job array, both through submitit")
    parser.add_argument("--max-parallel", type=int, metavar="N",
                        help="cells running at once (default: the cores, locally; all of them on SLURM)")
    parser.add_argument("--memory-gb", type=float, metavar="GB",
                        help="memory budget of the local cells together (default: unbounded)")
    parser.add_argument("--cell-memory-gb", type=float, default=2.0, metavar="GB",
                        help="memory one cell needs, for --memory-gb (default 2)")
    parser.add_argument("--retries", type=int, default=2, metavar="N",
                        help="times a failed cell is tried again (default 2)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a fit setting in every cell, e.g. --set n_splits=2 (repeatable)")
    parser.add_argument("--dry-run", action="store_true", help="list the cells and their state; run nothing")
    slurm = parser.add_argument_group("SLURM (with --executor slurm)")
    slurm.add_argument("--slurm-partition", metavar="P", help="partition to submit to")
    slurm.add_argument("--slurm-time", type=int, default=60, metavar="MIN", help="time limit of a cell (default 60)")
    slurm.add_argument("--slurm-gpus-per-task", type=int, metavar="N", help="GPUs of a cell")
    slurm.add_argument("--slurm-cpus-per-task", type=int, metavar="N", help="CPU cores of a cell")
    slurm.add_argument("--slurm-mem-gb", type=float, metavar="GB", help="memory of a cell")
    slurm.add_argument("--slurm-account", metavar="A", help="account to charge")
    slurm.add_argument("--slurm-qos", metavar="Q", help="quality of service")
    slurm.add_argument("--slurm-setup", action="append", default=[], metavar="COMMAND",
                       help="shell line run before a cell, e.g. 'module load cuda' (repeatable)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Show a sweep's status, or run the sweep; exit code 1 if cells failed every attempt."""
    if args.sweep_file == STATUS:
        return _show_status(args.status_folder)
    if args.status_folder is not None:
        raise ConfigError(f"one sweep file at a time: got {args.sweep_file} and {args.status_folder} (for the "
                          "state of a sweep: chronoscore sweep status DIR).")
    if args.out is None:
        raise ConfigError("give the sweep folder: chronoscore sweep SWEEP.yaml --out DIR.")
    from chronoscore.analyses.sweeps.driver import run_sweep
    from chronoscore.analyses.sweeps.executors import local_parallelism
    from chronoscore.analyses.sweeps.grid import load_sweep
    from chronoscore.analyses.sweeps.leaderboard import write_leaderboard
    from chronoscore.analyses.sweeps.status import status_table, sweep_status, write_plan
    from chronoscore.analyses.sweeps.provenance import hashes

    cells = load_sweep(args.sweep_file, overrides=args.overrides)
    for cell in cells:
        check_score_arguments(cell.name, cell.argv)
    if args.dry_run:
        write_plan(args.out, cells, hashes(cells))
        print(status_table(sweep_status(args.out)))
        return 0
    if args.executor == "local":
        plan = local_parallelism(args.max_parallel, args.memory_gb, args.cell_memory_gb)
        parallel, threads, slurm = plan.parallel, plan.threads, None
    else:
        parallel, threads, slurm = args.max_parallel or len(cells), None, _slurm_parameters(args)
    print(f"{len(cells)} cell(s) in {args.out}; {args.executor} executor, {parallel} at a time")
    outcome = run_sweep(cells, args.out, score_cell, executor=args.executor, parallel=parallel, threads=threads,
                        retries=args.retries, slurm=slurm, report=_print_outcome)
    if outcome.skipped:
        print(f"{len(outcome.skipped)} cell(s) already done with the same provenance: skipped")
    print(f"leaderboard written to {write_leaderboard(args.out)}")
    print(status_table(sweep_status(args.out)).splitlines()[-1])
    for failed in outcome.failed:
        print(f"failed {failed['cell']}: {failed['error']}")
    return 1 if outcome.failed else 0


def score_cell(argv: Sequence[str], folder: Path) -> None:
    """Run ``chronoscore score ARGV --out FOLDER`` in this process (what each cell's job does)."""
    from chronoscore.cli import build_parser

    args = build_parser("score").parse_args(["score", *argv, "--out", str(folder)])
    args.func(args)


def check_score_arguments(name: str, argv: Sequence[str]) -> None:
    """Parse a cell's ``score`` arguments before anything runs; ConfigError naming the cell if they are wrong."""
    from chronoscore.cli import build_parser

    errors = io.StringIO()
    try:
        with contextlib.redirect_stderr(errors):
            build_parser("score").parse_args(["score", *argv, "--out", "cell"])
    except SystemExit:
        message = errors.getvalue().strip().splitlines()[-1] if errors.getvalue().strip() else "invalid arguments"
        raise ConfigError(f"cell {name}: chronoscore score refuses its arguments ({message}); fix the sweep "
                          "file.") from None


def _slurm_parameters(args: argparse.Namespace) -> dict:
    """submitit ``SlurmExecutor`` parameters from the ``--slurm-*`` options."""
    given = {"partition": args.slurm_partition, "time": args.slurm_time, "gpus_per_task": args.slurm_gpus_per_task,
             "cpus_per_task": args.slurm_cpus_per_task, "account": args.slurm_account, "qos": args.slurm_qos,
             "setup": args.slurm_setup or None,
             "mem": f"{int(args.slurm_mem_gb * 1024)}MB" if args.slurm_mem_gb else None}
    return {key: value for key, value in given.items() if value is not None}


def _print_outcome(outcome: dict) -> None:
    seconds = outcome.get("seconds", float("nan"))
    print(f"{outcome['state']:>7} {outcome['cell']} ({seconds:.1f} s)"
          + (f": {outcome['error']}" if outcome.get("error") else ""), flush=True)


def _show_status(folder: Path | None) -> int:
    from chronoscore.analyses.sweeps.status import status_table, sweep_status

    if folder is None:
        raise ConfigError("give the sweep folder: chronoscore sweep status DIR.")
    print(status_table(sweep_status(folder)))
    return 0
