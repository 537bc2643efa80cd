"""``chronoscore claims``: reproduce claims of the hGRU, ConvRNN and RSM papers.

``chronoscore claims NAME --out DIR [--scale small] [--readme README.md]`` (also
``python -m chronoscore.analyses.claims NAME ...``) trains and scores claim NAME
(or ``all`` of them, one after another), writes ``DIR/NAME.csv`` and
``DIR/NAME.md``, prints the table and, with ``--readme``, puts it between the
README's ``<!-- claim:NAME -->`` markers.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from chronoscore.analyses.claims.catalog import CLAIMS
from chronoscore.errors import ConfigError

__all__ = ["add_parser", "run"]

_ALL = "all"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``claims`` and its options as a subcommand."""
    parser = subparsers.add_parser("claims", help="reproduce claims of the hGRU, ConvRNN and RSM papers",
                                   description=__doc__.split("\n\n")[0])
    parser.add_argument("name", metavar="NAME", choices=[*CLAIMS, _ALL],
                        help=f"the claim: {', '.join(CLAIMS)}, or {_ALL}")
    parser.add_argument("--out", type=Path, required=True, help="output folder (runs found there are reused)")
    parser.add_argument("--scale", choices=("tiny", "small", "release"), default="small",
                        help="tiny: seconds (tests); small: the README numbers (default); release: the authors' "
                             "full training length on a GPU (rsm_reber only)")
    parser.add_argument("--seeds", type=int, nargs="+", default=None, help="training seeds (default: the scale's)")
    parser.add_argument("--readme", type=Path, default=None,
                        help="replace the table between <!-- claim:NAME --> markers in this file")
    parser.add_argument("--threads", type=int, default=1,
                        help="CPU threads of torch (default 1: fastest for these small models on a busy machine)")
    parser.add_argument("--progress", action="store_true", help="show the trainer's progress bars")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the claims the arguments name, print their tables and update the README."""
    import torch

    from chronoscore.analyses.claims.pipeline import run_claim
    from chronoscore.analyses.claims.tables import check_claim_markers, replace_claim_table

    if args.threads < 1:
        raise ConfigError(f"--threads must be at least 1, got {args.threads}.")
    names = list(CLAIMS) if args.name == _ALL else [args.name]
    if args.readme is not None:  # refuse a README without markers before hours of training
        for name in names:
            check_claim_markers(args.readme, name)
    torch.set_num_threads(args.threads)
    for name in names:
        run_claim(name, args.out, scale=args.scale, seeds=args.seeds, progress=args.progress)
        table = (args.out / f"{name}.md").read_text()
        print(f"## {name}\n\n{table}")
        if args.readme is not None:
            replace_claim_table(args.readme, name, table)
    return 0
