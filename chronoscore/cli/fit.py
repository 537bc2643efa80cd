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

from chronoscore.cli.options import add_fit_options, add_seed_alias, fit_settings

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``fit`` and its options on the command line."""
    parser = subparsers.add_parser(
        "fit", help="regress model features onto a neural assembly (per time bin, with ceilings)",
        description=__doc__.split("\n\n")[0])
    parser.add_argument("--features", required=True, type=Path, help="model activations (netCDF)")
    parser.add_argument("--neural", required=True, type=Path, help="neural assembly (brainio netCDF)")
    parser.add_argument("--out", required=True, type=Path, help="where to write the scores (netCDF)")
    parser.add_argument("--time", choices=["per_bin", "shared", "matrix"], help="time handling (default per_bin)")
    add_fit_options(parser)
    add_seed_alias(parser, "split_seed")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Load both files, fit, print the table and write the scores and their settings."""
    import yaml

    from chronoscore.config import config_to_dict
    from chronoscore.neural_fit.netcdf_io import read_assembly
    from chronoscore.neural_fit.results_io import read_features, write_scores
    from chronoscore.neural_fit.scoring import neural_predictivity
    from chronoscore.neural_fit.summary import score_table

    settings = fit_settings(args, time=args.time)
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
