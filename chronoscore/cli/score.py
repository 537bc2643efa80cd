"""``chronoscore score MODEL --benchmark NAME_OR_PATH --out DIR``: score a model per region and time bin.

MODEL is a registered model name (optionally with ``--weights FILE``), a
training run's output folder (``chronoscore train ... --out DIR``: its recipe's
model with its best checkpoint), or ``path/to/file.py:function`` returning an
``nn.Module``, wrapped with ``--areas name=submodule,...``. Activations are
cached (``--cache-dir``, ``--no-cache``). The benchmark is a registered data set
(``chronoscore data list``; ``simulated``, the embedded default, unless named; a
local data set's files in ``--data-folder``), or a folder with ``assembly.nc``
and a stimulus set. The fit settings start from the benchmark's; ``--config
FILE.yaml``, the named fit options (every option of ``chronoscore fit``) and
``--set key=value`` change them, in that order.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from chronoscore.cli.options import (
    add_cache_options,
    add_fit_options,
    add_init_seed_option,
    cache_option,
    fit_settings,
    refuse_ambiguous_seed,
)

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``score`` and its options."""
    parser = subparsers.add_parser("score", help="score a model against V4/IT per time bin",
                                   description=__doc__.split("\n\n")[0])
    parser.add_argument("model", help="registered model name, training run folder, or path/to/file.py:function")
    parser.add_argument("--benchmark", default="simulated",
                        help="a data set's name (chronoscore data list: simulated, majajhong2015 or a Brain-Score "
                             "MajajHong2015 assembly name, cowley2023_v4, nwb, folder, ...), or a folder with "
                             "assembly.nc and its stimulus set (default: simulated)")
    parser.add_argument("--out", required=True, type=Path, help="results folder")
    parser.add_argument("--weights", type=Path, help="state dict to load into the model")
    parser.add_argument("--checkpoint", default="best", metavar="best|last|STEP",
                        help="a training run's checkpoint to score: its best (default), its last, or a saved step")
    parser.add_argument("--image-size", type=int, help="model input size in pixels")
    parser.add_argument("--steps", type=int, metavar="N",
                        help="time steps to run (default: the model's; for a wrapped module, counted in one pass)")
    add_init_seed_option(parser)
    refuse_ambiguous_seed(parser)
    parser.add_argument("--model-arg", dest="model_args", action="append", default=[], metavar="KEY=VALUE",
                        help="constructor argument of the model, e.g. --model-arg width=0.25 (repeatable)")
    parser.add_argument("--areas", help="region=area,... to assign areas (registered models), or "
                                        "name=submodule,... to wrap a module from a file")
    parser.add_argument("--select-areas", action="store_true",
                        help="choose each region's area on held-out selection stimuli instead of by area names")
    parser.add_argument("--time", nargs="+", default=["per_bin", "shared", "matrix"],
                        choices=["per_bin", "shared", "matrix"], help="time handling(s) to score")
    parser.add_argument("--data-folder", type=Path,
                        help="the data set's local folder (cowley2023_v4, nwb, folder; Brain-Score's files for "
                             "MajajHong2015)")
    parser.add_argument("--align-time-bins", action="store_true",
                        help="re-bin a benchmark folder's overlapping (sliding-window) time bins into contiguous "
                             "10 ms bins as Brain-Score does (MajajHong2015's temporal files always are)")
    parser.add_argument("--projection", type=int, metavar="D", help="random projection to at most D features per area")
    add_fit_options(parser)
    add_cache_options(parser)
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Load the model and the benchmark, score, write and print the summary."""
    from chronoscore.analyses.datasets import load_benchmark
    from chronoscore.analyses.model_source import load_model, parse_areas
    from chronoscore.analyses.run_folder import read_summary
    from chronoscore.analyses.score import score_model, write_results
    from chronoscore.config import parse_override

    benchmark = load_benchmark(args.benchmark, folder=args.data_folder,
                               overlapping_bins="align_10ms" if args.align_time_bins else "refuse")
    _, pairs = parse_areas([args.areas] if args.areas else None)
    wrapping = args.model.partition(":")[0].endswith(".py")
    model_args = dict(parse_override(item) for item in args.model_args)
    model, name = load_model(args.model, weights=args.weights, wrap_areas=pairs if wrapping else None,
                             wrap_steps=args.steps,
                             model_args=model_args, image_size=args.image_size, seed=args.init_seed,
                             checkpoint=args.checkpoint)
    areas = "select" if args.select_areas else (pairs if pairs and not wrapping else "named")
    settings = fit_settings(args, defaults=benchmark.settings)
    projection = ("random", args.projection) if args.projection else None
    result = score_model(model, benchmark, model_name=name, areas=areas, settings=settings,
                         time_modes=args.time, projection=projection, n_steps=args.steps, cache=cache_option(args),
                         progress=not args.quiet)
    folder = write_results(result, args.out)
    print(read_summary(folder))
    print(f"results written to {folder}")
    return 0
