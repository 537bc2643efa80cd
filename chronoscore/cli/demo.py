"""``chronoscore demo [--out DIR]``: score a recurrent model and its feedforward control on the embedded default."""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``demo``."""
    parser = subparsers.add_parser("demo", help="run the demo on the embedded default (offline)",
                                   description=__doc__.split("\n\n")[0].strip("`"))
    parser.add_argument("--out", type=Path, default=Path("results/demo"), help="output folder (default results/demo)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the demo, draw its figures and report, and print its summary."""
    from chronoscore.analyses.demo import run_demo
    from chronoscore.analyses.run_folder import read_summary
    from chronoscore.figures.demo_figures import draw_demo_figures

    folder = run_demo(args.out, progress=not args.quiet)
    report = draw_demo_figures(folder)
    print(read_summary(folder))
    print(f"\nresults, figures and summary written to {folder}; the report is {report.path}")
    return 0
