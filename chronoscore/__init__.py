"""chronoscore: score recurrent vision models against primate V4/IT neural time courses.

The subpackages hold the work (``chronoscore.models``, ``chronoscore.stimuli``,
``chronoscore.neural_fit``, ``chronoscore.analyses``, ``chronoscore.figures``) and
the command line (``chronoscore.cli``); this top-level package only carries the
version and the exception hierarchy, and importing it loads no numerics.
"""

from chronoscore.errors import (
    ChronoscoreError,
    ConfigError,
    DataFormatError,
    FileFormatError,
    FitError,
    MissingExtraError,
    NotFittedError,
    StimulusMismatchError,
)

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "ChronoscoreError",
    "ConfigError",
    "DataFormatError",
    "FileFormatError",
    "FitError",
    "MissingExtraError",
    "NotFittedError",
    "StimulusMismatchError",
]
