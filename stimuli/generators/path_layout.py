"""Pathfinder scenes for many images at once, with marker distances equal in both classes.

A scene holds two long paths, A and B, and distractors. As in the authors'
generator the two long paths start ``seed_distance`` apart and the first marker
sits on A's start ``a0``. The second marker sits on A's end ``a1`` (positive) or
on B's end ``b1`` (negative). Unlike the authors' generator, B is placed so that
``|b1 - a0| == |a1 - a0|``: its start ``b0`` lies on the circle of radius
``seed_distance`` around ``a0`` and its end on the circle of radius ``|a1 - a0|``,
which fixes B's position up to a rotation about ``a0`` and a mirror image (both
drawn at random). Every scene is built without knowing its label, so the two
classes have the same distribution of scenes, and within a scene the two places
for the second marker are equally far from the first: the distance between the
markers carries no information about the label.

Placement, per image:

1. A: candidate shapes (:func:`~chronoscore.stimuli.generators.path_geometry.path_shapes`)
   translated uniformly among the positions that keep every paddle ``padding``
   inside the image and ``a0`` at least ``2 * seed_distance`` from the border (the
   authors' rule for the first seed); the first candidate that keeps its own
   paddles apart is kept.
2. B: candidate shapes whose end-to-end distance makes the triangle
   (``a0``, ``b0``, ``b1``) possible, placed as above; kept when inside the image,
   clear of A and of the marker discs at ``a0``, ``a1`` and ``b1``, and when the
   pair also fits mirrored about the bisector of ``a1`` and ``b1`` seen from
   ``a0``. Half of the pairs (by a random draw) are mirrored: the mirror swaps
   the places of ``a1`` and ``b1``, so the two places for the second marker are
   distributed alike, also near the border where fitting a path constrains it.
3. Distractors, one after another: candidates translated uniformly inside the
   image, kept when clear of everything placed. A distractor with no clear
   candidate is left out, as the authors' generator does (``allow_incomplete``).

If no candidate of A and B fits, the image tries again with fresh random numbers
(up to :data:`ATTEMPTS` times). Image ``i`` draws only from keys made of
``(seed, i, ...)``, so it is the same in any batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chronoscore.errors import ConfigError
from chronoscore.stimuli.generators.counter_random import image_keys, uniforms
from chronoscore.stimuli.generators.path_geometry import PaddleSizes, path_shapes, shapes_self_clear, turn_angles
from chronoscore.stimuli.generators.segments import point_segment_distance, segment_distance

__all__ = ["ATTEMPTS", "PathScene", "SceneBatch", "layout_scenes"]

ATTEMPTS = 500
"""Fresh tries of an image's two long paths before giving up."""
_LONG_CANDIDATES = 8
_DISTRACTOR_CANDIDATES = 6
_FAR = -1.0e6
"""Coordinate of obstacle slots not (yet) used: far from every image."""
_STAGE_A, _STAGE_B, _STAGE_DISTRACTORS = 0, 1, 2


@dataclass(frozen=True, eq=False)
class SceneBatch:
    """Geometry of a batch of pathfinder scenes.

    Attributes
    ----------
    long_paths : (B, 2, L, 2, 2) float array
        Paddles (start and end points, x and y) of A (``[:, 0]``) and B (``[:, 1]``).
    distractors : (B, D, Ld, 2, 2) float array
        Paddles of the distractors; only those with ``placed`` are in the image.
    placed : (B, D) bool array
    ends : (B, 3, 2) float array
        ``a0`` (A's start), ``a1`` (A's end) and ``b1`` (B's end).
    sizes : PaddleSizes
    """

    long_paths: np.ndarray
    distractors: np.ndarray
    placed: np.ndarray
    ends: np.ndarray
    sizes: PaddleSizes

    def scene(self, row: int, marker_ends: tuple[int, ...]) -> PathScene:
        """Scene ``row`` with markers on ``ends[row, marker_ends]`` (0: ``a0``, 1: ``a1``, 2: ``b1``)."""
        paths = (*self.long_paths[row], *self.distractors[row][self.placed[row]])
        owners = tuple(1 if end == 2 else 0 for end in marker_ends)
        return PathScene(paths, self.ends[row, list(marker_ends)], owners, self.sizes)


