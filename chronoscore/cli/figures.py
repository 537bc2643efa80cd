"""``chronoscore figures``: draw every figure whose inputs a results folder holds, as PNG and PDF.

Example::

    chronoscore figures results/demo --out results/demo/figures
    chronoscore figures results/ --include ~/.cache/chronoscore/benchmarks/simulated_ventral_stream_v1
    chronoscore figures --list

RESULTS_DIR is searched (with its subfolders, and any ``--include`` folder) for
scored models, step × bin scores, training runs, memory, Pathfinder and lesion
tables, stimulus sets and neural assemblies, recognised by their file names or
table headers (see :mod:`chronoscore.figures.gallery`). Each figure is saved as
``OUT/<name>.png`` and ``OUT/<name>.pdf``; what was drawn and what was skipped,
and why, is printed. ``--list`` prints every registered figure (plug-ins' included)
with the input it is drawn from and its caption, and draws nothing.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from chronoscore.cli.options import add_figure_options, figure_options
from chronoscore.errors import ConfigError

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``figures`` and its options on the command line."""
    parser = subparsers.add_parser("figures", help="draw every figure a results folder has the inputs for",
                                   description=__doc__.split("\n\n")[0])
    parser.add_argument("results_dir", type=Path, nargs="?", metavar="RESULTS_DIR", help="folder of saved results")
    parser.add_argument("--list", action="store_true",
                        help="list the registered figures, the input each is drawn from and its caption; draw nothing")
    parser.add_argument("--out", type=Path, help="folder for the PNG and PDF files (default RESULTS_DIR/figures)")
    parser.add_argument("--include", type=Path, action="append", default=[], metavar="PATH",
                        help="another folder to search for inputs, e.g. a benchmark folder (repeatable)")
    add_figure_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Draw, save and print a line per figure drawn or skipped."""
    if args.list:
        return list_registered()
    if args.results_dir is None:
        raise ConfigError("figures needs RESULTS_DIR, the folder of saved results (or --list to see the figures).")
    from chronoscore.figures.gallery import SkippedFigure, draw, find_inputs, plan_figures
    from chronoscore.figures.style import save_figure

    folders = [args.results_dir, *args.include]
    out = args.out if args.out is not None else args.results_dir / "figures"
    planned, skipped = plan_figures(find_inputs(*folders), figure_options(args))
    drawn = 0
    for figure in planned:
        result = draw(figure)
        if isinstance(result, SkippedFigure):
            skipped.append(result)
            continue
        png, pdf = save_figure(result, out / figure.name)
        print(f"drew    {figure.name}: {png} and {pdf.name}")
        drawn += 1
    for item in skipped:
        print(f"skipped {item.name}: {item.reason}")
    print(f"{drawn} figure(s) drawn into {out}, {len(skipped)} skipped")
    return 0


def list_registered() -> int:
    """Print one line per registered figure: its name, the input kind it needs and its caption."""
    from chronoscore.figures.registry import list_figures

    specs = list_figures()
    name_width, needs_width = (max(len(getattr(spec, field)) for spec in specs) for field in ("name", "needs"))
    for spec in specs:
        print(f"{spec.name:<{name_width}}  {spec.needs:<{needs_width}}  {spec.caption}")
    return 0
