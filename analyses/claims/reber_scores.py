"""Next-symbol accuracy on embedded Reber strings: of predictions, chance, first-order statistics and the best possible.

In ``B (T|P) <Reber string> (T|P) E`` the second-to-last symbol repeats the branch
symbol chosen at the start. A predictor that has read the string up to the inner
``E`` (step ``L − 3`` of a string of length ``L``) can name it only by remembering
the start; the symbol just read (``E``) is followed by ``T`` and ``P`` equally
often, so first-order statistics get half of them. Positions scored:

``predictable``
    the prediction made after step ``L − 3`` (of symbol ``L − 2``);
``all``
    every prediction of a next symbol (after steps ``0 … L − 2``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

from chronoscore.stimuli.generators.reber import REBER_SYMBOLS, reber_choices, reber_indices, reber_one_hot

__all__ = ["POSITIONS", "Position", "ceiling_accuracy", "chance_accuracy", "first_order_accuracy",
           "first_order_table", "per_string_accuracy", "scored_steps"]

Position = Literal["predictable", "all"]
POSITIONS: tuple[Position, ...] = ("predictable", "all")


def scored_steps(lengths: np.ndarray, steps: int) -> dict[Position, np.ndarray]:
    """Boolean masks (n, steps): whether the prediction made after step t of string i is scored.

    Parameters
    ----------
    lengths : (n,) int array
        String lengths.
    steps : int
        Steps of the padded batch (at least the longest length).
    """
    step = np.arange(steps)[None, :]
    lengths = np.asarray(lengths)[:, None]
    return {"predictable": step == lengths - 3, "all": step <= lengths - 2}


def first_order_table(strings: Sequence[str]) -> np.ndarray:
    """(7,) index of the most frequent next symbol after each symbol in ``strings`` (ties: the first in order)."""
    counts = np.zeros((len(REBER_SYMBOLS), len(REBER_SYMBOLS)), dtype=np.int64)
    for string in strings:
        indices = reber_indices(string)
        np.add.at(counts, (indices[:-1], indices[1:]), 1)
    return counts.argmax(axis=1)


def first_order_accuracy(table: np.ndarray, strings: Sequence[str]) -> dict[Position, float]:
    """Accuracy of predicting ``table[current symbol]`` at each of :data:`POSITIONS`."""
    codes, lengths = reber_one_hot(strings)
    return _accuracy(table[codes.argmax(axis=2)], codes, lengths)


def ceiling_accuracy(strings: Sequence[str]) -> dict[Position, float]:
    """Expected accuracy of the best possible predictor, which knows the grammar and the whole prefix.

    After each prefix the grammar allows one or two next symbols, equally likely
    (:func:`~chronoscore.stimuli.generators.reber.reber_choices`); the best guess is
    right with probability 1 / choices. The mean of that over the scored predictions.
    """
    choices = [reber_choices(string) for string in strings]
    return {"predictable": float(np.mean([1.0 / counts[-2] for counts in choices])),
            "all": float(np.mean(np.concatenate([1.0 / counts for counts in choices])))}


def per_string_accuracy(predicted: Sequence[np.ndarray], strings: Sequence[str]) -> dict[Position, float]:
    """Accuracy at each of :data:`POSITIONS` of predictions made symbol by symbol.

    Parameters
    ----------
    predicted : sequence of (L_i,) int arrays
        ``predicted[i][t]``: the predicted index of symbol t of string i, made before
        reading it (entry 0, the prediction of the first ``B``, is not scored).
    strings : sequence of str
    """
    hits: dict[Position, list[bool]] = {"predictable": [], "all": []}
    for guess, string in zip(predicted, strings, strict=True):
        correct = np.asarray(guess) == reber_indices(string)
        hits["all"].extend(correct[1:])
        hits["predictable"].append(bool(correct[-2]))
    return {position: float(np.mean(values)) for position, values in hits.items()}


def chance_accuracy() -> dict[Position, float]:
    """Expected accuracy of guessing one of the 7 symbols uniformly at random."""
    return {position: 1 / len(REBER_SYMBOLS) for position in POSITIONS}


def _accuracy(predicted: np.ndarray, codes: np.ndarray, lengths: np.ndarray) -> dict[Position, float]:
    """Accuracy of predictions (n, T) (after each step) against the next symbols of one-hot codes (n, T, 7)."""
    steps = codes.shape[1]
    following = np.full(predicted.shape, -1)
    following[:, :steps - 1] = codes[:, 1:].argmax(axis=2)
    return {position: float(np.mean(predicted[mask] == following[mask]))
            for position, mask in scored_steps(lengths, steps).items()}
