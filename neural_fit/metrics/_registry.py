"""The metric registry: metrics by name, each a callable with one signature.

A metric module (``neural_fit/metrics/<name>.py``) decorates its scoring
function with :func:`register_metric`. The registry lists the metric modules by
file name without importing them, so the command line can offer the names
without loading the numerics; :func:`get_metric` imports a metric's module the
first time it is asked for.
"""

from __future__ import annotations

import dataclasses
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from chronoscore.config import build_config
from chronoscore.errors import ConfigError

__all__ = ["Metric", "NoOptions", "register_metric", "get_metric", "list_metrics"]

Label = str | Callable[[Any], str]
"""A metric's axis label, or a function of its options returning one."""

_PACKAGE = __name__.rpartition(".")[0]
_REGISTRY: dict[str, Metric] = {}


@dataclass(frozen=True)
class NoOptions:
    """Options of a metric that has none."""


@dataclass(frozen=True)
class Metric:
    """A registered metric.

    Attributes
    ----------
    name : str
        The name settings use (``FitSettings(metric=name)``, ``--metric name``).
    score : callable
        ``score(features, neural, settings, options, *, time_modes, splits, progress)``
        returning ``dict`` of time mode to Scores (see
        :func:`chronoscore.neural_fit.scoring.score_time_modes`).
    options : type
        Frozen dataclass of the metric's own options, every one with a default.
    summary : str
        One line describing the metric (the first line of ``score``'s docstring).
    label : str or callable
        How its scores read on an axis: the metric's name and the range or unit of
        its values (``"CKA (0–1)"``), or a function of its options returning that.
    lower_is_closer : bool
        Whether smaller values mean more similar representations (a distance).
    squared_ceiling : bool
        Whether its noise ceiling is of the squared score (r², as for the
        regressions), so the score reaches it at its square root; otherwise the
        ceiling is in the score's own units.
    """

    name: str
    score: Callable[..., dict[str, Any]]
    options: type
    summary: str
    label: Label
    lower_is_closer: bool = False
    squared_ceiling: bool = False

    def axis_label(self, options: Any = None) -> str:
        """The label of an axis of this metric's scores, for ``options`` (default: the metric's defaults)."""
        if isinstance(self.label, str):
            return self.label
        return self.label(self.options() if options is None else options)

    def parse_options(self, values: Mapping[str, Any]) -> Any:
        """The metric's options from ``values`` (names and types checked; defaults for the rest).

        Raises
        ------
        ConfigError
            For an option the metric lacks or a value of the wrong type.
        """
        if not isinstance(values, Mapping):
            raise ConfigError(f"metric_options must be a mapping of option names to values, got {values!r}.")
        known = [field.name for field in dataclasses.fields(self.options)]
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ConfigError(f"metric {self.name!r} has no option(s) {', '.join(unknown)}; its options are "
                              f"{', '.join(known) or 'none'}.")
        return build_config(self.options, values, prefix="metric_options.")


def register_metric(name: str, *, label: Label | None = None, options: type = NoOptions, lower_is_closer: bool = False,
                    squared_ceiling: bool = False) -> Callable[[Callable], Callable]:
    """Register the decorated function as metric ``name``.

    Parameters
    ----------
    name : str
        The metric's name; a shipped metric's module has the same name.
    label : str or callable, optional
        Axis label naming the metric and its range (see :class:`Metric`); default the bare name.
    options : type
        Frozen dataclass of the metric's options (each with a default).
    lower_is_closer, squared_ceiling : bool
        See :class:`Metric`.

    Raises
    ------
    ConfigError
        If ``name`` is taken or ``options`` is not a dataclass with defaults.
    """
    if not dataclasses.is_dataclass(options) or not isinstance(options, type):
        raise ConfigError(f"metric {name!r}: options must be a dataclass type, got {options!r}.")
    try:
        options()
    except TypeError as error:
        raise ConfigError(f"metric {name!r}: every option of {options.__name__} needs a default ({error}).") from None

    def register(function: Callable) -> Callable:
        if name in _REGISTRY:
            raise ConfigError(f"a metric named {name!r} is already registered (by "
                              f"{_REGISTRY[name].score.__module__}); choose another name.")
        summary = (function.__doc__ or "").strip().split("\n")[0]
        _REGISTRY[name] = Metric(name, function, options, summary, label or name, lower_is_closer, squared_ceiling)
        return function

    return register


def list_metrics() -> list[str]:
    """Names of the shipped metrics (their modules, not imported) and of any registered since, sorted."""
    shipped = {module.name for module in pkgutil.iter_modules(import_module(_PACKAGE).__path__)
               if not module.name.startswith("_")}
    return sorted(shipped | set(_REGISTRY))


def get_metric(name: str) -> Metric:
    """The metric registered as ``name``, importing its module on first use.

    Raises
    ------
    ConfigError
        If no metric has that name.
    """
    if name not in _REGISTRY and isinstance(name, str) and name in list_metrics():
        import_module(f"{_PACKAGE}.{name}")
    if name not in _REGISTRY:
        raise ConfigError(f"metric must be one of {', '.join(list_metrics())}; got {name!r}.")
    return _REGISTRY[name]
