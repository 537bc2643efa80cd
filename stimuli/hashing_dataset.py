"""A stimulus dataset that computes its set's content hash while the images are read."""

from __future__ import annotations

import numpy as np

from chronoscore.stimuli.content_hash import ContentHasher
from chronoscore.stimuli.preprocessing import StimulusDataset
from chronoscore.stimuli.stimulus_set import StimulusSet

__all__ = ["HashingStimulusDataset"]


class HashingStimulusDataset(StimulusDataset):
    """:class:`StimulusDataset` whose reads also feed :attr:`hasher`, the set's content hash.

    Read every item once, in table order, in this process (a DataLoader with
    ``shuffle=False`` and no workers); then ``hasher.hexdigest()`` equals
    ``stimulus_set.content_hash()`` without a second decoding pass. Reading out of
    order raises (see :class:`~chronoscore.stimuli.content_hash.ContentHasher`).

    Parameters
    ----------
    stimulus_set : StimulusSet
    image_size : int
        Side of the model's square input, in pixels.
    model_degrees : float
        Visual angle the model's input spans.
    """

    def __init__(self, stimulus_set: StimulusSet, image_size: int, model_degrees: float = 8.0) -> None:
        super().__init__(stimulus_set, image_size, model_degrees)
        self.hasher = ContentHasher(stimulus_set)

    def load_image(self, index: int) -> np.ndarray:
        """Image ``index`` (H, W, 3) uint8, added to the content hash on the way."""
        image = super().load_image(index)
        self.hasher.add(index, image)
        return image
