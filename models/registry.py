"""The model registry: ``register_model``, ``create_model``, ``list_models``.

Model families register three-line constructor functions::

    @register_model
    def convrnn_shallow_rgc(**kwargs) -> TimeResolvedModel:
        return ConvRNN(depth="shallow", cell="rgc", **kwargs)

The function's name is the model's name; every architecture knob is a keyword
argument with the paper's value as default, passed through ``create_model``.
"""

from __future__ import annotations

import difflib
import fnmatch
import typing
from collections.abc import Callable

from torch import nn

from chronoscore.errors import ConfigError

__all__ = ["register_model", "create_model", "list_models", "model_constructor", "model_input_convention"]

_CONSTRUCTORS: dict[str, Callable[..., nn.Module]] = {}


def register_model(constructor: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
    """Register ``constructor`` under its function name; returns it unchanged."""
    name = constructor.__name__
    if name in _CONSTRUCTORS and _CONSTRUCTORS[name] is not constructor:
        raise ConfigError(f"a model named {name!r} is registered twice; give the constructor another name.")
    _CONSTRUCTORS[name] = constructor
    return constructor


def model_constructor(name: str) -> Callable[..., nn.Module]:
    """The registered constructor called ``name``; unknown names raise with suggestions."""
    _load_zoo()
    if name not in _CONSTRUCTORS:
        close = difflib.get_close_matches(name, list(_CONSTRUCTORS), n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise ConfigError(f"no model named {name!r}.{hint} `chronoscore models` lists them all.")
    return _CONSTRUCTORS[name]


def create_model(name: str, **kwargs) -> nn.Module:
    """Build the registered model ``name`` with keyword arguments overriding its defaults."""
    constructor = model_constructor(name)
    try:
        return constructor(**kwargs)
    except TypeError as error:
        raise ConfigError(f"cannot build {name!r} with {sorted(kwargs)}: {error}") from error


def model_input_convention(name: str) -> str:
    """The ``input_convention`` of the class the constructor ``name`` is annotated to return."""
    returned = typing.get_type_hints(model_constructor(name)).get("return")
    return getattr(returned, "input_convention", "imagenet")


def list_models(pattern: str = "*") -> list[str]:
    """Sorted names of registered models matching the shell-style ``pattern``."""
    _load_zoo()
    return sorted(name for name in _CONSTRUCTORS if fnmatch.fnmatchcase(name, pattern))


def _load_zoo() -> None:
    """Import the model family modules, which register their constructors."""
    import chronoscore.models.zoo  # noqa: F401
