"""Pathfinder cannot be solved by simple statistics: marker distance (band and logistic), total
ink, ink near each marker, the markers' positions, the number of path ends and a logistic
regression on 8 x 8-downsampled pixels all stay at most 0.60 held-out accuracy (300 training,
300 held-out images) at every path length; and the same classifiers catch the first generator,
whose marker distance alone gave the label away.

The first generator's sample (``data/pathfinder_v1_sample.npz``: labels and marker centres of 600
images of 48 px, seed 11, path lengths 6 and 14) was made by its frozen copy, ``benchmarks/frozen/pathfinder_v1.py``
(``python benchmarks/frozen/pathfinder_v1.py OUT.npz``), because drawing it takes minutes.
``python -m tests.stimuli.shortcut_grid`` prints the accuracies of this grid as a table.
"""

from pathlib import Path

import numpy as np
import pytest

from chronoscore.stimuli.generators.registry import generate
from tests.stimuli.shortcut_classifiers import CLASSIFIERS, PathfinderSample, shortcut_accuracies

N_TRAIN = 300
LIMIT = 0.60
SEEDS = (0, 1, 2)
GRID = {6: 48, 9: 48, 14: 48, 20: 96, 25: 150}
"""Path length -> image size of the shortcut test (long paths need larger images)."""
FIRST_GENERATOR = Path(__file__).parent / "data" / "pathfinder_v1_sample.npz"


def pathfinder_sample(size: int, path_length: int, seed: int, n: int = 2 * N_TRAIN) -> PathfinderSample:
    """``n`` generated images as a :class:`PathfinderSample` (path ends: two per path)."""
    stimuli = generate("pathfinder", n=n, size=size, seed=seed, path_length=path_length)
    table = stimuli.table
    markers = table[["marker1_x", "marker1_y", "marker2_x", "marker2_y"]].to_numpy().reshape(-1, 2, 2)
    return PathfinderSample(stimuli.pixels[..., 0], table["label"].to_numpy(), markers,
                            2 * (2 + table["distractors_placed"].to_numpy()))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("path_length", sorted(GRID))
def test_no_simple_statistic_solves_pathfinder(path_length, seed):
    accuracies = shortcut_accuracies(pathfinder_sample(GRID[path_length], path_length, seed), N_TRAIN)
    assert len(accuracies) == 7
    solved = {name: accuracy for name, accuracy in accuracies.items() if accuracy > LIMIT}
    assert not solved, f"path length {path_length}, seed {seed}: {solved}"


@pytest.mark.parametrize("path_length,least", [(6, 0.9), (14, 0.7)])
def test_the_classifiers_catch_the_first_generators_marker_distance_shortcut(path_length, least):
    """Only the marker classifiers: the frozen sample keeps labels and marker centres, not pixels."""
    arrays = np.load(FIRST_GENERATOR)
    labels, markers = arrays[f"labels_{path_length}"], arrays[f"markers_{path_length}"]
    sample = PathfinderSample(np.zeros((len(labels), 48, 48), dtype=np.uint8), labels, markers,
                              np.zeros(len(labels)))
    train, test = sample.part(slice(0, N_TRAIN)), sample.part(slice(N_TRAIN, None))
    assert CLASSIFIERS["marker distance, band"](train, test) > least
    assert CLASSIFIERS["marker distance, logistic (quadratic)"](train, test) > LIMIT


def test_the_classifiers_catch_a_label_that_follows_marker_distance():
    """A mutation of the current generator: labels replaced by "markers closer than the median"."""
    sample = pathfinder_sample(48, 6, seed=0)
    distance = np.linalg.norm(sample.markers[:, 0] - sample.markers[:, 1], axis=1)
    leaky = PathfinderSample(sample.images, (distance < np.median(distance)).astype(int), sample.markers,
                             sample.path_ends)
    assert shortcut_accuracies(leaky, N_TRAIN)["marker distance, band"] > 0.9
