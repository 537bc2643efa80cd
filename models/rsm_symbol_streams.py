"""Parallel, desynchronised streams of freshly drawn strings, one symbol per stream and step.

The authors' release trains its Recurrent Sparse Memory on the embedded Reber
grammar with N streams side by side (its batch of 400), each an endless succession
of strings drawn fresh from the grammar. Stream j starts inside its first string,
at symbol ``j mod L`` (L: that string's length), so the streams are out of step;
when a string ends the stream draws the next. At each step every stream offers
its current symbol and the one before it in the same string (none at a string's
first symbol and at a stream's first step: the release then feeds a zero input).

:class:`SymbolStreams` draws the strings with its own ``numpy`` generator, so a
seed fixes every string of every stream, and it can be saved and restored exactly
(:meth:`SymbolStreams.state_dict`). The grammar is not known here: the caller
passes a function that draws one string as symbol indices.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from chronoscore.errors import ConfigError
from chronoscore.models.rsm_base import check_positive_int

__all__ = ["NO_SYMBOL", "StreamStep", "SymbolStreams"]

NO_SYMBOL = -1
"""``StreamStep.previous`` of a stream at the first symbol of a string (the input is then all zero)."""

DrawString = Callable[[np.random.Generator], np.ndarray]
"""Draws one string as an int array of symbol indices (at least one symbol)."""


class StreamStep(NamedTuple):
    """One step of N streams.

    Attributes
    ----------
    previous : (N,) int64 array
        Index of each stream's previous symbol in the current string, or :data:`NO_SYMBOL`.
    current : (N,) int64 array
        Index of each stream's current symbol: what the memory predicts at this step.
    ends : (N,) bool array
        The current symbol is the last of its string.
    """

    previous: np.ndarray
    current: np.ndarray
    ends: np.ndarray


class SymbolStreams:
    """N streams of strings drawn by ``draw_string``, stepped together (see the module docstring).

    Parameters
    ----------
    n_streams : int
        N, streams side by side.
    draw_string : callable
        ``rng -> (L,) int array``, one string of symbol indices.
    seed : int
        Seed of the generator every string is drawn with.
    desynchronise : bool
        Start stream j at symbol ``j mod L`` of its first string (the release), else at 0.
    """

    def __init__(self, n_streams: int, draw_string: DrawString, seed: int, desynchronise: bool = True) -> None:
        self.n_streams = check_positive_int("n_streams", n_streams)
        self._draw = draw_string
        self._rng = np.random.default_rng(seed)
        self._strings = [self._draw_checked() for _ in range(self.n_streams)]
        self._positions = [stream % len(string) if desynchronise else 0
                           for stream, string in enumerate(self._strings)]
        self._started = [False] * self.n_streams

    def _draw_checked(self) -> np.ndarray:
        string = np.asarray(self._draw(self._rng), dtype=np.int64)
        if string.ndim != 1 or len(string) == 0:
            raise ConfigError(f"draw_string must return a non-empty 1-d array of symbol indices, got shape "
                              f"{string.shape}.")
        return string

    def next(self) -> StreamStep:
        """The streams' next step; a stream whose string ended at the last step starts a fresh one."""
        previous = np.full(self.n_streams, NO_SYMBOL, dtype=np.int64)
        current = np.empty(self.n_streams, dtype=np.int64)
        ends = np.empty(self.n_streams, dtype=bool)
        for stream in range(self.n_streams):
            position = self._positions[stream]
            if position == len(self._strings[stream]):
                self._strings[stream], position = self._draw_checked(), 0
            string = self._strings[stream]
            if position > 0 and self._started[stream]:
                previous[stream] = string[position - 1]
            current[stream], ends[stream] = string[position], position == len(string) - 1
            self._positions[stream], self._started[stream] = position + 1, True
        return StreamStep(previous, current, ends)

    def state_dict(self) -> dict[str, Any]:
        """Everything :meth:`load_state_dict` needs to continue exactly here (plain Python types)."""
        return {"rng": self._rng.bit_generator.state, "strings": [string.tolist() for string in self._strings],
                "positions": list(self._positions), "started": list(self._started)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from a :meth:`state_dict` of streams with the same ``n_streams``."""
        if len(state["strings"]) != self.n_streams:
            raise ConfigError(f"the saved streams are {len(state['strings'])}, these are {self.n_streams}; "
                              "resume with the same number of streams.")
        self._rng.bit_generator.state = state["rng"]
        self._strings = [np.asarray(string, dtype=np.int64) for string in state["strings"]]
        self._positions, self._started = list(state["positions"]), list(state["started"])
