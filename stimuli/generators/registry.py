"""Registry of stimulus generators.

A generator is a function ``(n, size, seed, **options) -> StimulusSet`` registered
under a name with :func:`register_generator`; :func:`generate` looks it up. Every
generator is deterministic given its seed, and has a version that changes
whenever the images it makes for the same arguments change, so that caches of
generated images can tell old images from new ones.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable

from chronoscore.errors import ConfigError
from chronoscore.stimuli.stimulus_set import StimulusSet

__all__ = ["register_generator", "generate", "list_generators", "generator_version", "Generator"]

Generator = Callable[..., StimulusSet]

_GENERATORS: dict[str, tuple[Generator, int, int]] = {}
_VERSIONS: dict[str, int] = {}


def register_generator(name: str, *, default_n: int, default_size: int,
                       version: int = 1) -> Callable[[Generator], Generator]:
    """Register ``generator`` as ``name`` with its default count and image size (pixels) and its version."""

    def decorate(generator: Generator) -> Generator:
        if name in _GENERATORS and _GENERATORS[name][0] is not generator:
            raise ConfigError(f"a stimulus generator named {name!r} is registered twice.")
        _GENERATORS[name] = (generator, default_n, default_size)
        _VERSIONS[name] = version
        return generator

    return decorate


def generate(name: str, n: int | None = None, size: int | None = None, seed: int = 0, **options) -> StimulusSet:
    """Run the generator ``name``; ``n`` and ``size`` default to the generator's own."""
    _load_generators()
    if name not in _GENERATORS:
        close = difflib.get_close_matches(name, list(_GENERATORS), n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise ConfigError(f"no stimulus generator named {name!r}.{hint} Known: {', '.join(list_generators())}.")
    generator, default_n, default_size = _GENERATORS[name]
    n = default_n if n is None else n
    size = default_size if size is None else size
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ConfigError(f"the number of stimuli must be a positive integer, got {n!r}.")
    if isinstance(size, bool) or not isinstance(size, int) or size < 8:
        raise ConfigError(f"the image size must be an integer of at least 8 pixels, got {size!r}.")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ConfigError(f"the seed must be a non-negative integer, got {seed!r}.")
    accepted = [name for name in inspect.signature(generator).parameters if name not in ("n", "size", "seed")]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise ConfigError(f"the {name!r} generator has no option(s) {unknown}; it accepts {accepted}.")
    return generator(n=n, size=size, seed=seed, **options)


def generator_version(name: str) -> int:
    """Version of the generator ``name`` (raises :class:`ConfigError` for an unknown name)."""
    _load_generators()
    if name not in _VERSIONS:
        raise ConfigError(f"no stimulus generator named {name!r}. Known: {', '.join(list_generators())}.")
    return _VERSIONS[name]


def list_generators() -> list[str]:
    """Sorted names of the registered generators."""
    _load_generators()
    return sorted(_GENERATORS)


def _load_generators() -> None:
    """Import the generator modules, which register themselves."""
    import chronoscore.stimuli.generators.catalog  # noqa: F401
