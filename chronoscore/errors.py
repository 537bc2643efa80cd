"""Exceptions for every error a user can cause.

Each message says what is wrong and how to fix it. They all derive from
:class:`ChronoscoreError`, so ``except ChronoscoreError`` catches any of them, and
from the matching built-in (``ValueError``, ``OSError``) so code written against
plain Python exceptions keeps working.
"""

__all__ = [
    "ChronoscoreError",
    "ConfigError",
    "DataFormatError",
    "FileFormatError",
    "FitError",
    "MissingExtraError",
    "NotFittedError",
    "NothingToDrawError",
    "StimulusMismatchError",
]


class ChronoscoreError(Exception):
    """Base class of all errors chronoscore raises for bad input or settings."""


class DataFormatError(ChronoscoreError, ValueError):
    """An array or assembly has the wrong dims, coords, dtype or values (NaN, empty, ...)."""


class StimulusMismatchError(DataFormatError):
    """Model features and neural data do not cover the same stimuli."""


class FileFormatError(ChronoscoreError, OSError):
    """A file is missing, truncated, corrupt or not in the expected format."""


class ConfigError(ChronoscoreError, ValueError):
    """An option or setting is unknown, of the wrong type or out of range."""


class FitError(ChronoscoreError, ValueError):
    """A regression or cross-validation cannot be run on the data it was given."""


class NotFittedError(FitError, AttributeError):
    """An estimator was used before ``fit`` (a ValueError and AttributeError, as scikit-learn's)."""


class MissingExtraError(ChronoscoreError, ImportError):
    """A feature needs an optional dependency that is not installed; the message names the pip extra."""


class NothingToDrawError(ChronoscoreError, ValueError):
    """Saved results are readable but hold nothing a figure draws (e.g. a sweep without a training run's
    checkpoints); figure commands report the figure as not drawn, with the message."""
