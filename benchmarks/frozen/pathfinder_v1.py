"""Frozen copy of chronoscore's first ``pathfinder`` generator (version 1), kept only as a reference.

This is the generator that ``pathfinder`` replaced because the distance between
its markers alone told the classes apart (a band on that distance classifies
held-out 48 px images of path length 6 at about 0.95). It is kept here, outside
the package, so that ``bench_pathfinder.py`` can time it beside the current
generator and ``tests/stimuli/test_pathfinder_shortcuts.py`` can show that the
shortcut classifiers catch it. Nothing in the package imports it. The code is
the package's own former ``path_geometry.py``, ``segments.py`` and
``strokes.py`` and the scene and rendering parts of ``pathfinder.py``, unchanged
apart from being gathered into one file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

MarkerLayout = Literal["same", "different", "single"]


def point_segment_distance(points: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Euclidean distance from points to segments.

    Parameters
    ----------
    points, starts, ends : (..., 2) arrays, broadcast against each other

    Returns
    -------
    (...) array of distances
    """
    along_x, along_y = ends[..., 0] - starts[..., 0], ends[..., 1] - starts[..., 1]
    from_x, from_y = points[..., 0] - starts[..., 0], points[..., 1] - starts[..., 1]
    squared_length = np.maximum(along_x * along_x + along_y * along_y, 1e-12)
    projection = np.clip((from_x * along_x + from_y * along_y) / squared_length, 0.0, 1.0)
    return np.hypot(from_x - projection * along_x, from_y - projection * along_y)


def segment_distance(first_starts: np.ndarray, first_ends: np.ndarray,
                     second_starts: np.ndarray, second_ends: np.ndarray) -> np.ndarray:
    """Smallest distance between two sets of segments (0 where they cross).

    Parameters
    ----------
    first_starts, first_ends, second_starts, second_ends : (..., 2) arrays, broadcast

    Returns
    -------
    (...) array of distances
    """
    ends = np.minimum.reduce([
        point_segment_distance(first_starts, second_starts, second_ends),
        point_segment_distance(first_ends, second_starts, second_ends),
        point_segment_distance(second_starts, first_starts, first_ends),
        point_segment_distance(second_ends, first_starts, first_ends),
    ])
    crossing = ((_turn(second_starts, second_ends, first_starts) * _turn(second_starts, second_ends, first_ends) < 0)
                & (_turn(first_starts, first_ends, second_starts) * _turn(first_starts, first_ends, second_ends) < 0))
    return np.where(crossing, 0.0, ends)


def _turn(origin: np.ndarray, towards: np.ndarray, point: np.ndarray) -> np.ndarray:
    """z component of (towards - origin) x (point - origin): its sign tells the side ``point`` lies on."""
    a, b = towards - origin, point - origin
    return a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]



def draw_capsules(size: int, starts: np.ndarray, ends: np.ndarray, radius: float | np.ndarray) -> np.ndarray:
    """Coverage of a square image by capsules.

    Parameters
    ----------
    size : int
        Image side in pixels.
    starts, ends : (S, 2) float arrays
        End points (x, y) of each capsule's segment, in pixels; equal ends draw a disc.
    radius : float or (S,) array
        Half-width of each capsule, in pixels.

    Returns
    -------
    (size, size) float64 array in [0, 1]
    """
    canvas = np.zeros((size, size))
    starts, ends = np.asarray(starts, dtype=float), np.asarray(ends, dtype=float)
    if len(starts) == 0:
        return canvas
    radius = np.broadcast_to(np.asarray(radius, dtype=float), (len(starts),))
    middles = (starts + ends) / 2
    reach = np.linalg.norm(ends - starts, axis=1) / 2 + radius + 1
    half = int(np.ceil(reach.max()))
    offsets = np.arange(-half, half + 1)
    corner = np.floor(middles).astype(int)
    columns = corner[:, 0, None, None] + offsets[None, None, :]
    rows = corner[:, 1, None, None] + offsets[None, :, None]
    columns, rows = np.broadcast_arrays(columns, rows)
    centres = np.stack([columns + 0.5, rows + 0.5], axis=-1)
    distance = point_segment_distance(centres, starts[:, None, None, :], ends[:, None, None, :])
    coverage = np.clip(radius[:, None, None] + 0.5 - distance, 0.0, 1.0)
    inside = (rows >= 0) & (rows < size) & (columns >= 0) & (columns < size) & (coverage > 0)
    np.maximum.at(canvas, (rows[inside], columns[inside]), coverage[inside])
    return canvas


MAX_TURN_DEGREES = 30.0
"""Largest change of direction between consecutive paddles."""


_CANDIDATES = 12
_BACKTRACK = 3
_STEPS_PER_PADDLE = 6
_PATH_ATTEMPTS = 20
_SCENE_ATTEMPTS = 8
_MAX_FILL = 0.42