def layout_scenes(seed: int, indices: np.ndarray, size: int, *, path_length: int, distractor_length: int,
                  n_distractors: int) -> SceneBatch:
    """Scenes of images ``indices`` (B,) of ``seed``.

    Raises
    ------
    ConfigError
        If the two long paths of an image do not fit after :data:`ATTEMPTS` tries.
    """
    indices = np.asarray(indices, dtype=np.int64)
    sizes = PaddleSizes.for_image(size)
    count = len(indices)
    long_paths = np.zeros((count, 2, path_length, 2, 2))
    pending = np.arange(count)
    for attempt in range(ATTEMPTS):
        if len(pending) == 0:
            break
        done, pair = _long_pair(seed, indices[pending], attempt, size, sizes, path_length)
        long_paths[pending[done]] = pair
        pending = pending[~done]
    if len(pending):
        raise ConfigError(
            f"could not fit 2 paths of {path_length} paddles into a {size}-pixel image (image {indices[pending[0]]}, "
            f"{ATTEMPTS} tries); lower path_length or raise the image size.")
    ends = np.stack([long_paths[:, 0, 0, 0], long_paths[:, 0, -1, 1], long_paths[:, 1, -1, 1]], axis=1)
    obstacles = np.full((count, 2 * path_length + n_distractors * distractor_length, 2, 2), _FAR)
    obstacles[:, :2 * path_length] = long_paths.reshape(count, -1, 2, 2)
    distractors = np.zeros((count, n_distractors, distractor_length, 2, 2))
    placed = np.zeros((count, n_distractors), dtype=bool)
    for number in range(n_distractors):
        keys = image_keys(seed, indices, _STAGE_DISTRACTORS, number)
        placed[:, number], distractors[:, number] = _distractor(keys, obstacles, ends, size, sizes,
                                                                distractor_length)
        first = 2 * path_length + number * distractor_length
        obstacles[placed[:, number], first:first + distractor_length] = distractors[placed[:, number], number]
    return SceneBatch(long_paths, distractors, placed, ends, sizes)


def _candidate_shapes(keys: np.ndarray, candidates: int, length: int, sizes: PaddleSizes,
                      extra: int) -> tuple[np.ndarray, np.ndarray]:
    """Shapes (B, K, length, 2, 2) from each key's stream, and ``extra`` more uniforms (B, K, extra)."""
    draws = uniforms(keys, candidates * (length + extra)).reshape(len(keys), candidates, length + extra)
    shapes = path_shapes(2 * np.pi * draws[..., 0], turn_angles(draws[..., 1:length]), sizes)
    return shapes, draws[..., length:]


def _uniform_translation(shapes: np.ndarray, draws: np.ndarray, low: float, high: float,
                         start_low: float = -np.inf, start_high: float = np.inf) -> tuple[np.ndarray, np.ndarray]:
    """Translations (..., 2) drawn uniformly among those that put every point of ``shapes``
    (..., L, 2, 2) between ``low`` and ``high`` and the start between ``start_low`` and
    ``start_high``, and (...) whether any exists."""
    points = shapes.reshape(*shapes.shape[:-3], -1, 2)
    smallest = np.maximum(low - points.min(axis=-2), start_low)
    largest = np.minimum(high - points.max(axis=-2), start_high)
    possible = np.all(largest >= smallest, axis=-1)
    return smallest + draws * (largest - smallest), possible


