"""Recorded activity is freed as soon as it is used: each area once projected, the check's once compared."""

from __future__ import annotations

import gc
import warnings
import weakref

import numpy as np
import torch
from torch import nn

from chronoscore.analyses.extraction._activity_batches import activity_batches
from chronoscore.analyses.extraction._extract import _projected
from chronoscore.analyses.extraction._projection import RandomProjection
from chronoscore.analyses.extraction._verified_rewrites import prepared_model


class RecordingModel(nn.Module):
    """Returns fresh (T, B, C, H, W) activity per area and keeps weak references to what it returned."""

    areas = ("low", "high")

    def __init__(self) -> None:
        super().__init__()
        self.returned: list[weakref.ref] = []

    def forward_timesteps(self, images, n_steps=None, areas=None):
        activity = {area: torch.randn(2, len(images), 3, 8, 8) for area in areas}
        self.returned.extend(weakref.ref(values) for values in activity.values())
        return activity


class Images(torch.utils.data.Dataset):
    def __len__(self) -> int:
        return 4

    def __getitem__(self, index: int):
        return torch.zeros(3, 8, 8), index


def alive(references: list[weakref.ref]) -> int:
    gc.collect()
    return sum(reference() is not None for reference in references)


def test_a_yielded_area_is_referenced_only_by_the_yielded_batch():
    model = RecordingModel()
    batches = activity_batches(model, Images(), ["low", "high"], None, 2, torch.device("cpu"), flatten=False,
                               progress=False)
    _, activity = next(batches)
    assert alive(model.returned) == 2
    del activity["low"]
    assert alive(model.returned) == 1  # the generator, paused, holds no reference to it
    batches.close()


def test_projecting_a_batch_frees_each_areas_activity_before_the_next_batch():
    model = RecordingModel()
    batches = activity_batches(model, Images(), ["low", "high"], None, 2, torch.device("cpu"), progress=False)
    seen = []
    for _, projected in _projected(batches, RandomProjection(10)):
        seen.append(alive(model.returned))
        assert {area: tuple(values.shape) for area, values in projected.items()} == {"low": (2, 2, 10),
                                                                                      "high": (2, 2, 10)}
        assert np.isfinite(projected["low"].numpy()).all()
    assert seen == [0, 0]  # the recorded activity of the batch is gone once it is projected


class DeterministicModel(RecordingModel):
    """Each area's activity is the images twice over, (2, B, 3, 8, 8): the same in every pass."""

    def forward_timesteps(self, images, n_steps=None, areas=None):
        return {area: torch.stack([images, images + 1.0]) for area in areas}


def live_recordings(shape: tuple[int, ...]) -> int:
    gc.collect()
    with warnings.catch_warnings():  # isinstance on every object touches deprecated torch attributes
        warnings.simplefilter("ignore", FutureWarning)
        return sum(1 for item in gc.get_objects() if isinstance(item, torch.Tensor) and tuple(item.shape) == shape)


def test_the_checks_recordings_are_not_held_while_the_extraction_runs():
    model = DeterministicModel()
    with prepared_model(model, torch.device("cpu"), torch.rand(3, 3, 8, 8), ["low", "high"], None):
        assert live_recordings((2, 3, 3, 8, 8)) == 0
        recorded = model.forward_timesteps(torch.rand(3, 3, 8, 8), None, ["low"])
        assert live_recordings((2, 3, 3, 8, 8)) == 1  # the scan sees recordings that are alive
        del recorded
