"""Simple classifiers that would solve a Pathfinder set without following its paths.

Each takes training and held-out sets (images, labels, marker centres, number of
path ends) and returns its held-out accuracy. A generator without shortcuts keeps
every one near chance. Features are computed here from the pixels and the
marker coordinates, never by the generator under test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler

INK_RADII = (3.0, 6.0, 10.0)
"""Radii (in units of image size / 48 pixels) of the discs around each marker whose ink is summed."""


@dataclass(frozen=True)
class PathfinderSample:
    """Images (N, H, W) grey uint8, labels (N,), marker centres (N, 2, 2) as (x, y), path ends (N,)."""

    images: np.ndarray
    labels: np.ndarray
    markers: np.ndarray
    path_ends: np.ndarray

    def part(self, rows: slice) -> PathfinderSample:
        return PathfinderSample(self.images[rows], self.labels[rows], self.markers[rows], self.path_ends[rows])


def marker_distance(sample: PathfinderSample) -> np.ndarray:
    """(N, 1) Euclidean distance between the two markers."""
    return np.linalg.norm(sample.markers[:, 0] - sample.markers[:, 1], axis=1)[:, None]


def total_ink(sample: PathfinderSample) -> np.ndarray:
    """(N, 1) sum of all pixel values."""
    return sample.images.reshape(len(sample.images), -1).sum(axis=1, dtype=np.float64)[:, None]


def ink_near_markers(sample: PathfinderSample) -> np.ndarray:
    """(N, 2 * len(INK_RADII)) ink within each radius of each marker."""
    size = sample.images.shape[1]
    rows, columns = np.indices((size, size))
    features = []
    for marker in range(2):
        x = sample.markers[:, marker, 0, None, None]
        y = sample.markers[:, marker, 1, None, None]
        distance = np.hypot(columns + 0.5 - x, rows + 0.5 - y)
        for radius in INK_RADII:
            inside = distance <= radius * size / 48
            features.append((sample.images * inside).sum(axis=(1, 2), dtype=np.float64))
    return np.stack(features, axis=1)


def marker_positions(sample: PathfinderSample) -> np.ndarray:
    """(N, 4) x and y of both markers."""
    return sample.markers.reshape(len(sample.markers), 4)


def path_ends(sample: PathfinderSample) -> np.ndarray:
    """(N, 1) number of path ends in the image."""
    return sample.path_ends[:, None].astype(np.float64)


def downsampled_pixels(sample: PathfinderSample) -> np.ndarray:
    """(N, 64) the images averaged over an 8 x 8 grid of blocks (image sides cropped to a multiple of 8)."""
    count, size = sample.images.shape[:2]
    block = size // 8
    cropped = sample.images[:, :8 * block, :8 * block].astype(np.float64)
    return cropped.reshape(count, 8, block, 8, block).mean(axis=(2, 4)).reshape(count, 64)


def band_accuracy(train: np.ndarray, train_labels: np.ndarray, test: np.ndarray, test_labels: np.ndarray) -> float:
    """Held-out accuracy of the best rule "class c if lo <= value <= hi" on one feature, fitted on ``train``.

    Band edges are searched among the training values' 2.5 % quantiles; the class
    inside the band is whichever fits the training set better.
    """
    edges = np.quantile(train, np.linspace(0, 1, 41))
    best = (-1.0, 0.0, 0.0, 1)
    for low_index, low in enumerate(edges):
        for high in edges[low_index:]:
            inside = (train >= low) & (train <= high)
            for inside_class in (0, 1):
                accuracy = np.mean(np.where(inside, inside_class, 1 - inside_class) == train_labels)
                if accuracy > best[0]:
                    best = (accuracy, low, high, inside_class)
    _, low, high, inside_class = best
    predicted = np.where((test >= low) & (test <= high), inside_class, 1 - inside_class)
    return float(np.mean(predicted == test_labels))


def logistic_accuracy(train: np.ndarray, train_labels: np.ndarray, test: np.ndarray, test_labels: np.ndarray,
                      degree: int = 1) -> float:
    """Held-out accuracy of a logistic regression on standardised (polynomial) features."""
    steps = [PolynomialFeatures(degree, include_bias=False)] if degree > 1 else []
    model = make_pipeline(*steps, StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))
    model.fit(train, train_labels)
    return float(model.score(test, test_labels))


Classifier = Callable[[PathfinderSample, PathfinderSample], float]


def _on(feature: Callable[[PathfinderSample], np.ndarray], fit: Callable[..., float], **options) -> Classifier:
    def classify(train: PathfinderSample, test: PathfinderSample) -> float:
        train_x, test_x = feature(train), feature(test)
        if fit is band_accuracy:
            return fit(train_x[:, 0], train.labels, test_x[:, 0], test.labels)
        return fit(train_x, train.labels, test_x, test.labels, **options)

    return classify


CLASSIFIERS: dict[str, Classifier] = {
    "marker distance, band": _on(marker_distance, band_accuracy),
    "marker distance, logistic (quadratic)": _on(marker_distance, logistic_accuracy, degree=2),
    "total ink, band": _on(total_ink, band_accuracy),
    "ink near the markers, logistic": _on(ink_near_markers, logistic_accuracy),
    "marker positions, logistic (quadratic)": _on(marker_positions, logistic_accuracy, degree=2),
    "number of path ends, band": _on(path_ends, band_accuracy),
    "8x8 pixels, logistic": _on(downsampled_pixels, logistic_accuracy),
}
"""Name -> classifier(train, test) -> held-out accuracy."""


def shortcut_accuracies(sample: PathfinderSample, n_train: int) -> dict[str, float]:
    """Held-out accuracy of every classifier, trained on the first ``n_train`` images and tested on the rest."""
    train, test = sample.part(slice(0, n_train)), sample.part(slice(n_train, None))
    return {name: classify(train, test) for name, classify in CLASSIFIERS.items()}
