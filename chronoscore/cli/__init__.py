"""The ``chronoscore`` command: a dispatcher over subcommands, one module per command.

Each subcommand lives in its own module of this package that provides
``add_parser(subparsers)`` (which registers its arguments and sets ``func``),
listed in :data:`COMMANDS` by name. Only the module of the command being run is
imported, and a command module imports the numerics (torch, numpy, xarray, ...)
only inside the function that runs it, so ``chronoscore --help``, a command's
``--help`` and a mistyped option are answered by argparse alone.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import import_module
from typing import NoReturn

import chronoscore
from chronoscore.errors import ChronoscoreError

__all__ = ["COMMANDS", "ERROR_PREFIX", "CommandParser", "main", "build_parser", "report_error"]

ERROR_PREFIX = "chronoscore: error: "
"""How every error a user can cause starts, whichever command meets it."""

COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("chronoscore.cli.demo", "run the demo on the embedded default (offline)"),
    "fit": ("chronoscore.cli.fit",
            "regress model features onto a neural assembly (per time bin, with ceilings)"),
    "models": ("chronoscore.cli.models", "list the registered models (with --params, their sizes)"),
    "stimuli": ("chronoscore.cli.stimuli", "generate a stimulus set and write it in Brain-Score's format"),
    "data": ("chronoscore.cli.data",
             "build the embedded simulated V4/IT benchmark, or convert NWB recordings into a benchmark folder"),
    "extract": ("chronoscore.cli.extract",
                "extract a model's activations at every time step for a stimulus set"),
    "score": ("chronoscore.cli.score", "score a model against V4/IT per time bin"),
    "sweep": ("chronoscore.cli.sweep",
              "score a grid of models x benchmarks x metrics x settings on submitit (local or SLURM)"),
    "compare": ("chronoscore.cli.compare",
                "compare scored models per region and time bin (paired BCa bootstrap, signed-rank test with corrected p-values)"),
    "train": ("chronoscore.cli.train", "train a model from a recipe (YAML), on one or many devices"),
    "claims": ("chronoscore.cli.claims", "reproduce claims of the hGRU, ConvRNN and RSM papers"),
    "figures": ("chronoscore.cli.figures", "draw every figure a results folder has the inputs for"),
    "report": ("chronoscore.cli.report", "write one self-contained HTML page of a results folder"),
}
"""Command name -> (module providing ``add_parser``, one-line help for the command list)."""


def report_error(message: object) -> int:
    """Print ``message`` as one line after :data:`ERROR_PREFIX` on stderr; return the exit code 2."""
    print(f"{ERROR_PREFIX}{message}", file=sys.stderr)
    return 2


class CommandParser(argparse.ArgumentParser):
    """argparse's parser, whose errors (unknown option, bad value, ...) go through :func:`report_error`."""

    def error(self, message: str) -> NoReturn:
        """Print the usage and the error, and exit with code 2."""
        self.print_usage(sys.stderr)
        raise SystemExit(report_error(f"{self.prog.removeprefix('chronoscore ')}: {message}"
                                      if self.prog != "chronoscore" else message))


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """Return the top-level parser, with ``command``'s full arguments (every command's, if None).

    Parameters
    ----------
    command : str, optional
        The command about to run: only its module is imported; the others are
        listed by name and help.
    """
    parser = CommandParser(
        prog="chronoscore",
        description="Score recurrent vision models against primate V4/IT neural time courses.",
    )
    parser.add_argument("--version", action="version", version=f"chronoscore {chronoscore.__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        if command is None or name == command:
            import_module(module).add_parser(subparsers)
        else:
            subparsers.add_parser(name, help=help_text)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit code.

    Errors a user can cause, in the arguments or met while running, are printed
    as one line (``chronoscore: error: ...``, :func:`report_error`) with exit code
    2 instead of a traceback.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((word for word in argv if not word.startswith("-")), None)
    parser = build_parser(command if command in COMMANDS else "")
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except ChronoscoreError as error:
        return report_error(error)
