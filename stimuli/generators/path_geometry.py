"""Paths of paddles as in the authors' Pathfinder generator (Linsley et al. 2018, ``snakes2.py``).

A path is a chain of short straight paddles. In the authors' generator each new
paddle pivots about a point ``margin`` beyond the end of the previous one: it
starts ``margin`` past the pivot and runs ``length`` along its own heading, so
consecutive paddles are separated by ``2 * margin * cos(turn / 2)``. Its heading
turns from the previous one by an angle drawn with density proportional to
``cos(continuity * turn) ** 2`` for ``|turn| < 90° / continuity`` (continuity 1.8:
turns up to 50°, standard deviation 18.1°). A paddle may not come within
``margin`` of the margin band of any earlier paddle but its predecessor, i.e. the
centre lines of two paddles that are not neighbours stay ``width + 2 * margin``
apart. Here whole paths ("shapes") are drawn at once from those rules, in a
frame where the path starts at the origin, for many candidates and images in one
set of array operations; :mod:`~chronoscore.stimuli.generators.path_layout`
places them in images.

Coordinates are pixels: ``x`` along columns, ``y`` down the rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chronoscore.stimuli.generators.segments import point_segment_distance, segment_distance

__all__ = ["CONTINUITY", "REFERENCE_SIZE", "PaddleSizes", "turn_angles", "path_shapes",
           "shapes_self_clear"]

CONTINUITY = 1.8
"""The authors' ``continuity`` of the published Pathfinder sets (``snakes2_wrapper.py``)."""
REFERENCE_SIZE = 300
"""Side in pixels of the authors' images, for which the sizes below are given."""

_TURN_TABLE = 4097


def _inverse_turn_table() -> np.ndarray:
    """Turns at ``_TURN_TABLE`` equally spaced values of the cumulative distribution (0 to 1)."""
    limit = np.pi / (2 * CONTINUITY)
    grid = np.linspace(-limit, limit, 16 * _TURN_TABLE)
    cumulative = grid / 2 + np.sin(2 * CONTINUITY * grid) / (4 * CONTINUITY)
    cumulative = (cumulative - cumulative[0]) / (cumulative[-1] - cumulative[0])
    return np.interp(np.linspace(0.0, 1.0, _TURN_TABLE), cumulative, grid)


_INVERSE_TURNS = _inverse_turn_table()


@dataclass(frozen=True)
class PaddleSizes:
    """Sizes in pixels of one image's paths and markers.

    Attributes
    ----------
    length : float
        Paddle length (authors: 5 px at 300 px).
    width : float
        Paddle thickness (authors: 2 px).
    margin : float
        The authors' paddle margin (3 px): paddles of a path are ``2 * margin``
        apart, and centre lines of different paths at least ``width + 2 * margin``.
    marker_radius : float
        Marker disc radius (authors: 5 px).
    seed_distance : float
        Distance between the starts of the two long paths (authors: 27 px).
    padding : float
        Border kept free of paths (authors: 22 px).
    """

    length: float
    width: float
    margin: float
    marker_radius: float
    seed_distance: float
    padding: float

    @classmethod
    def for_image(cls, size: int) -> PaddleSizes:
        """The authors' 300-px sizes scaled to a ``size``-pixel image, with floors that keep
        paddles, gaps and markers visible in small images (at most 100 px; see the table in
        :mod:`~chronoscore.stimuli.generators.pathfinder`)."""
        unit = size / REFERENCE_SIZE
        width, margin, marker_radius = max(2 * unit, 1.0), max(3 * unit, 0.5), max(5 * unit, 1.5)
        return cls(length=max(5 * unit, 1.5), width=width, margin=margin, marker_radius=marker_radius,
                   seed_distance=max(27 * unit, marker_radius + 3 * margin + width),
                   padding=max(22 * unit, marker_radius + 1.0))

    @property
    def step(self) -> float:
        """Distance between the starts of consecutive paddles of a straight path."""
        return self.length + 2 * self.margin

    @property
    def clearance(self) -> float:
        """Least distance between the centre lines of two paddles that are not neighbours."""
        return self.width + 2 * self.margin

    @property
    def marker_clearance(self) -> float:
        """Least distance between a marker's centre and the centre line of a paddle it must not touch."""
        return self.marker_radius + 2 * self.margin + self.width / 2


def turn_angles(u: np.ndarray) -> np.ndarray:
    """Turns (radians) with density proportional to ``cos(CONTINUITY * turn) ** 2``, by inverse
    transform of uniform numbers ``u`` in [0, 1) (any shape; the inverse is tabulated and
    interpolated linearly)."""
    position = u * (_TURN_TABLE - 1)
    below = position.astype(np.int64)
    fraction = position - below
    return _INVERSE_TURNS[below] * (1 - fraction) + _INVERSE_TURNS[below + 1] * fraction


def path_shapes(headings: np.ndarray, turns: np.ndarray, sizes: PaddleSizes) -> np.ndarray:
    """Paddles of paths that start at the origin.

    Parameters
    ----------
    headings : (...) array
        Heading (radians) of each path's first paddle.
    turns : (..., L - 1) array
        Turn before each later paddle.
    sizes : PaddleSizes

    Returns
    -------
    (..., L, 2, 2) array: per paddle its start and end point (x, y). The first
    paddle starts at (0, 0); the path ends at ``[..., -1, 1]``.
    """
    angle = np.concatenate([headings[..., None], headings[..., None] + np.cumsum(turns, axis=-1)], axis=-1)
    direction = np.stack([np.cos(angle), np.sin(angle)], axis=-1)
    # start_{k+1} = start_k + (length + margin) * direction_k + margin * direction_{k+1}
    advance = (sizes.length + sizes.margin) * direction[..., :-1, :] + sizes.margin * direction[..., 1:, :]
    starts = np.concatenate([np.zeros_like(direction[..., :1, :]), np.cumsum(advance, axis=-2)], axis=-2)
    return np.stack([starts, starts + sizes.length * direction], axis=-2)


def shapes_self_clear(paddles: np.ndarray, sizes: PaddleSizes) -> np.ndarray:
    """(N,) whether each path (N, L, 2, 2) keeps its own non-neighbouring paddles apart and
    keeps its later paddles off the marker discs at both of its ends."""
    count, length = paddles.shape[:2]
    clear = np.ones(count, dtype=bool)
    starts, ends = paddles[:, :, 0], paddles[:, :, 1]
    first, second = np.triu_indices(length, k=2)
    if len(first):
        # Two paddles whose middles are farther apart than a paddle plus the clearance cannot be too near.
        middles = (starts + ends) / 2
        across_x = middles[:, first, 0] - middles[:, second, 0]
        across_y = middles[:, first, 1] - middles[:, second, 1]
        path, pair = np.nonzero(across_x * across_x + across_y * across_y < (sizes.length + sizes.clearance) ** 2)
        gaps = segment_distance(starts[path, first[pair]], ends[path, first[pair]], starts[path, second[pair]],
                                ends[path, second[pair]])
        clear[path[gaps < sizes.clearance]] = False
    if length > 2:
        from_origin = point_segment_distance(starts[:, :1], starts[:, 2:], ends[:, 2:])
        from_end = point_segment_distance(ends[:, -1:], starts[:, :-2], ends[:, :-2])
        clear &= np.all(from_origin >= sizes.marker_clearance, axis=1)
        clear &= np.all(from_end >= sizes.marker_clearance, axis=1)
    return clear
