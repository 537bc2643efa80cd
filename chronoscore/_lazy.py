"""Lazy package faces (PEP 562): a package lists its public names and the modules defining them.

A package's ``__init__`` calls :func:`lazy_exports` instead of importing its
submodules, so ``import chronoscore.neural_fit`` costs nothing until a name is
used; ``from chronoscore.neural_fit import FitSettings`` then imports the one
module that defines it. Submodules stay reachable as attributes
(``chronoscore.neural_fit.pls``) without an explicit import, as they were when
the faces imported them eagerly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from importlib.util import find_spec
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(namespace: dict[str, Any],
                 exports: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for the package whose globals are ``namespace``.

    Parameters
    ----------
    namespace : dict
        The package's ``globals()``; a name, once imported, is stored there (later
        lookups do not reach ``__getattr__``).
    exports : mapping of str to str
        Public name -> absolute name of the module defining it.

    Returns
    -------
    getattr, dir : callable
        To be bound to the package's ``__getattr__`` and ``__dir__``.
    """
    package = namespace["__name__"]

    def __getattr__(name: str) -> Any:
        if name in exports:
            value = getattr(import_module(exports[name]), name)
            namespace[name] = value
            return value
        if not name.startswith("__") and find_spec(f"{package}.{name}") is not None:
            return import_module(f"{package}.{name}")
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(exports))

    return __getattr__, __dir__
