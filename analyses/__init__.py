"""Pipelines a user runs: extraction, training, scoring, comparison, the Brain-Score adapter, the reproduced claims.

Each pipeline is a module (``score``, ``compare``, ``brainscore_adapter``, ...)
or a subpackage (``extraction``, ``claims``); the names below are imported when
first used, so ``import chronoscore.analyses`` loads no numerics.
"""

from chronoscore._lazy import lazy_exports

_EXPORTS = {
    "extract": "chronoscore.analyses.extraction",
    "train": "chronoscore.analyses.training_data",
}
"""Public name -> the module defining it (imported when the name is first used)."""

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)
