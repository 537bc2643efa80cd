"""Representational dissimilarity matrices (RDMs) and their comparison.

An RDM holds, for every pair of stimuli, how different the response patterns to
them are: ``1 − Pearson r`` between the two patterns (Kriegeskorte et al.
2008, Brain-Score's ``rdm``) or their Euclidean distance. Two RDMs are compared
on their upper triangles (the diagonal is zero by construction) by Spearman's
rank correlation (Brain-Score's choice), Kendall's tau-a, which does not reward
a model for predicting ties it cannot know about (Nili et al. 2014), or Pearson r.

:class:`RankedTriangle` ranks an RDM's triangle once; the ranks of any subset
of stimuli (a cross-validation split, :class:`PairSubset`) then follow in linear
time, without a sort, and so does Spearman's ρ of two untied triangles on it
(:func:`untied_spearman`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any, Literal, NamedTuple
from weakref import WeakKeyDictionary

import numpy as np

from chronoscore.errors import ConfigError, DataFormatError
from chronoscore.neural_fit.value_order import sorted_order

__all__ = ["RdmKind", "Comparison", "RDM_KINDS", "COMPARISONS", "rdm", "upper_triangle", "pair_mask",
           "kendall_tau_a", "compare_rdms", "compare_triangles", "PairSubset", "RankedTriangle",
           "untied_spearman", "MaskCounts"]

RdmKind = Literal["correlation", "euclidean"]
Comparison = Literal["spearman", "kendall_tau_a", "pearson"]
RDM_KINDS: tuple[str, ...] = ("correlation", "euclidean")
COMPARISONS: tuple[str, ...] = ("spearman", "kendall_tau_a", "pearson")


class _made_once:
    """A property made on first use and kept on the instance, as ``functools.cached_property`` but without
    its lock shared by all instances (Python < 3.12), so that threads make it for different instances at
    once (two threads making it for one instance both get the same value)."""

    def __init__(self, make: Callable) -> None:
        self.make, self.name, self.__doc__ = make, make.__name__, make.__doc__

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        if instance is None:
            return self
        value = self.make(instance)
        instance.__dict__[self.name] = value
        return value


def rdm(features: np.ndarray, kind: RdmKind = "correlation") -> np.ndarray:
    """The dissimilarity of every pair of stimulus patterns.

    Parameters
    ----------
    features : (N, D) array
        One response pattern per stimulus.
    kind : {"correlation", "euclidean"}
        ``1 − Pearson r`` between two patterns (over the D features), or their
        Euclidean distance.

    Returns
    -------
    (N, N) float64 array
        Symmetric with a zero diagonal; for ``correlation``, rows and columns of
        a stimulus whose pattern is constant are NaN (its correlation is undefined).
    """
    if kind not in RDM_KINDS:
        raise ConfigError(f"the RDM kind must be one of {', '.join(RDM_KINDS)}; got {kind!r}.")
    values = np.asarray(features, dtype=np.float64)
    if values.ndim != 2 or values.shape[0] < 2:
        raise DataFormatError(f"features must be (stimuli >= 2, features), got shape {values.shape}.")
    if kind == "euclidean":
        squared = np.einsum("ij,ij->i", values, values)
        distances = squared[:, None] + squared[None, :] - 2.0 * (values @ values.T)
        distances = np.sqrt(np.maximum(distances, 0.0))
        np.fill_diagonal(distances, 0.0)
        return distances
    unit = values - values.mean(axis=1, keepdims=True)
    norms = np.sqrt(np.einsum("ij,ij->i", unit, unit))
    with np.errstate(invalid="ignore", divide="ignore"):
        unit /= np.where(norms > 0, norms, np.nan)[:, None]
    dissimilarity = unit @ unit.T   # one symmetric product (BLAS syrk); the rest in place
    np.clip(dissimilarity, -1.0, 1.0, out=dissimilarity)
    np.subtract(1.0, dissimilarity, out=dissimilarity)
    np.fill_diagonal(dissimilarity, np.where(norms > 0, 0.0, np.nan))
    return dissimilarity


def upper_triangle(matrix: np.ndarray) -> np.ndarray:
    """Entries above the diagonal of a square (N, N) matrix, row by row: (N (N − 1) / 2,)."""
    matrix = np.asarray(matrix)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise DataFormatError(f"an RDM must be a square matrix, got shape {matrix.shape}.")
    return matrix[_above_diagonal(matrix.shape[0])]


@lru_cache(maxsize=4)
def _above_diagonal(n: int) -> np.ndarray:
    """(N, N) bool, True above the diagonal (boolean indexing walks it row by row)."""
    stimuli = np.arange(n)
    return stimuli[:, None] < stimuli[None, :]


def pair_mask(n: int, stimuli: np.ndarray) -> np.ndarray:
    """(N (N − 1) / 2,) bool: the pairs of an N-stimulus triangle whose two stimuli are both in ``stimuli``."""
    return PairSubset(n, stimuli).mask


def kendall_tau_a(x: np.ndarray, y: np.ndarray) -> float:
    """Kendall's tau-a: (concordant − discordant pairs) / all pairs, ties counting as neither.

    Parameters
    ----------
    x, y : (M,) arrays

    Notes
    -----
    O(M log M) (Knight 1966): with ``n0 = M (M − 1) / 2`` pairs, ``n1`` tied in
    x, ``n2`` tied in y and ``n3`` tied in both, concordant + discordant =
    ``n0 − n1 − n2 + n3``; the discordant pairs are the strict inversions of y
    once the pairs are sorted by x and then y. No loop runs over pairs.
    """
    x, y = np.asarray(x, dtype=np.float64).ravel(), np.asarray(y, dtype=np.float64).ravel()
    if x.shape != y.shape or x.size < 2:
        raise DataFormatError(f"tau-a needs two vectors of one length >= 2, got {x.size} and {y.size} values.")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise DataFormatError("tau-a needs finite values; drop the NaN or infinite entries first.")
    x_rank, y_rank = np.unique(x, return_inverse=True)[1], np.unique(y, return_inverse=True)[1]
    joint_rank = x_rank.astype(np.int64) * x.size + y_rank
    order = np.lexsort((y_rank, x_rank))
    discordant = _strict_inversions(y_rank[order])
    n_pairs = x.size * (x.size - 1) // 2
    untied = n_pairs - _tied_pairs(x_rank) - _tied_pairs(y_rank) + _tied_pairs(joint_rank)
    return (untied - 2 * discordant) / n_pairs


def _tied_pairs(ranks: np.ndarray) -> int:
    """Pairs of entries with equal value."""
    counts = np.unique(ranks, return_counts=True)[1].astype(np.int64)
    return int((counts * (counts - 1) // 2).sum())


def _strict_inversions(ranks: np.ndarray) -> int:
    """Pairs i < j with ranks[i] > ranks[j] (non-negative integer ranks), by bottom-up merging.

    At each level, blocks of ``width`` sorted values are paired; for every value
    of a right block, the values of its left block that exceed it are counted
    with one global ``searchsorted`` (keys offset by the pair's index), then each
    pair of blocks is merged by one sort of the same keys.
    """
    values = np.asarray(ranks, dtype=np.int64)
    size, span = values.size, int(values.max()) + 1
    positions = np.arange(size)
    total, width = 0, 1
    while width < size:
        block = positions // width
        pair, right = block // 2, block % 2 == 1
        keys = pair * span + values
        left_keys = keys[~right]  # sorted: each block is sorted and pairs increase
        not_above = np.searchsorted(left_keys, keys[right], side="right")
        pair_end = np.searchsorted(left_keys, (pair[right] + 1) * span, side="left")
        total += int((pair_end - not_above).sum())
        values = np.sort(keys) - pair * span  # pairs keep their positions, so pair index is unchanged
        width *= 2
    return total


def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson r of two vectors; NaN when either is constant."""
    x, y = x - x.mean(), y - y.mean()
    denominator = np.sqrt(np.dot(x, x) * np.dot(y, y))
    return float(np.dot(x, y) / denominator) if denominator > 0 else float("nan")


def compare_triangles(first: np.ndarray, second: np.ndarray, method: Comparison = "spearman") -> float:
    """Similarity of two RDM triangles (M,) by ``method``; NaN when either is constant (Spearman, Pearson)."""
    if method == "spearman":
        return _pearson(_average_ranks(first), _average_ranks(second))
    if method == "kendall_tau_a":
        return kendall_tau_a(first, second)
    if method == "pearson":
        return _pearson(first, second)
    raise ConfigError(f"the RDM comparison must be one of {', '.join(COMPARISONS)}; got {method!r}.")


def compare_rdms(a: np.ndarray, b: np.ndarray, method: Comparison = "spearman") -> float:
    """Correlation of two (N, N) RDMs over their upper triangles.

    Raises
    ------
    DataFormatError
        If the RDMs differ in size or hold NaNs above the diagonal.
    """
    first, second = upper_triangle(a), upper_triangle(b)
    if first.shape != second.shape:
        raise DataFormatError(f"the RDMs cover different stimuli: {np.shape(a)} and {np.shape(b)}.")
    if not (np.isfinite(first).all() and np.isfinite(second).all()):
        raise DataFormatError("an RDM holds NaN or infinite dissimilarities (a constant response pattern?); "
                              "drop those stimuli or features first.")
    return compare_triangles(first, second, method)


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..M, ties given their mean rank (scipy's ``rankdata``)."""
    order = np.argsort(values, kind="stable")
    return _ranks_in_order(values[order], order, values.size)


def _ranks_in_order(sorted_values: np.ndarray, order: np.ndarray, size: int) -> np.ndarray:
    """Average ranks of ``size`` values given them sorted (``sorted_values = values[order]``)."""
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    ends = np.r_[starts[1:], sorted_values.size]
    ranks = np.empty(size)
    ranks[order] = np.repeat((starts + ends + 1) / 2.0, ends - starts)
    return ranks


class PairSubset:
    """The pairs of a subset of N stimuli: a selector of RDM triangle entries, reused for every comparison on them.

    Parameters
    ----------
    n : int
        Stimuli of the whole RDM.
    stimuli : (m,) int array
        The subset.
    """

    def __init__(self, n: int, stimuli: np.ndarray) -> None:
        self.n = n
        self.keep = np.zeros(n, dtype=bool)
        self.keep[stimuli] = True
        self._counts: WeakKeyDictionary[RankedTriangle, MaskCounts] = WeakKeyDictionary()

    @_made_once
    def mask(self) -> np.ndarray:
        """(N (N − 1) / 2,) bool: the triangle's pairs whose two stimuli are in the subset (:func:`pair_mask`)."""
        return upper_triangle(self.keep[:, None] & self.keep[None, :])

    @_made_once
    def dropped_pairs(self) -> np.ndarray | None:
        """Triangle indices of the pairs with a stimulus outside the subset (a pair of two such stimuli twice);
        None when these would be more than a third of all pairs."""
        dropped = np.flatnonzero(~self.keep)
        if 3 * dropped.size * (self.n - 1) > self.n * (self.n - 1) // 2:
            return None
        others = np.arange(self.n)[None, :]
        low, high = np.minimum(dropped[:, None], others), np.maximum(dropped[:, None], others)
        indices = low * (2 * self.n - low - 1) // 2 + (high - low - 1)   # row-major place of (low, high), low < high
        return indices[low != high]

    def counts(self, triangle: RankedTriangle) -> MaskCounts:
        """The :class:`MaskCounts` of :meth:`in_order` of ``triangle``, made once per triangle."""
        if triangle not in self._counts:
            self._counts[triangle] = MaskCounts(self.in_order(triangle))
        return self._counts[triangle]

    def in_order(self, triangle: RankedTriangle) -> np.ndarray:
        """The same mask taken along ``triangle``'s sorted order (``mask[triangle.order]``).

        When few stimuli are left out (e.g. a split comparing 90 % of them), the pairs
        they touch are cleared from an all-true mask at their sorted places; otherwise
        the mask is read off the sorted order's stimulus pairs.
        """
        dropped = self.dropped_pairs
        if dropped is None:
            rows, columns = triangle.sorted_pairs
            return self.keep[rows] & self.keep[columns]
        kept = np.ones(triangle.values.size, dtype=bool)
        kept[triangle.position[dropped]] = False
        return kept


class RankedTriangle:
    """An RDM's upper triangle, sorted once (when first ranked), whose subsets are ranked in linear time.

    Parameters
    ----------
    matrix : (N, N) array
        A finite RDM.

    Notes
    -----
    Without ties in the whole triangle, the rank of a value within a subset is
    the count of subset values at or below it in the whole triangle's order: one
    cumulative sum over that order. With ties, the subset's values are walked in
    that order and tied runs take their mean rank.
    """

    def __init__(self, matrix: np.ndarray) -> None:
        self.values = upper_triangle(matrix)
        self.n = matrix.shape[0]
        self._positions_in: WeakKeyDictionary[RankedTriangle, np.ndarray] = WeakKeyDictionary()

    @_made_once
    def _sorted(self) -> _Sorted:
        """The triangle's :class:`_Sorted`."""
        return _sort_triangle(self.values)

    @property
    def order(self) -> np.ndarray:
        """Indices that sort the triangle."""
        return self._sorted.order

    @property
    def position(self) -> np.ndarray:
        """Each value's place in :attr:`order` (``order``'s inverse)."""
        return self._sorted.position

    @property
    def tied(self) -> bool:
        """Whether two entries of the triangle are equal."""
        return self._sorted.tied

    @_made_once
    def sorted_pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """The two stimuli (row, column) of each triangle entry, in :attr:`order`."""
        rows, columns = _triangle_pairs(self.n)
        return rows[self.order], columns[self.order]

    def positions_of(self, other: RankedTriangle) -> np.ndarray:
        """Where each entry of ``other``'s sorted order lies in this one's (``position[other.order]``), made once."""
        if other not in self._positions_in:
            self._positions_in[other] = self.position[other.order]
        return self._positions_in[other]

    def subset_ranks(self, pairs: np.ndarray) -> np.ndarray:
        """Average ranks of the values at ``pairs`` (bool mask from :func:`pair_mask`), in triangle order;
        equal to ``scipy.stats.rankdata(self.values[pairs])``."""
        if not self.tied:
            return MaskCounts(pairs[self.order]).at(self.position[pairs]).astype(np.float64)
        kept = self.order[pairs[self.order]]           # the subset's pairs, in sorted order
        within = np.cumsum(pairs) - 1                  # each kept pair's index within the subset
        return _ranks_in_order(self.values[kept], within[kept], int(within[-1]) + 1)

    def warm(self, other: RankedTriangle) -> None:
        """Make what Spearman comparisons with ``other`` on any subset share, before they run on several
        threads: both sorts, their ties and the positions of this triangle's entries in ``other``'s order."""
        if self._untied_with(other):
            other.positions_of(self)

    def release(self, other: RankedTriangle) -> None:
        """Drop the positions :meth:`warm` placed (20 MB at 3200 stimuli; the sorts stay)."""
        other._positions_in.pop(self, None)

    def _untied_with(self, other: RankedTriangle) -> bool:
        """Whether Spearman with ``other`` takes :func:`untied_spearman`."""
        return not (self.tied or other.tied) and self.values.size < 2**31   # m² terms must fit int64

    def compare(self, other: RankedTriangle, pairs: PairSubset, method: Comparison) -> float:
        """:func:`compare_triangles` of this and ``other`` restricted to ``pairs``."""
        if method == "spearman":
            if self._untied_with(other):
                return untied_spearman(self, other, pairs)
            return _pearson(self.subset_ranks(pairs.mask), other.subset_ranks(pairs.mask))
        return compare_triangles(self.values[pairs.mask], other.values[pairs.mask], method)


class _Sorted(NamedTuple):
    """A triangle's sort: ``order`` (indices that sort it), ``position`` (each value's place in ``order``)
    and whether two of its values are equal (``tied``)."""

    order: np.ndarray
    position: np.ndarray
    tied: bool


def _sort_triangle(values: np.ndarray) -> _Sorted:
    """The :class:`_Sorted` of (M,) finite ``values`` (:func:`chronoscore.neural_fit.value_order.sorted_order`)."""
    order, tied = sorted_order(values)
    position = np.empty(values.size, dtype=_index_type(values.size))
    position[order] = np.arange(values.size, dtype=position.dtype)
    return _Sorted(order, position, tied)


def untied_spearman(first: RankedTriangle, second: RankedTriangle, pairs: PairSubset) -> float:
    """Spearman ρ of two triangles without ties, restricted to ``pairs``, from their orders alone.

    The subset's ranks in ``first`` are 1..m along its sorted order; those in
    ``second`` are a cumulative count along its own order, looked up through the
    positions of ``first``'s entries there. Without ties, ρ is the correlation of
    two permutations of 1..m: ``Σ (2a − m − 1)(2b − m − 1) / (m (m² − 1) / 3)``.
    As the centred ``2a − m − 1`` sum to zero, the numerator is ``2 Σ (2a − m − 1) b``,
    summed exactly in integers. NaN for fewer than two pairs.

    The sum runs over blocks of ``first``'s order (64 K entries), so that each
    block's look-ups and products stay in cache.
    """
    kept = pairs.in_order(first)
    m = int(np.count_nonzero(kept))
    if m < 2:
        return float("nan")
    counts, positions = pairs.counts(second), second.positions_of(first)
    block = min(_SPEARMAN_BLOCK, max(1, 2**62 // (m * m)))   # each term is below m²: a block's int64 sum fits
    total, done = 0, 0
    for start in range(0, kept.size, block):
        ranks = counts.at(np.compress(kept[start:start + block], positions[start:start + block]))
        along = np.arange(1 - m + 2 * done, 1 - m + 2 * (done + ranks.size), 2, dtype=np.int64)
        total += int(np.dot(along, ranks))
        done += ranks.size
    return 2 * total / (m * (m * m - 1) // 3)


_SPEARMAN_BLOCK = 1 << 16
"""Entries of a triangle's order that :func:`untied_spearman` sums at a time."""


class MaskCounts:
    """How many entries of a bool mask are true up to and including any place: ``np.cumsum(mask)[places]``.

    Parameters
    ----------
    mask : (M,) bool array

    Notes
    -----
    With numpy's ``bitwise_count`` (numpy >= 2), the mask is kept packed in
    32-bit words (M / 8 bytes) with the count of the words before each: a
    place's count is its word's count plus the bits of its word up to it, and
    the random look-ups stay in cache, where a cumulative count of M entries
    (4 M bytes) would not. 32-bit words halve the memory the look-ups stream
    through against 64-bit ones. Older numpy keeps the cumulative count.
    """

    def __init__(self, mask: np.ndarray) -> None:
        self._cumulative: np.ndarray | None = None
        if not hasattr(np, "bitwise_count"):
            self._cumulative = np.cumsum(mask, dtype=_index_type(mask.size))
            return
        packed = np.packbits(mask, bitorder="little")
        words = np.zeros(-(-packed.size // 4) * 4, dtype=np.uint8)
        words[:packed.size] = packed
        self._words = words.view(np.uint32)
        self._before = np.zeros(self._words.size, dtype=_index_type(mask.size))
        np.cumsum(np.bitwise_count(self._words[:-1]), out=self._before[1:])

    def at(self, places: np.ndarray) -> np.ndarray:
        """(K,) counts at (K,) int ``places`` (indices into the mask, in any order)."""
        if self._cumulative is not None:
            return self._cumulative[places]
        word = np.right_shift(places, 5)
        bits = self._words.take(word)
        bits &= _UP_TO_BIT.take(np.bitwise_and(places, 31))
        counts = self._before.take(word)
        counts += np.bitwise_count(bits)
        return counts


_UP_TO_BIT = np.array([(2 << bit) - 1 for bit in range(32)], dtype=np.uint32)
"""Word masks of bits 0..k, for k = 0..31."""


@lru_cache(maxsize=2)
def _triangle_pairs(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column stimulus of each entry of an N-stimulus upper triangle, row by row (smallest int type)."""
    rows, columns = np.triu_indices(n, k=1)
    kind = np.int16 if n < 2**15 else np.int32
    return rows.astype(kind), columns.astype(kind)


def _index_type(size: int) -> type:
    return np.int32 if size < 2**31 else np.int64