@dataclass(frozen=True)
class PaddleSizes:
    """Sizes in pixels: paddle length, gap between paddles, paddle width, marker radius and
    the margin kept between the edges of different paths."""

    length: float
    gap: float
    width: float
    marker_radius: float
    margin: float

    @classmethod
    def for_image(cls, size: int) -> PaddleSizes:
        """Sizes for a ``size``-pixel image, as in the 150-pixel pathfinder images, with floors
        that keep paddles, gaps and markers visible in small images."""
        unit = size / 150
        return cls(length=max(5 * unit, 2.0), gap=max(2 * unit, 1.0), width=max(1.5 * unit, 1.0),
                   marker_radius=max(3 * unit, 1.5), margin=max(4 * unit, 2.5))


@dataclass(frozen=True, eq=False)
class PathScene:
    """One pathfinder image's geometry.

    Attributes
    ----------
    paths : tuple of (n_paddles, 2, 2) float arrays
        Per path, the (start, end) points (x, y) of each paddle in order. Paths 0
        and 1 are the two long paths, the rest distractors.
    markers : (M, 2) float array
        Marker centres, each on an end of a long path (M = 2, or 1 for segmentation).
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


def build_scene(rng: np.random.Generator, size: int, *, path_length: int, distractor_length: int,
                n_distractors: int, markers: MarkerLayout) -> PathScene:
    """Draw a scene with two paths of ``path_length`` paddles and ``n_distractors`` of ``distractor_length``.

    Raises
    ------
    ConfigError
        If the paths do not fit after many attempts (too many or too long paths for
        the image).
    """
    sizes = PaddleSizes.for_image(size)
    lengths = [path_length] * 2 + [distractor_length] * n_distractors
    # Each paddle claims a strip (length + gap) long and (width + margin) wide; random placement
    # jams long before the strips tile the image, so refuse at once when they would fill over 42 % of it.
    claimed = sum(lengths) * (sizes.length + sizes.gap) * (sizes.width + sizes.margin)
    room = (size - 2 * (sizes.marker_radius + 1.0)) ** 2
    for _ in range(_SCENE_ATTEMPTS if claimed < _MAX_FILL * room else 0):
        paths = _place_paths(rng, size, sizes, lengths)
        if paths is not None:
            return _mark(rng, paths, sizes, markers)
    raise ConfigError(
        f"could not fit 2 paths of {path_length} paddles and {n_distractors} distractors of {distractor_length} "
        f"into a {size}-pixel image; lower n_distractors or path_length, or raise the image size.")


def _place_paths(rng: np.random.Generator, size: int, sizes: PaddleSizes,
                 lengths: list[int]) -> list[np.ndarray] | None:
    """Grow paths of the given lengths one after another (the first two with marker discs); None if one fails."""
    obstacles = _Capsules.empty()
    paths = []
    for number, length in enumerate(lengths):
        marked = number < 2
        path = _grow_path(rng, size, sizes, length, obstacles, marked)
        if path is None:
            return None
        obstacles = obstacles.plus(path[:, 0], path[:, 1], sizes.width / 2)
        if marked:
            ends = np.array([path[0, 0], path[-1, 1]])
            obstacles = obstacles.plus(ends, ends, sizes.marker_radius)
        paths.append(path)
    return paths


def _grow_path(rng: np.random.Generator, size: int, sizes: PaddleSizes, length: int,
               obstacles: _Capsules, marked: bool) -> np.ndarray | None:
    """(length, 2, 2) paddles of a new path clear of ``obstacles``, or None after many attempts.

    With ``marked``, discs of the marker radius at both ends must be clear too.
    """
    border = sizes.marker_radius + 1.0
    for _ in range(_PATH_ATTEMPTS):
        start = rng.uniform(border, size - border, 2)
        if marked and not obstacles.clear(start[None], start[None], sizes.marker_radius, sizes.margin)[0]:
            continue
        path = _extend(rng, start, size, sizes, length, obstacles, marked)
        if path is not None:
            return path
    return None


def _extend(rng: np.random.Generator, start: np.ndarray, size: int, sizes: PaddleSizes, length: int,
            obstacles: _Capsules, marked: bool) -> np.ndarray | None:
    """Add paddles from ``start`` with random turns, backing up a few paddles at a dead end.

    Each paddle tries :data:`_CANDIDATES` random turns and keeps the first that is
    inside the image and clear of ``obstacles`` and of the path's own paddles
    except the previous one (and of its start disc, if ``marked``).
    """
    border, half_width = sizes.marker_radius + 1.0, sizes.width / 2
    max_turn = np.deg2rad(MAX_TURN_DEGREES)
    begins: list[np.ndarray] = []
    ends: list[np.ndarray] = []
    headings: list[float] = []
    for _ in range(_STEPS_PER_PADDLE * length):
        count = len(ends)
        if count == length:
            return np.stack([np.array(begins), np.array(ends)], axis=1)
        if count == 0:
            tip, turns = start, rng.uniform(0, 2 * np.pi, _CANDIDATES)
        else:
            tip, turns = ends[-1], headings[-1] + rng.uniform(-max_turn, max_turn, _CANDIDATES)
        direction = np.stack([np.cos(turns), np.sin(turns)], axis=1)
        begin = tip + (sizes.gap if count else 0.0) * direction
        end = begin + sizes.length * direction
        blockers = obstacles.plus(np.array(begins[:-1]).reshape(-1, 2), np.array(ends[:-1]).reshape(-1, 2),
                                  half_width)
        if marked and count >= 2:
            blockers = blockers.plus(start[None], start[None], sizes.marker_radius)
        fits = (_inside(begin, border, size) & _inside(end, border, size)
                & blockers.clear(begin, end, half_width, sizes.margin))
        if marked and count == length - 1:
            fits &= obstacles.clear(end, end, sizes.marker_radius, sizes.margin)
        if fits.any():
            choice = int(np.argmax(fits))
            begins.append(begin[choice])
            ends.append(end[choice])
            headings.append(float(turns[choice]))
        else:
            del begins[-_BACKTRACK:], ends[-_BACKTRACK:], headings[-_BACKTRACK:]
    return None


def _inside(points: np.ndarray, border: float, size: int) -> np.ndarray:
    """(C,) whether each point (C, 2) lies at least ``border`` inside the image."""
    return np.all((points >= border) & (points <= size - border), axis=1)


@dataclass(frozen=True, eq=False)
class _Capsules:
    """Capsules (segments (E, 2) to (E, 2) with radii (E,)) that new paddles and discs must keep clear of."""

    starts: np.ndarray
    ends: np.ndarray
    radii: np.ndarray

    @classmethod
    def empty(cls) -> _Capsules:
        return cls(np.empty((0, 2)), np.empty((0, 2)), np.empty(0))

    def plus(self, starts: np.ndarray, ends: np.ndarray, radius: float) -> _Capsules:
        """These capsules and more, with end points (k, 2) and one radius."""
        return _Capsules(np.concatenate([self.starts, starts]), np.concatenate([self.ends, ends]),
                         np.concatenate([self.radii, np.full(len(starts), radius)]))

    def clear(self, starts: np.ndarray, ends: np.ndarray, radius: float, margin: float) -> np.ndarray:
        """(C,) whether each candidate capsule (C, 2) keeps ``margin`` between its edge and every capsule's."""
        centre = (starts.mean(axis=0) + ends.mean(axis=0)) / 2
        reach = np.max(np.linalg.norm(np.concatenate([starts, ends]) - centre, axis=1))
        near = point_segment_distance(centre, self.starts, self.ends) < reach + self.radii + radius + margin
        if not near.any():
            return np.ones(len(starts), dtype=bool)
        gaps = segment_distance(starts[:, None], ends[:, None], self.starts[near], self.ends[near])
        return np.all(gaps >= self.radii[near] + radius + margin, axis=1)


