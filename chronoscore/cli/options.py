"""Options that several commands share, defined without importing the numerics (so ``--help`` starts fast)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from chronoscore.errors import ConfigError

if TYPE_CHECKING:
    from chronoscore.neural_fit.settings import FitSettings

__all__ = ["add_cache_options", "cache_option", "add_time_mapping_option", "with_region_mappings"]


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
