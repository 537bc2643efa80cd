"""Tracing a module's forward with ``torch.fx`` only when the traced graph can stand for it.

A traced graph records the tensor operations of one run of the module's Python
``forward`` on placeholders; every Python value it read becomes a constant. That
is wrong for a forward that changes module attributes while it runs (CORnet-S
sets ``conv2.stride`` to 2 before its first step and to 1 before the others; a
block may count its calls in an attribute): the graph keeps whatever the
attribute held while tracing, and the run afterwards differs from the module's.

:func:`guarded_trace` therefore watches the trace: an assignment to a public
attribute of any submodule (caught at ``nn.Module.__setattr__`` while the
trace runs, so a value set and set back is seen too), or a plain attribute
(numbers, strings, tuples, ...; tensors are registered state and are not
compared) that differs afterwards (a list appended to), refuses the trace with
:class:`ForwardMutatesState`, naming the attribute. The plain attributes are
restored in every case, so tracing never changes the module. Other Python-state
branches that leave no trace in the attributes cannot be seen here; extraction
checks every rewritten network against the plain one on real inputs
(:mod:`chronoscore.analyses.extraction._verified_rewrites`).
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable, Iterator

from torch import fx, nn

__all__ = ["ForwardMutatesState", "guarded_trace"]

_SCALARS = (bool, int, float, complex, str, bytes, type(None))
_CONTAINERS = (tuple, list, set, frozenset)


class ForwardMutatesState(RuntimeError):
    """The module's forward changed one of its attributes while it was traced."""


def guarded_trace(module: nn.Module, trace: Callable[[nn.Module], fx.Graph]) -> fx.Graph:
    """``trace(module)``, refused when the forward changed a plain attribute of any submodule.

    Parameters
    ----------
    module : nn.Module
        The module to trace (left exactly as it was).
    trace : callable
        Runs the tracing, e.g. ``lambda m: fx.Tracer().trace(m)``.

    Returns
    -------
    fx.Graph

    Raises
    ------
    ForwardMutatesState
        When an attribute changed (names the submodule and attribute).
    Exception
        Whatever ``trace`` raises (an untraceable forward).
    """
    snapshot = _plain_attributes(module)
    try:
        with _assignments_recorded(module) as assigned:
            graph = trace(module)
        changed = assigned + _changed(snapshot, _plain_attributes(module))
    finally:
        _restore(module, snapshot)
    if changed:
        raise ForwardMutatesState(f"{type(module).__name__}'s forward changes {changed[0]} while it runs; "
                                  "a traced graph would keep one value of it")
    return graph


@contextlib.contextmanager
def _assignments_recorded(module: nn.Module) -> Iterator[list[str]]:
    """Collect ``path.attribute`` of every public attribute assigned on a submodule of ``module`` in the block."""
    paths = {id(submodule): path for path, submodule in module.named_modules()}
    assigned: list[str] = []
    original = nn.Module.__setattr__

    def recording_setattr(target: nn.Module, name: str, value: object) -> None:
        if id(target) in paths and not name.startswith("_"):
            path = paths[id(target)]
            assigned.append(f"{path}.{name}" if path else name)
        original(target, name, value)

    nn.Module.__setattr__ = recording_setattr
    try:
        yield assigned
    finally:
        nn.Module.__setattr__ = original


def _plain_attributes(module: nn.Module) -> dict[tuple[str, str], object]:
    """{(submodule path, attribute): copy of its value} for every plain, non-private attribute."""
    return {(path, name): copy.deepcopy(value)
            for path, submodule in module.named_modules()
            for name, value in vars(submodule).items() if not name.startswith("_") and _is_plain(value)}


def _is_plain(value: object) -> bool:
    """Whether ``value`` is a number, string, None, or a container (dicts included) of such values only."""
    if isinstance(value, _SCALARS):
        return True
    if isinstance(value, _CONTAINERS):
        return all(_is_plain(item) for item in value)
    if isinstance(value, dict):
        return all(_is_plain(key) and _is_plain(item) for key, item in value.items())
    return False


def _changed(before: dict[tuple[str, str], object], after: dict[tuple[str, str], object]) -> list[str]:
    """Names (``path.attribute``) of attributes added, removed or given another value."""
    names = []
    for key in sorted(set(before) | set(after)):
        if key not in before or key not in after or not _same(before[key], after[key]):
            path, name = key
            names.append(f"{path}.{name}" if path else name)
    return names


def _same(first: object, second: object) -> bool:
    """Equal values of the same type (so that 1 and True, or 2 and 2.0, differ)."""
    return type(first) is type(second) and first == second


def _restore(module: nn.Module, snapshot: dict[tuple[str, str], object]) -> None:
    """Give every changed attribute its value back (and drop plain attributes the trace added)."""
    current = _plain_attributes(module)
    for path, name in set(current) - set(snapshot):
        delattr(module.get_submodule(path), name)
    for (path, name), value in snapshot.items():
        if (path, name) not in current or not _same(current[(path, name)], value):
            setattr(module.get_submodule(path), name, value)
