"""Frozen-dataclass configurations loaded from YAML with ``key=value`` overrides.

Every entry point has one frozen dataclass of settings. :func:`load_config`
builds it from an optional YAML file and command-line overrides
(``--set mapping.kind=best``), checking names and types before anything runs:
an unknown key or a value of the wrong type raises :class:`ConfigError` naming
the key and the accepted values.
"""

from __future__ import annotations

import dataclasses
import os
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

import yaml

from chronoscore.errors import ConfigError

__all__ = ["load_config", "build_config", "config_to_dict", "parse_override"]

C = TypeVar("C")


def load_config(cls: type[C], path: str | os.PathLike | None = None, overrides: Sequence[str] = (), *,
                defaults: C | None = None, **values: Any) -> C:
    """Build ``cls`` from ``defaults``, then a YAML file, then ``values``, then ``key=value`` overrides.

    Parameters
    ----------
    cls : dataclass type
    path : path-like, optional
        YAML mapping of field names to values (nested mappings for nested dataclasses).
    overrides : sequence of str
        ``"key=value"`` or ``"outer.inner=value"``; values are parsed as YAML scalars.
    **values
        Field values given directly (e.g. from named command-line options); None is ignored.
    defaults : cls instance, optional
        Values to start from instead of the class's defaults (e.g. a benchmark's
        settings); the file's top-level keys replace them.
    """
    settings: dict[str, Any] = {}
    if defaults is not None:
        settings.update({field.name: getattr(defaults, field.name) for field in dataclasses.fields(defaults)})
    if path is not None:
        try:
            with open(path) as handle:
                loaded = yaml.safe_load(handle) or {}
        except (OSError, UnicodeDecodeError) as error:
            raise ConfigError(f"cannot read the configuration file {path} ({error}); check the path and that "
                              "the file is UTF-8 YAML text.") from error
        except yaml.YAMLError as error:
            raise ConfigError(f"{path} is not valid YAML: {error}") from error
        if not isinstance(loaded, Mapping):
            raise ConfigError(f"{path} must hold a mapping of setting names to values.")
        settings.update(_upgraded(cls, loaded))
    settings.update({name: value for name, value in values.items() if value is not None})
    for override in overrides:
        key, value = parse_override(override)
        upgraded = _upgraded(cls, {key: value})
        for dotted, item in [(key, value)] if upgraded == {key: value} else _dotted(upgraded):
            _set_dotted(settings, dotted.split("."), item)
    return _build(cls, settings, prefix="")


def _upgraded(cls: type, settings: Mapping[str, Any]) -> dict[str, Any]:
    """``settings`` in today's names: a class that renamed settings reads the old ones (``cls.upgrade_config``)."""
    upgrade = getattr(cls, "upgrade_config", None)
    return dict(settings) if upgrade is None else upgrade(settings)


def _dotted(settings: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """``{"a": {"b": 1}}`` as ``[("a.b", 1)]``: an upgraded old override, set key by key."""
    pairs = []
    for key, value in settings.items():
        if isinstance(value, Mapping) and value:
            pairs += _dotted(value, f"{prefix}{key}.")
        else:
            pairs.append((prefix + key, value))
    return pairs


def build_config(cls: type[C], values: Mapping[str, Any], prefix: str = "") -> C:
    """Build ``cls`` from a mapping, checking names and types as :func:`load_config` does.

    Parameters
    ----------
    cls : dataclass type
    values : mapping
        Field names to values (nested mappings for nested dataclasses).
    prefix : str
        Prepended to the setting names in error messages (e.g. ``"metric_options."``).
    """
    return _build(cls, values, prefix)


def parse_override(text: str) -> tuple[str, Any]:
    """Split ``"key=value"`` and parse the value as a YAML scalar or list."""
    if "=" not in text:
        raise ConfigError(f"override {text!r} must look like key=value.")
    key, raw = text.split("=", 1)
    try:
        return key.strip(), yaml.safe_load(raw)
    except yaml.YAMLError as error:
        raise ConfigError(f"cannot parse the value of {key!r}: {error}") from error


def config_to_dict(config: Any) -> dict[str, Any]:
    """A plain dict (lists for tuples) suitable for YAML or JSON."""
    return _plain(dataclasses.asdict(config))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def _set_dotted(settings: dict[str, Any], keys: list[str], value: Any) -> None:
    for key in keys[:-1]:
        inner = settings.get(key)
        if dataclasses.is_dataclass(inner):
            inner = dataclasses.asdict(inner)
        settings[key] = dict(inner) if isinstance(inner, Mapping) else {}
        settings = settings[key]
    settings[keys[-1]] = value


def _build(cls: type[C], settings: Mapping[str, Any], prefix: str) -> C:
    fields = {field.name: field for field in dataclasses.fields(cls)}
    unknown = sorted(set(settings) - set(fields))
    if unknown:
        raise ConfigError(f"unknown setting(s) {', '.join(prefix + k for k in unknown)}; "
                          f"known: {', '.join(prefix + k for k in fields)}.")
    hints = typing.get_type_hints(cls)
    kwargs = {name: _coerce(value, hints[name], prefix + name) for name, value in settings.items()}
    return cls(**kwargs)


def _coerce(value: Any, hint: Any, name: str) -> Any:
    """Check ``value`` against the type ``hint`` and convert where it is unambiguous."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if dataclasses.is_dataclass(hint):
        if dataclasses.is_dataclass(value):
            return value
        if not isinstance(value, Mapping):
            raise ConfigError(f"{name} must be a mapping of its settings, got {value!r}.")
        return _build(hint, value, prefix=name + ".")
    if origin is typing.Literal:
        if value not in args:
            raise ConfigError(f"{name} must be one of {', '.join(map(str, args))}; got {value!r}.")
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for option in (a for a in args if a is not type(None)):
            try:
                return _coerce(value, option, name)
            except ConfigError as error:
                errors.append(str(error))
        raise ConfigError(errors[0] if len(errors) == 1 else f"{name}: {value!r} fits none of {hint}.")
    if origin is dict:
        if not isinstance(value, Mapping):
            raise ConfigError(f"{name} must be a mapping, got {value!r}.")
        key_hint, item_hint = args if args else (Any, Any)
        return {_coerce(key, key_hint, name): _coerce(item, item_hint, f"{name}.{key}") for key, item in value.items()}
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{name} must be a list, got {value!r}.")
        item = args[0] if args else Any
        return tuple(_coerce(v, item, f"{name}[{i}]") for i, v in enumerate(value))
    if hint is float:
        return _number(value, name)
    if hint in (int, str, bool) and (type(value) is not hint):
        raise ConfigError(f"{name} must be of type {hint.__name__}, got {value!r}.")
    return value


def _number(value: Any, name: str) -> float:
    """``value`` as a float; numeric strings are accepted because YAML reads ``1e3`` as text."""
    if not isinstance(value, bool) and isinstance(value, (int, float, str)):
        try:
            return float(value)
        except ValueError:
            pass
    raise ConfigError(f"{name} must be a number, got {value!r}.")
