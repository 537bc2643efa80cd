"""``chronoscore report``: one self-contained HTML page of a results folder (figures and tables).

Example::

    chronoscore report results/demo                  # writes results/demo/report.html
    chronoscore report results/ --out paper/report.html --include data/benchmark

The page embeds every figure ``chronoscore figures`` would draw (as base64
PNG) and the tables of the folder's summaries, comparisons, training runs and
result tables (see :mod:`chronoscore.figures.report`); it needs no other file.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from chronoscore.cli.options import add_figure_options, figure_options

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``report`` and its options on the command line."""
    parser = subparsers.add_parser("report", help="write one self-contained HTML page of a results folder",
                                   description=__doc__.split("\n\n")[0])
    parser.add_argument("results_dir", type=Path, metavar="RESULTS_DIR", help="folder of saved results")
    parser.add_argument("--out", type=Path, help="the HTML file (default RESULTS_DIR/report.html)")
    parser.add_argument("--include", type=Path, action="append", default=[], metavar="PATH",
                        help="another folder to search for inputs, e.g. a benchmark folder (repeatable)")
    parser.add_argument("--title", help="page title (default: after the folder's name)")
    add_figure_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Write the page and print what it shows."""
    from chronoscore.figures.report import write_report

    report = write_report(args.results_dir, args.out, include=args.include, title=args.title,
                          figure_options=figure_options(args))
    for item in report.skipped:
        print(f"not drawn {item.name}: {item.reason}")
    print(f"report with {len(report.figures)} figure(s) written to {report.path}")
    return 0
