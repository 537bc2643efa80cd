"""``chronoscore compare``: compare scored models against a reference with paired statistics.

Example::

    chronoscore compare results/convrnn results/feedforward --reference feedforward --out results/comparison

Each RESULT is a scoring run's output folder (``scores.nc`` and, optionally,
``model.json`` with the parameter count) or a Scores netCDF file; every model
must be scored on the same data with the same metric settings. The reference
is the first RESULT unless ``--reference`` names another model. The summary
is printed and written to ``OUT/comparison.md`` beside ``OUT/comparison.nc``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``compare`` and its options on the command line."""
    parser = subparsers.add_parser(
        "compare", help="compare scored models per region and time bin (paired BCa bootstrap, signed-rank test with "
                   "corrected p-values)",
        description=__doc__.split("\n\n")[0])
    parser.add_argument("results", nargs="+", type=Path, metavar="RESULT",
                        help="scoring run folder (scores.nc + model.json) or scores file; two or more")
    parser.add_argument("--out", required=True, type=Path, help="folder for comparison.nc and comparison.md")
    parser.add_argument("--reference", metavar="NAME", help="model to compare against (default: the first RESULT)")
    parser.add_argument("--n-bootstrap", type=int, default=2000, help="bootstrap resamples (default 2000)")
    parser.add_argument("--confidence", type=float, default=0.95, help="interval coverage (default 0.95)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the resamples (default 0)")
    parser.add_argument("--interval", choices=("bca", "percentile"), default="bca",
                        help="bootstrap intervals: bias-corrected and accelerated (default) or percentile")
    parser.add_argument("--correction", choices=("bh", "holm", "none"), default="bh",
                        help="correct each model's p-values over its regions and time bins: Benjamini-Hochberg "
                             "(default), Holm, or none (the raw p-values are reported too)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Compare, print the summary and write both files."""
    from chronoscore.analyses.compare import compare, write_comparison
    from chronoscore.analyses.comparison_summary import comparison_table

    comparison = compare(args.results, reference=args.reference, n_bootstrap=args.n_bootstrap, seed=args.seed,
                         confidence=args.confidence, interval=args.interval, correction=args.correction)
    netcdf, summary = write_comparison(comparison, args.out)
    print(comparison_table(comparison))
    print(f"\ncomparison written to {netcdf} (summary: {summary.name})")
    return 0