def _mark(rng: np.random.Generator, paths: list[np.ndarray], sizes: PaddleSizes,
          layout: MarkerLayout) -> PathScene:
    """Put the markers on ends of the long paths (``paths[k][0, 0]`` starts and ``[-1, 1]`` ends path k)."""
    ends = [[path[0, 0], path[-1, 1]] for path in paths[:2]]
    if layout == "same":
        first = int(rng.integers(2))
        points, owners = [ends[0][first], ends[0][1 - first]], (0, 0)
    elif layout == "different":
        first = int(rng.integers(2))
        owners = (first, 1 - first)
        points = [ends[owner][int(rng.integers(2))] for owner in owners]
    else:
        points, owners = [ends[0][int(rng.integers(2))]], (0,)
    return PathScene(tuple(paths), np.array(points), owners, sizes)


def pathfinder_v1_images(n: int, size: int, seed: int, path_length: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` classification images of the first generator (even indices positive).

    Returns
    -------
    images : (n, size, size) uint8 array
    labels : (n,) int array (1 = both markers on one path)
    markers : (n, 2, 2) float array of the marker centres (x, y)
    """
    distractor_length = max(2, path_length // 3)
    images, labels, markers = [], [], []
    for index in range(n):
        rng = np.random.default_rng(np.random.SeedSequence([seed, index]))
        scene = build_scene(rng, size, path_length=path_length, distractor_length=distractor_length,
                            n_distractors=30 // distractor_length, markers="same" if index % 2 == 0 else "different")
        paddles = np.concatenate(scene.paths)
        strokes = draw_capsules(size, paddles[:, 0], paddles[:, 1], scene.sizes.width / 2)
        discs = draw_capsules(size, scene.markers, scene.markers, scene.sizes.marker_radius)
        images.append(np.round(np.maximum(strokes, discs) * 255).astype(np.uint8))
        labels.append(int(scene.connected))
        markers.append(scene.markers)
    return np.stack(images), np.array(labels), np.stack(markers)


def write_sample(path: str, size: int = 48, seed: int = 11, n: int = 600, lengths: tuple[int, ...] = (6, 14)) -> None:
    """Write the labels and marker centres of ``n`` images per path length as a compressed ``.npz``
    (keys ``labels_<L>``, ``markers_<L>``; the frozen sample of the shortcut test)."""
    arrays = {}
    for length in lengths:
        _, labels, markers = pathfinder_v1_images(n, size, seed, length)
        arrays.update({f"labels_{length}": labels, f"markers_{length}": markers})
    np.savez_compressed(path, **arrays)


if __name__ == "__main__":
    import sys

    write_sample(sys.argv[1])