def _first(valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(B,) index of the first true candidate per row of ``valid`` (B, K), and whether there is one."""
    return np.argmax(valid, axis=1), valid.any(axis=1)


def _where_clear(shapes: np.ndarray, candidates: np.ndarray, sizes: PaddleSizes) -> np.ndarray:
    """``candidates`` (B, K) bool narrowed to the shapes that keep their own paddles apart (checked only there)."""
    clear = candidates.copy()
    clear[candidates] = shapes_self_clear(shapes[candidates], sizes)
    return clear


def _clear_of(candidates: np.ndarray, obstacles: np.ndarray, markers: np.ndarray, sizes: PaddleSizes) -> np.ndarray:
    """(B, K) whether candidate paths keep ``clearance`` from obstacle paddles and ``marker_clearance``
    from marker centres.

    Parameters
    ----------
    candidates : (B, K, P, 2, 2) array
    obstacles : (B, E, 2, 2) array
        Paddles already placed (unused slots far outside the image).
    markers : (B, M, 2) array
    sizes : PaddleSizes
    """
    starts, ends = candidates[..., 0, :], candidates[..., 1, :]
    from_markers = point_segment_distance(markers[:, None, None], starts[..., None, :], ends[..., None, :])
    clear = np.all(from_markers >= sizes.marker_clearance, axis=(2, 3))
    # Two paddles whose middles are farther apart than a paddle plus the clearance cannot be too near;
    # look for such pairs only among the obstacles near the circle around each candidate's middles.
    reach = sizes.length + sizes.clearance
    middles = (starts + ends) / 2
    obstacle_middles = (obstacles[:, :, 0] + obstacles[:, :, 1]) / 2
    centres = middles.mean(axis=2)
    spread = np.sqrt(_squared_distance(middles, centres[:, :, None]).max(axis=2))
    image, candidate, obstacle = np.nonzero(_squared_distance(centres[:, :, None], obstacle_middles[:, None])
                                            < (spread[:, :, None] + reach) ** 2)
    pair, paddle = np.nonzero(_squared_distance(middles[image, candidate], obstacle_middles[image, obstacle][:, None])
                              < reach ** 2)
    image, candidate, obstacle = image[pair], candidate[pair], obstacle[pair]
    gaps = segment_distance(starts[image, candidate, paddle], ends[image, candidate, paddle],
                            obstacles[image, obstacle, 0], obstacles[image, obstacle, 1])
    near = gaps < sizes.clearance
    clear[image[near], candidate[near]] = False
    return clear


def _long_pair(seed: int, indices: np.ndarray, attempt: int, size: int, sizes: PaddleSizes,
               length: int) -> tuple[np.ndarray, np.ndarray]:
    """One try at A and B for each image: (B,) success and (successes, 2, L, 2, 2) paths."""
    count = len(indices)
    # A: a0 at least twice the seed distance from the border, every paddle inside the padding.
    shapes, draws = _candidate_shapes(image_keys(seed, indices, _STAGE_A, attempt), _LONG_CANDIDATES, length,
                                      sizes, 3)
    seed_border = 2 * sizes.seed_distance
    shift, possible = _uniform_translation(shapes, draws[..., :2], sizes.padding, size - sizes.padding, seed_border,
                                           size - seed_border)
    chord = np.linalg.norm(shapes[..., -1, 1, :] - shapes[..., 0, 0, :], axis=-1)
    candidates = possible & (chord >= 2 * sizes.marker_radius + 2 * sizes.margin)
    choice, found = _first(_where_clear(shapes, candidates, sizes))
    rows = np.arange(count)
    path_a = (shapes + shift[..., None, None, :])[rows, choice]
    path_b, placed_b, axis = _path_b(seed, indices, attempt, path_a, size, sizes, length)
    # Mirror half of the pairs about the bisector of a1 and b1 (seen from a0), which swaps where the two
    # ends lie: the places of the second marker are then alike in both classes, near borders too.
    flip = draws[rows, choice, 2] < 0.5
    path_a[flip] = _mirror(path_a[flip], path_a[flip, 0, 0], axis[flip])
    path_b[flip] = _mirror(path_b[flip], path_a[flip, 0, 0], axis[flip])
    done = found & placed_b
    return done, np.stack([path_a, path_b], axis=1)[done]


def _path_b(seed: int, indices: np.ndarray, attempt: int, path_a: np.ndarray, size: int, sizes: PaddleSizes,
            length: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """B for each image given A (B, L, 2, 2): (B, L, 2, 2) paths, (B,) whether one fits, and (B, 2) the unit
    bisector of the directions from ``a0`` to ``a1`` and ``b1``; the pair also fits when mirrored about it."""
    count = len(indices)
    shapes, draws = _candidate_shapes(image_keys(seed, indices, _STAGE_B, attempt), _LONG_CANDIDATES, length,
                                      sizes, 2)
    a0, a1 = path_a[:, None, 0, 0], path_a[:, None, -1, 1]
    radius = np.linalg.norm(a1 - a0, axis=-1)
    chord_vector = shapes[..., -1, 1, :] - shapes[..., 0, 0, :]
    chord = np.linalg.norm(chord_vector, axis=-1)
    seed_distance = sizes.seed_distance
    cosine = (seed_distance ** 2 + radius ** 2 - chord ** 2) / (2 * seed_distance * radius)
    opening = np.arccos(np.clip(cosine, -1, 1)) * np.where(draws[..., 1] < 0.5, -1.0, 1.0)
    towards_b0 = 2 * np.pi * draws[..., 0]
    b0 = a0 + seed_distance * _unit(towards_b0)
    b1 = a0 + radius[..., None] * _unit(towards_b0 + opening)
    placed = _rotate(shapes, _angle(b1 - b0) - _angle(chord_vector)) + b0[..., None, None, :]
    axis = (a1 - a0) / radius[..., None] + (b1 - a0) / radius[..., None]
    opposite = np.linalg.norm(axis, axis=-1) < 1e-9
    across = np.broadcast_to(np.stack([-(a1 - a0)[..., 1], (a1 - a0)[..., 0]], axis=-1), axis.shape)
    axis[opposite] = across[opposite]
    axis /= np.linalg.norm(axis, axis=-1, keepdims=True)
    mirrored_a = _mirror(np.broadcast_to(path_a[:, None], placed.shape), a0, axis)
    inside = _inside(placed, size, sizes) & _inside(_mirror(placed, a0, axis), size, sizes)
    inside &= _inside(mirrored_a, size, sizes)
    apart = np.linalg.norm(b1 - a1, axis=-1) >= 2 * sizes.marker_radius + 2 * sizes.margin
    b1_clear = point_segment_distance(b1[:, :, None], path_a[:, None, :, 0], path_a[:, None, :, 1]).min(axis=-1)
    candidates = _where_clear(shapes, (np.abs(cosine) <= 1) & inside & apart & (b1_clear >= sizes.marker_clearance),
                              sizes)
    rows, columns = np.nonzero(candidates)
    candidates[rows, columns] = _clear_of(placed[rows, columns][:, None], path_a[rows],
                                          np.stack([a0[rows, 0], a1[rows, 0]], axis=1), sizes)[:, 0]
    choice, found = _first(candidates)
    rows = np.arange(count)
    return placed[rows, choice], found, axis[rows, choice]


def _inside(paths: np.ndarray, size: int, sizes: PaddleSizes) -> np.ndarray:
    """(...) whether every point of paths (..., L, 2, 2) keeps the padding from the border."""
    points = paths.reshape(*paths.shape[:-3], -1, 2)
    return np.all((points >= sizes.padding) & (points <= size - sizes.padding), axis=(-2, -1))


def _mirror(paths: np.ndarray, origin: np.ndarray, axis: np.ndarray) -> np.ndarray:
    """Paths (..., L, 2, 2) reflected about the lines through ``origin`` (..., 2) along unit ``axis`` (..., 2)."""
    offset = paths - origin[..., None, None, :]
    along = offset[..., 0] * axis[..., None, None, 0] + offset[..., 1] * axis[..., None, None, 1]
    return origin[..., None, None, :] + 2 * along[..., None] * axis[..., None, None, :] - offset


def _distractor(keys: np.ndarray, obstacles: np.ndarray, ends: np.ndarray, size: int, sizes: PaddleSizes,
                length: int) -> tuple[np.ndarray, np.ndarray]:
    """One distractor of ``length`` paddles per image: (B,) whether placed and (B, Ld, 2, 2) paddles."""
    shapes, draws = _candidate_shapes(keys, _DISTRACTOR_CANDIDATES, length, sizes, 2)
    shift, possible = _uniform_translation(shapes, draws, sizes.padding, size - sizes.padding)
    placed = shapes + shift[..., None, None, :]
    candidates = _where_clear(shapes, possible, sizes)
    candidates &= _clear_of(placed, obstacles, ends, sizes)
    choice, found = _first(candidates)
    return found, placed[np.arange(len(keys)), choice]


def _squared_distance(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """(...) squared distances between points (..., 2), broadcast."""
    across_x, across_y = first[..., 0] - second[..., 0], first[..., 1] - second[..., 1]
    return across_x * across_x + across_y * across_y


def _unit(angle: np.ndarray) -> np.ndarray:
    """(..., 2) unit vectors at ``angle`` (...)."""
    return np.stack([np.cos(angle), np.sin(angle)], axis=-1)


def _angle(vectors: np.ndarray) -> np.ndarray:
    """(...) direction (radians) of vectors (..., 2)."""
    return np.arctan2(vectors[..., 1], vectors[..., 0])


def _rotate(shapes: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """``shapes`` (..., L, 2, 2) rotated about the origin by ``angle`` (...)."""
    cosine, sine = np.cos(angle)[..., None, None], np.sin(angle)[..., None, None]
    x, y = shapes[..., 0], shapes[..., 1]
    return np.stack([cosine * x - sine * y, sine * x + cosine * y], axis=-1)


@dataclass(frozen=True, eq=False)
class PathScene:
    """One pathfinder image's geometry.

    Attributes
    ----------
    paths : tuple of (n_paddles, 2, 2) float arrays
        Per path, the (start, end) points (x, y) of each paddle in order: A, B,
        then the placed distractors.
    markers : (M, 2) float array
        Marker centres (M = 2, or 1 for segmentation).
    marker_paths : tuple of int
        Index into ``paths`` of the path each marker sits on.
    sizes : PaddleSizes
    """

    paths: tuple[np.ndarray, ...]
    markers: np.ndarray
    marker_paths: tuple[int, ...]
    sizes: PaddleSizes

    @property
    def connected(self) -> bool:
        """Whether two markers sit on the same path (the positive class)."""
        return len(self.marker_paths) == 2 and self.marker_paths[0] == self.marker_paths[1]
