"""The embedded Reber grammar (Reber 1967), as a symbol sequence task and as glyph frames.

A Reber string walks the grammar's transition graph from ``B`` to ``E``, each
state choosing one of its two outgoing edges with probability 1/2::

    start --B--> 0
    0 --T--> 1    0 --P--> 2
    1 --S--> 1    1 --X--> 3
    2 --T--> 2    2 --V--> 4
    3 --X--> 2    3 --S--> end
    4 --P--> 3    4 --V--> end
    end --E-->

The embedded grammar (Hochreiter & Schmidhuber 1997; used for Recurrent Sparse
Memory by Rawlinson et al. 2019) wraps one Reber string as
``B (T|P) <Reber string> (T|P) E`` where the second-to-last symbol repeats the
first choice. That symbol is the *predictable* one: only a network that
remembers the start of the string can foresee it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from chronoscore.errors import DataFormatError
from chronoscore.stimuli.generators.digit_sequences import bundled_digits
from chronoscore.stimuli.generators.registry import register_generator
from chronoscore.stimuli.generators.sequence_frames import check_count, sequence_stimulus_set, upscale_nearest
from chronoscore.stimuli.stimulus_set import StimulusSet

__all__ = ["REBER_SYMBOLS", "draw_reber_string", "reber_choices", "reber_digit_codes", "reber_sequences",
           "reber_indices", "reber_one_hot", "reber_stimuli"]

REBER_SYMBOLS = "BTPSXVE"
"""The grammar's alphabet; a symbol's position here is its index in one-hot codes."""

_END = -1
_GRAPH: dict[int, tuple[tuple[str, int], tuple[str, int]]] = {
    0: (("T", 1), ("P", 2)),
    1: (("S", 1), ("X", 3)),
    2: (("T", 2), ("V", 4)),
    3: (("X", 2), ("S", _END)),
    4: (("P", 3), ("V", _END)),
}
"""State -> its two (symbol, next state) edges."""

_GLYPHS = {
    "B": ("####.", "#...#", "####.", "#...#", "####."),
    "T": ("#####", "..#..", "..#..", "..#..", "..#.."),
    "P": ("####.", "#...#", "####.", "#....", "#...."),
    "S": (".####", "#....", ".###.", "....#", "####."),
    "X": ("#...#", ".#.#.", "..#..", ".#.#.", "#...#"),
    "V": ("#...#", "#...#", "#...#", ".#.#.", "..#.."),
    "E": ("#####", "#....", "####.", "#....", "#####"),
}
"""5x5 letter shapes drawn for each symbol."""


def reber_sequences(n: int, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """Draw ``n`` strings of the embedded Reber grammar.

    Parameters
    ----------
    n : int
        Number of strings.
    seed : int
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    strings : list of n str
        Strings over :data:`REBER_SYMBOLS`, e.g. ``"BTBPVVETE"``.
    predictable : (n,) int64 array
        Position of the predictable symbol in each string (its second-to-last),
        which always equals the string's second symbol.
    """
    n = check_count("n", n)
    rng = np.random.default_rng(seed)
    strings = [draw_reber_string(rng) for _ in range(n)]
    return strings, np.array([len(string) - 2 for string in strings], dtype=np.int64)


def draw_reber_string(rng: np.random.Generator) -> str:
    """One embedded Reber string ``B (T|P) <Reber string> (T|P) E`` drawn with ``rng``."""
    branch = "TP"[rng.integers(2)]
    return f"B{branch}{_reber_string(rng)}{branch}E"


def _reber_string(rng: np.random.Generator) -> str:
    """One (plain) Reber string, ``B`` ... ``E``, walked at random through the graph."""
    symbols, state = ["B"], 0
    while state != _END:
        symbol, state = _GRAPH[state][rng.integers(2)]
        symbols.append(symbol)
    return "".join(symbols) + "E"


def reber_choices(string: str) -> np.ndarray:
    """How many symbols the grammar allows after each proper prefix of an embedded Reber ``string``.

    Returns
    -------
    (len(string) - 1,) int64 array
        Entry t: the number of symbols that may follow ``string[:t + 1]`` (1 or 2);
        each allowed one has probability ``1 / choices``, so the best possible
        predictor is right with that probability.

    Raises
    ------
    DataFormatError
        If ``string`` is not an embedded Reber string.
    """
    inner = string[2:-2]
    if len(string) < 9 or string[:3] not in ("BTB", "BPB") or string[-2:] != f"{string[1]}E":
        raise DataFormatError(f"{string!r} is not an embedded Reber string B (T|P) <Reber string> (T|P) E.")
    choices, state = [2], 0  # after B: T or P
    choices.append(1)  # the inner B
    for symbol in inner[1:-1]:  # each inner symbol is one of its state's two edges
        edges = dict(_GRAPH[state]) if state != _END else {}
        if symbol not in edges:
            raise DataFormatError(f"{string!r} is not an embedded Reber string: {symbol!r} cannot follow here.")
        choices.append(len(edges))
        state = edges[symbol]
    if state != _END or inner[-1] != "E":
        raise DataFormatError(f"{string!r} is not an embedded Reber string: the inner string does not end.")
    choices += [1, 1, 1]  # the inner E, the repeated branch symbol, the final E
    return np.array(choices, dtype=np.int64)


def reber_indices(string: str) -> np.ndarray:
    """Indices into :data:`REBER_SYMBOLS` of each symbol of ``string``.

    Returns
    -------
    (len(string),) int64 array

    Raises
    ------
    DataFormatError
        If ``string`` holds a symbol outside the alphabet.
    """
    unknown = sorted(set(string) - set(REBER_SYMBOLS))
    if unknown:
        raise DataFormatError(f"Reber string {string!r} holds symbols {unknown} outside the alphabet "
                              f"{REBER_SYMBOLS!r}; draw strings with reber_sequences.")
    lookup = np.zeros(128, dtype=np.int64)
    lookup[np.frombuffer(REBER_SYMBOLS.encode("ascii"), dtype=np.uint8)] = np.arange(len(REBER_SYMBOLS))
    return lookup[np.frombuffer(string.encode("ascii"), dtype=np.uint8)]


def reber_one_hot(strings: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """One-hot codes of several strings, zero-padded to the longest.

    Parameters
    ----------
    strings : sequence of n str

    Returns
    -------
    codes : (n, max_length, 7) float32 array
        ``codes[i, t, k] == 1`` where symbol ``t`` of string ``i`` is ``REBER_SYMBOLS[k]``;
        all zero past the end of a string.
    lengths : (n,) int64 array
    """
    indices = [reber_indices(string) for string in strings]
    lengths = np.array([len(index) for index in indices], dtype=np.int64)
    codes = np.zeros((len(indices), int(lengths.max(initial=0)), len(REBER_SYMBOLS)), dtype=np.float32)
    for row, index in enumerate(indices):
        codes[row, np.arange(len(index)), index] = 1.0
    return codes, lengths


def reber_digit_codes() -> np.ndarray:
    """(7, 64) float32: each symbol of :data:`REBER_SYMBOLS` as one fixed 8x8 digit image, flattened, in [0, 1].

    As in the authors' release, which shows each symbol as the same MNIST image of
    one digit: the symbols in alphabetical order (B E P S T V X) are the digits 0 to
    6, each drawn as the first image of that digit in scikit-learn's bundled digits.
    """
    images, labels = bundled_digits()
    digits = [sorted(REBER_SYMBOLS).index(symbol) for symbol in REBER_SYMBOLS]
    return np.stack([images[np.flatnonzero(labels == digit)[0]].reshape(-1) for digit in digits])


@register_generator("reber", default_n=20, default_size=32)
def reber_stimuli(n: int, size: int, seed: int) -> StimulusSet:
    """``n`` embedded Reber strings, one frame per symbol showing its letter.

    Returns
    -------
    StimulusSet
        One row per symbol with columns ``sequence_id``, ``frame``, ``symbol`` and
        ``predictable`` (True at each string's predictable position); each frame is
        the symbol's 5x5 letter (with a one-cell margin) scaled to ``size`` pixels.
    """
    strings, predictable = reber_sequences(n, seed)
    lengths = np.array([len(string) for string in strings])
    symbols = np.array(list("".join(strings)))
    frame_indices = reber_indices("".join(strings))
    is_predictable = np.zeros(len(symbols), dtype=bool)
    is_predictable[np.cumsum(lengths) - lengths + predictable] = True
    frames = _glyphs(size)[frame_indices]
    return sequence_stimulus_set("reber", seed, frames, lengths, {"symbol": symbols, "predictable": is_predictable},
                                 {"n": n, "size": size})


def _glyphs(size: int) -> np.ndarray:
    """(7, size, size) float32 letter images of :data:`REBER_SYMBOLS`, white on black."""
    letters = np.array([[[cell == "#" for cell in row] for row in _GLYPHS[symbol]] for symbol in REBER_SYMBOLS])
    framed = np.pad(letters, ((0, 0), (1, 1), (1, 1)))
    return upscale_nearest(framed.astype(np.float32), size)
