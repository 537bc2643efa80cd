"""``chronoscore train``: train a model as a recipe says.

Examples::

    chronoscore train convrnn_rgc_objects.yaml --out runs/rgc
    chronoscore train my_recipe.yaml --set optimiser.lr=0.01 --set steps=2000 --out runs/try
    chronoscore train my_recipe.yaml --out runs/try --resume        # continue after a stop
    torchrun --nproc_per_node=4 -m chronoscore train my_recipe.yaml --out runs/big

RECIPE is a YAML file or the name of a shipped recipe (``convrnn_rgc_objects``,
``ff_shallow_objects``, ``imagefolder``, ``hgru_pathfinder``,
``ff_large_kernels_pathfinder``). The run writes ``recipe.yaml``,
``metrics.csv``, ``checkpoints/`` and ``summary.json`` into ``--out``.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``train`` and its options on the command line."""
    parser = subparsers.add_parser("train", help="train a model from a recipe (YAML), on one or many devices",
                                   description=__doc__.split("\n\n")[0])
    parser.add_argument("recipe", metavar="RECIPE", help="recipe YAML file or shipped recipe name")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a recipe setting, e.g. --set optimiser.lr=0.01 (repeatable)")
    parser.add_argument("--out", type=Path, help="output folder (default: results/<recipe name>)")
    parser.add_argument("--resume", action="store_true", help="continue from the newest checkpoint in --out")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Check the recipe, train, and print where the results are (rank 0 only under torchrun)."""
    from chronoscore.analyses.training_data import train
    from chronoscore.models.training.recipe import load_recipe

    recipe = load_recipe(args.recipe, args.overrides)
    out = args.out if args.out is not None else Path("results") / Path(args.recipe).name.removesuffix(".yaml")
    summary = train(recipe, out, resume=args.resume, progress=not args.quiet)
    if os.environ.get("RANK", "0") == "0":
        print(_report(summary, out))
    return 0


def _report(summary: dict, out: Path) -> str:
    lines = [(f"trained {summary['model']} for {summary['steps']} steps ({summary['epochs']:.2f} epochs) on "
              f"{summary['world_size']} x {summary['device']} ({summary['precision']})")]
    for phase in ("train", "val"):
        if summary[phase]:
            lines.append(f"  {phase:<5} loss {summary[phase]['loss']:.4f}  accuracy {summary[phase]['accuracy']:.2%}")
    if summary["best_checkpoint"]:
        best = summary["best_checkpoint"]
        lines.append(f"  best  {best['metric']} {best['value']:.4f} at step {best['step']}")
    lines.append(f"results in {out} (summary.json, metrics.csv, checkpoints/)")
    return "\n".join(lines)
