"""``chronoscore models``: list the registered models, optionally with their parameter counts.

Examples::

    chronoscore models                      # every model
    chronoscore models 'convrnn_*' --params # ConvRNNs with parameters at default settings
    chronoscore models rgc                  # names containing "rgc"

PATTERN is a shell-style pattern (``*``, ``?``, ``[...]``); a pattern without any of
these matches names that contain it. Parameter counts are of each model at its
default settings, counted on PyTorch's ``meta`` device (no memory is allocated).
"""

from __future__ import annotations

import argparse

from chronoscore.errors import ChronoscoreError, ConfigError

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``models`` and its options on the command line."""
    parser = subparsers.add_parser("models", help="list the registered models (with --params, their sizes)",
                                   description=__doc__.split("\n\n")[0])
    parser.add_argument("pattern", nargs="?", default="*", metavar="PATTERN",
                        help="shell-style pattern or substring of model names (default: all)")
    parser.add_argument("--params", action="store_true", help="also print parameter counts at default settings")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print one model name per line, followed by its parameter count with ``--params``."""
    from chronoscore.models.registry import list_models

    pattern = args.pattern if any(char in args.pattern for char in "*?[") else f"*{args.pattern}*"
    names = list_models(pattern)
    if not names:
        raise ConfigError(f"no registered model matches {args.pattern!r}; `chronoscore models` lists them all.")
    if not args.params:
        print("\n".join(names))
        return 0
    column = max(len(name) for name in names)
    for name in names:
        print(f"{name:<{column}}  {_parameter_count(name):>14}")
    return 0


def _parameter_count(name: str) -> str:
    """The model's parameter count with thousands separators, or why it cannot be counted."""
    from chronoscore.models.parameter_count import count_model_parameters

    try:
        return f"{count_model_parameters(name):,}"
    except (ChronoscoreError, NotImplementedError, RuntimeError) as error:
        return f"n/a ({type(error).__name__}: {error})"
