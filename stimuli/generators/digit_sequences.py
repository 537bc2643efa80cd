"""Sequences of handwritten digit images that follow fixed digit patterns.

The rule: each sequence picks one of a few fixed *patterns* of digit classes at
random and repeats it for ``n_frames`` frames, starting at the pattern's first
digit. Each frame shows an image of its digit drawn from scikit-learn's bundled
``load_digits`` (1797 greyscale 8x8 images, no download), a different image at
each occurrence of a class within a sequence (images are only reused once a
class's images run out). The class sequence is therefore fully predictable once
the pattern is known, while the image changes at every occurrence, as in the image
sequence tasks used for Recurrent Sparse Memory (Rawlinson et al. 2019).

The default patterns ``"0123"`` and ``"4126"`` share the sub-sequence ``"12"``:
which digit follows ``2`` depends on the digit before ``1``, so predicting it
needs memory of more than the last frame (a higher-order sequence, as in Cui et
al. 2016). A single pattern such as ``"0123456789"`` gives a plain cycle.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from chronoscore.errors import ConfigError
from chronoscore.stimuli.generators.registry import register_generator
from chronoscore.stimuli.generators.sequence_frames import check_count, sequence_stimulus_set, upscale_nearest
from chronoscore.stimuli.stimulus_set import StimulusSet

__all__ = ["DEFAULT_DIGIT_PATTERNS", "DigitSequences", "bundled_digits", "digit_sequences", "digit_sequence_stimuli"]

DEFAULT_DIGIT_PATTERNS: tuple[str, ...] = ("0123", "4126")
"""Patterns of digit classes, one character per frame; they share ``"12"``."""


class DigitSequences(NamedTuple):
    """Arrays of ``n`` digit sequences of ``n_frames`` frames each."""

    images: np.ndarray
    """(n, n_frames, 8, 8) float32 in [0, 1], ink bright on a dark ground."""
    digits: np.ndarray
    """(n, n_frames) int64 digit class of each frame."""
    image_index: np.ndarray
    """(n, n_frames) int64 index of each frame's image into ``load_digits()``."""
    pattern: np.ndarray
    """(n,) int64 index of each sequence's pattern."""


def digit_sequences(n: int, seed: int = 0, *, n_frames: int = 12,
                    patterns: Sequence[str] = DEFAULT_DIGIT_PATTERNS) -> DigitSequences:
    """Draw ``n`` digit sequences following ``patterns`` (see the module docstring).

    Parameters
    ----------
    n : int
        Number of sequences.
    seed : int
        Seed of ``numpy.random.default_rng``.
    n_frames : int
        Frames per sequence; patterns repeat (or are cut) to this length.
    patterns : sequence of str
        Digit patterns such as ``("0123", "4126")``; each sequence uses one, chosen uniformly.

    Returns
    -------
    DigitSequences

    Raises
    ------
    ConfigError
        If ``n`` or ``n_frames`` is not a positive integer or a pattern is not a non-empty string of digits.
    """
    n, n_frames = check_count("n", n), check_count("n_frames", n_frames)
    classes = _pattern_classes(patterns, n_frames)
    rng = np.random.default_rng(seed)
    pattern = rng.integers(len(classes), size=n)
    digits = classes[pattern]
    images, labels = bundled_digits()
    image_index = np.empty((n, n_frames), dtype=np.int64)
    for digit in np.unique(digits):
        members = np.flatnonzero(labels == digit)
        shuffled = members[np.argsort(rng.random((n, len(members))), axis=1)]
        occurrence = np.cumsum(digits == digit, axis=1) - 1
        rows, frames = np.nonzero(digits == digit)
        image_index[rows, frames] = shuffled[rows, occurrence[rows, frames] % len(members)]
    return DigitSequences(images[image_index], digits, image_index, pattern)


def _pattern_classes(patterns: Sequence[str], n_frames: int) -> np.ndarray:
    """(len(patterns), n_frames) int64 digit classes of each pattern, repeated to ``n_frames``."""
    if isinstance(patterns, str) or len(patterns) == 0 or not all(
            isinstance(pattern, str) and pattern.isdecimal() and pattern.isascii() for pattern in patterns):
        raise ConfigError(f"patterns must be a non-empty list of digit strings such as ['0123', '4126'], "
                          f"got {patterns!r}.")
    return np.array([[int(pattern[frame % len(pattern)]) for frame in range(n_frames)] for pattern in patterns],
                    dtype=np.int64)


@lru_cache(maxsize=1)
def bundled_digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled digits: (1797, 8, 8) float32 images in [0, 1] and (1797,) int64 labels."""
    from sklearn.datasets import load_digits  # scikit-learn takes a while to import; only pay for it when used

    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)
    labels = digits.target.astype(np.int64)
    images.flags.writeable = labels.flags.writeable = False
    return images, labels


@register_generator("digit-sequences", default_n=20, default_size=32)
def digit_sequence_stimuli(n: int, size: int, seed: int, *, n_frames: int = 12,
                           patterns: Sequence[str] = DEFAULT_DIGIT_PATTERNS) -> StimulusSet:
    """``n`` digit sequences (see :func:`digit_sequences`), each 8x8 image scaled to ``size`` pixels.

    Returns
    -------
    StimulusSet
        One row per frame with columns ``sequence_id``, ``frame``, ``digit``,
        ``image_index`` (into ``load_digits()``) and ``pattern``.
    """
    sequences = digit_sequences(n, seed, n_frames=n_frames, patterns=patterns)
    frames = upscale_nearest(sequences.images.reshape(n * n_frames, 8, 8), size)
    columns = {"digit": sequences.digits.ravel(), "image_index": sequences.image_index.ravel(),
               "pattern": np.repeat(sequences.pattern, n_frames)}
    return sequence_stimulus_set("digit-sequences", seed, frames, np.full(n, n_frames), columns,
                                 {"n": n, "size": size, "n_frames": n_frames, "patterns": list(patterns)})
