"""``chronoscore fit``: score model features against a neural assembly from files.

Example::

    chronoscore fit --features model.nc --neural neural.nc --time per_bin --out scores.nc

FEATURES.nc holds model activations (presentation × neuroid, optionally ×
time_step, with ``stimulus_id``), NEURAL.nc a neural assembly in brainio's
netCDF format (raw trials give noise ceilings too). The model steps' times are
the features' ``time_ms`` (written by ``chronoscore extract``). The settings are
:class:`~chronoscore.neural_fit.FitSettings`; they can come from ``--config
FILE.yaml`` and ``--set key=value`` as well as the named options, and are saved
beside the scores as ``SCORES.settings.yaml``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from chronoscore.analyses.command_options import add_time_mapping_option, with_region_mappings

if TYPE_CHECKING:
    from chronoscore.neural_fit.settings import FitSettings

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``fit`` and its options on the command line."""
    from chronoscore.neural_fit.metrics import list_metrics  # names only: no metric is loaded

    parser = subparsers.add_parser(
        "fit", help="regress model features onto a neural assembly (per time bin, with ceilings)",
        description=__doc__.split("\n\n")[0])
    parser.add_argument("--features", required=True, type=Path, help="model activations (netCDF)")
    parser.add_argument("--neural", required=True, type=Path, help="neural assembly (brainio netCDF)")
    parser.add_argument("--out", required=True, type=Path, help="where to write the scores (netCDF)")
    parser.add_argument("--metric", "--regression", dest="metric", choices=list_metrics(),
                        help="metric (default pls, Brain-Score's); --regression is its old name")
    parser.add_argument("--time", choices=["per_bin", "shared", "matrix"])
    parser.add_argument("--mapping", choices=["latency", "nearest_start", "table", "single", "best"],
                        help="model step compared with each neural bin (default: latency)")
    parser.add_argument("--latency-ms", type=float, help="time that model step 0 stands for (default 70)")
    parser.add_argument("--step-ms", type=float,
                        help="milliseconds per model step (default: the features' time_ms, else 10); an error if it "
                             "contradicts the features' time_ms")
    add_time_mapping_option(parser)
    parser.add_argument("--n-components", type=int,
                        help="PLS components (default 25); same as --set metric_options.n_components=N")
    parser.add_argument("--n-splits", type=int, help="cross-validation splits (default 10)")
    parser.add_argument("--kfold", action="store_true", help="k-fold instead of shuffle splits")
    parser.add_argument("--no-stratify", action="store_true", help="do not stratify splits by object_name")
    parser.add_argument("--seed", type=int, help="random state of the splits (default 1)")
    parser.add_argument("--device", help="torch device for the regressions, e.g. cuda")
    parser.add_argument("--config", type=Path, help="YAML file of settings")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a setting, e.g. --set mapping.kind=best (repeatable)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def settings_from_args(args: argparse.Namespace) -> FitSettings:
    """Combine the YAML file, the named options and the ``--set`` overrides (in that order)."""
    from chronoscore.config import load_config
    from chronoscore.neural_fit.settings import FitSettings

    nested = {"mapping.kind": args.mapping, "mapping.latency_ms": args.latency_ms, "mapping.step_ms": args.step_ms,
              "metric_options.n_components": args.n_components}
    overrides = [f"{key}={value}" for key, value in nested.items() if value is not None]
    if args.no_stratify:
        overrides.append("stratify=null")
    settings = load_config(
        FitSettings, args.config, overrides=overrides + list(args.overrides),
        metric=args.metric, time=args.time, n_splits=args.n_splits,
        splits="kfold" if args.kfold else None, random_state=args.seed, device=args.device)
    return with_region_mappings(settings, args.time_mappings)


def run(args: argparse.Namespace) -> int:
    """Load both files, fit, print the table and write the scores and their settings."""
    import yaml

    from chronoscore.config import config_to_dict
    from chronoscore.neural_fit.netcdf_io import read_assembly
    from chronoscore.neural_fit.results_io import read_features, write_scores
    from chronoscore.neural_fit.scoring import neural_predictivity
    from chronoscore.neural_fit.summary import score_table

    settings = settings_from_args(args)
    features = read_features(args.features)
    neural = read_assembly(args.neural, allow_nan=True)
    scores = neural_predictivity(features, neural, settings, progress=not args.quiet)
    scores.attrs["features_file"] = str(args.features)
    scores.attrs["neural_file"] = str(args.neural)
    write_scores(scores, args.out)
    settings_path = args.out.with_suffix(".settings.yaml")
    settings_path.write_text(yaml.safe_dump(config_to_dict(settings), sort_keys=True))
    print(score_table(scores))
    print(f"\nscores written to {args.out} (settings: {settings_path.name})")
    return 0
