"""Extraction: time-resolved activations of a model on a stimulus set, cached on disk.

The public face is small: :func:`extract` (the Activations of DESIGN.md,
presentation × neuroid × time_step), the projection it may apply per area
(:class:`ProjectionSpec`, ``("random", D)`` or ``("pca", D, stimulus_set)``) and
the activation cache (:mod:`chronoscore.analyses.extraction.cache`). Saved
Activations are read back with :func:`chronoscore.neural_fit.read_features`.
The speed tricks (channels-last, batch-norm folding, convolution fusion, guarded
tracing, heap reuse, large arrays in their own mapping), each checked against the
plain network at run time, live in the private modules ``_*.py`` of this package.
"""

from chronoscore.analyses.extraction._extract import StorageDtype, extract
from chronoscore.analyses.extraction._projection import ProjectionSpec
from chronoscore.analyses.extraction.cache import activations_checksum, default_cache_folder

__all__ = ["ProjectionSpec", "StorageDtype", "activations_checksum", "default_cache_folder", "extract"]
