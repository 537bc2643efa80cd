"""Finding the modules that register things (data sets, figures): each registry imports its package's modules once."""

from __future__ import annotations

import functools
import pkgutil
from importlib import import_module

__all__ = ["import_submodules"]


@functools.cache
def import_submodules(package: str, skip: frozenset[str] = frozenset()) -> None:
    """Import every module of ``package`` (once) whose name neither starts with ``_`` nor is in ``skip``.

    Importing a module runs its registration decorators. A module that fails to
    import raises here, and the next call tries again.
    """
    for module in pkgutil.iter_modules(import_module(package).__path__):
        if not module.name.startswith("_") and module.name not in skip:
            import_module(f"{package}.{module.name}")
