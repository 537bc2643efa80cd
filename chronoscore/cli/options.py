"""Options that several commands share, defined without importing the numerics (so ``--help`` starts fast).

The fit settings' options (:func:`add_fit_options`) are the same on ``fit`` and
``score``. Two seeds have two names wherever they appear: ``--split-seed`` (the
cross-validation splits) and ``--init-seed`` (a model's random initialisation
when no weights are given). The old ``--seed`` still works where it means one of
them only (``fit``: the splits; ``extract``: the initialisation) and is refused,
saying which to give, on ``score``, which has both.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from chronoscore.errors import ConfigError

if TYPE_CHECKING:
    from chronoscore.neural_fit.settings import FitSettings

__all__ = ["add_cache_options", "cache_option", "add_fit_options", "fit_settings", "add_init_seed_option",
           "add_seed_alias", "refuse_ambiguous_seed", "add_time_mapping_option", "with_region_mappings",
           "add_figure_options", "figure_options"]


def add_cache_options(parser: argparse.ArgumentParser) -> None:
    """``--cache-dir DIR`` and ``--no-cache`` (the activation cache)."""
    parser.add_argument("--cache-dir", type=Path, metavar="DIR",
                        help="activation cache folder (default: chronoscore's cache)")
    parser.add_argument("--no-cache", action="store_true", help="neither read nor write the activation cache")


def cache_option(args: argparse.Namespace) -> bool | Path:
    """``extract``'s ``cache`` from ``--no-cache`` (False) and ``--cache-dir DIR`` (DIR; default True)."""
    if args.no_cache and args.cache_dir is not None:
        raise ConfigError("--no-cache and --cache-dir contradict each other; give one of them.")
    return False if args.no_cache else (args.cache_dir if args.cache_dir is not None else True)


def add_fit_options(parser: argparse.ArgumentParser) -> None:
    """The fit settings' options (all but ``--time``, whose form differs between ``fit`` and ``score``).

    Unset, each keeps the value of the settings the command starts from
    (:class:`~chronoscore.neural_fit.FitSettings`' defaults, or a benchmark's).
    """
    from chronoscore.neural_fit.metrics import list_metrics  # names only: no metric is loaded

    parser.add_argument("--metric", "--regression", dest="metric", choices=list_metrics(),
                        help="metric (default: the benchmark's, else pls, Brain-Score's); --regression is its "
                             "old name")
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
    parser.add_argument("--split-seed", type=int, metavar="N", help="random state of the splits (default 1)")
    parser.add_argument("--device", help="torch device for the regressions, e.g. cuda")
    parser.add_argument("--config", type=Path, help="YAML file of fit settings")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a fit setting, e.g. --set metric_options.n_components=10 or --set mapping.kind=best "
                             "(repeatable)")


def fit_settings(args: argparse.Namespace, defaults: FitSettings | None = None, **values) -> FitSettings:
    """The settings of :func:`add_fit_options`' arguments.

    Parameters
    ----------
    args : argparse.Namespace
    defaults : FitSettings, optional
        The settings to start from (e.g. a benchmark's); FitSettings' defaults if None.
    **values
        Further named settings (None: unset).

    Returns
    -------
    FitSettings
        ``defaults``, then the ``--config`` file, then the named options, then the
        ``--set`` overrides, then the ``--time-mapping`` regions. A ``--metric``
        other than the defaults' starts from that metric's own options (the
        defaults' ``metric_options`` belong to their metric).
    """
    import dataclasses

    from chronoscore.config import load_config
    from chronoscore.neural_fit.settings import FitSettings

    if defaults is not None and args.metric is not None and args.metric != defaults.metric:
        defaults = dataclasses.replace(defaults, metric=args.metric, metric_options={})
    nested = {"mapping.kind": args.mapping, "mapping.latency_ms": args.latency_ms, "mapping.step_ms": args.step_ms,
              "metric_options.n_components": args.n_components}
    overrides = [f"{key}={value}" for key, value in nested.items() if value is not None]
    if args.no_stratify:
        overrides.append("stratify=null")
    settings = load_config(
        FitSettings if defaults is None else type(defaults), args.config, overrides=overrides + list(args.overrides),
        defaults=defaults, metric=args.metric, n_splits=args.n_splits,
        splits="kfold" if args.kfold else None, random_state=args.split_seed, device=args.device, **values)
    return with_region_mappings(settings, args.time_mappings)


def add_init_seed_option(parser: argparse.ArgumentParser) -> None:
    """``--init-seed N``: the model's random initialisation when no weights are given."""
    parser.add_argument("--init-seed", type=int, default=0, metavar="N",
                        help="seed of the model's random initialisation when no weights are given (default 0)")


def add_seed_alias(parser: argparse.ArgumentParser, dest: str) -> None:
    """The old ``--seed``, kept (unlisted) on a command where it means one seed only: the one at ``dest``."""
    parser.add_argument("--seed", dest=dest, type=int, default=argparse.SUPPRESS, help=argparse.SUPPRESS)


class _AmbiguousSeed(argparse.Action):
    def __call__(self, parser, namespace, values, option_string=None) -> None:
        parser.error("--seed is ambiguous here; give --init-seed N (the model's initialisation when no weights are "
                     "given: what --seed meant on score before) or --split-seed N (the cross-validation splits).")


def refuse_ambiguous_seed(parser: argparse.ArgumentParser) -> None:
    """``--seed`` on a command with both seeds: refused, naming ``--init-seed`` and ``--split-seed``."""
    parser.add_argument("--seed", action=_AmbiguousSeed, help=argparse.SUPPRESS)


def add_time_mapping_option(parser: argparse.ArgumentParser) -> None:
    """``--time-mapping REGION=START,DURATION,STEPS`` (repeatable): Brain-Score's CORnet form for one region."""
    parser.add_argument("--time-mapping", dest="time_mappings", action="append", default=[],
                        metavar="REGION=START,DURATION,STEPS",
                        help="the region's model step k stands for START + k*DURATION ms, for STEPS steps; each "
                             "bin takes the step starting nearest to it (Brain-Score's CORnet mapping), e.g. "
                             "--time-mapping V4=90,50,4 --time-mapping IT=100,100,2 (repeatable)")


def with_region_mappings(settings: FitSettings, values: list[str]) -> FitSettings:
    """``settings`` with the ``--time-mapping`` values added to its region mappings."""
    import dataclasses

    from chronoscore.neural_fit.time_mapping import TimeMapping

    if not values:
        return settings
    given = dict(TimeMapping.parse_region(value) for value in values)
    return dataclasses.replace(settings, region_mappings={**settings.region_mappings, **given})


def add_figure_options(parser: argparse.ArgumentParser) -> None:
    """The options of figures that ``figures`` and ``report`` hand to the figures naming them."""
    parser.add_argument("--top-models", type=int, metavar="K",
                        help="models per region in top_models_timecourse, from the sweep leaderboard's first "
                             "(default 5)")


def figure_options(args: argparse.Namespace) -> dict:
    """The figures' keyword options the command line set (``top`` from ``--top-models``).

    Raises
    ------
    ConfigError
        If ``--top-models`` is below 1.
    """
    if args.top_models is None:
        return {}
    if args.top_models < 1:
        raise ConfigError(f"--top-models must be 1 or more, got {args.top_models}.")
    return {"top": args.top_models}
