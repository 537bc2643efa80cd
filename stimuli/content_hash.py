"""The content hash of a stimulus set, computed as its images are decoded.

A stimulus set's hash covers its metadata, its visual angle and its decoded
images in table order, so that a set held in memory and the same set written to
files hash alike. Decoding every image costs about as much as reading the set
once; :class:`ContentHasher` lets a pass that decodes the images anyway (the
activation extractor's) compute the hash on the way, instead of decoding twice.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from chronoscore.stimuli.stimulus_set import StimulusSet

__all__ = ["ContentHasher"]

_HEX_CHARACTERS = 16


class ContentHasher:
    """SHA-256 (first 16 hex characters) of a stimulus set, fed its images one by one in table order.

    Parameters
    ----------
    stimulus_set : StimulusSet
        The set whose metadata (every column but ``filename``) and angle start the digest.

    Raises
    ------
    RuntimeError
        From :meth:`add` when an image arrives out of table order, and from
        :meth:`hexdigest` before every image has arrived.
    """

    def __init__(self, stimulus_set: StimulusSet) -> None:
        self._digest = hashlib.sha256()
        self._digest.update(stimulus_set.table.drop(columns=["filename"], errors="ignore").to_csv(index=False).encode())
        self._digest.update(repr(float(stimulus_set.degrees)).encode())
        self._expected, self._total = 0, len(stimulus_set)
        self._identifier = stimulus_set.identifier

    def add(self, index: int, image: np.ndarray) -> None:
        """Feed decoded image ``index`` (H, W, 3) uint8; images must come as 0, 1, 2, …"""
        if index != self._expected:
            raise RuntimeError(f"stimulus set {self._identifier!r}: image {index} reached the content hash "
                               f"where image {self._expected} was due; it is computed in table order.")
        self._digest.update(np.ascontiguousarray(image))  # the buffer itself: no copy
        self._expected += 1

    def hexdigest(self) -> str:
        """The set's content hash (16 hex characters), once all N images have been added."""
        if self._expected != self._total:
            raise RuntimeError(f"stimulus set {self._identifier!r}: the content hash has {self._expected} of "
                               f"{self._total} images.")
        return self._digest.hexdigest()[:_HEX_CHARACTERS]
