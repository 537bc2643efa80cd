"""Optional dependencies, imported only when a feature needs them.

Brain-Score (``brainscore_vision``, with ``brainscore_core`` and its brainio
data standards) is the extra ``chronoscore[brainscore]``: it pins an older stack
(numpy < 2, xarray < 2022.6, scikit-learn < 1.6), so chronoscore's own numerics
never need it. Its adapter, converters and loaders import it through
:func:`import_brainscore`, which names the extra when it is missing.
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

from chronoscore.errors import MissingExtraError

__all__ = ["BRAINSCORE_EXTRA", "import_brainscore"]

BRAINSCORE_EXTRA = 'pip install "chronoscore[brainscore]"'
"""The command that installs Brain-Score beside chronoscore."""

_BRAINSCORE_PACKAGES = ("brainscore_vision", "brainscore_core", "brainio")


def import_brainscore(module: str, feature: str) -> ModuleType:
    """Import a Brain-Score module, or say which extra brings it.

    Parameters
    ----------
    module : str
        Absolute module name, e.g. ``"brainscore_core.supported_data_standards.brainio.assemblies"``.
    feature : str
        What needs it, for the message (e.g. ``"to_brainscore"``).

    Returns
    -------
    module
        The imported module.

    Raises
    ------
    MissingExtraError
        If Brain-Score is not installed. An ImportError raised inside an installed
        Brain-Score (a broken dependency of its own) propagates unchanged.
    """
    try:
        return import_module(module)
    except ModuleNotFoundError as error:
        missing = (error.name or "").split(".")[0]
        if missing not in _BRAINSCORE_PACKAGES:
            raise
        raise MissingExtraError(
            f"{feature} needs Brain-Score ({module}), which is not installed in this environment; "
            f"install chronoscore's Brain-Score extra: {BRAINSCORE_EXTRA}") from error
