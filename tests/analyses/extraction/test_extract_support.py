"""Tiny models, stimulus sets and a by-hand extraction shared by the extraction tests (no tests here)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from chronoscore.models import ConvRNN, wrap_model
from chronoscore.stimuli import StimulusSet, load_batch

IMAGE_SIZE = 32


@pytest.fixture(autouse=True)
def one_cpu_thread():
    """Tiny tensors run faster on one thread of the shared 2-core machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def tiny_convrnn(seed: int = 0, n_steps: int = 6, **kwargs) -> ConvRNN:
    """``convrnn_shallow_rgc`` at 32 px and 1/16 width: areas of 256, 128, 64, 16 and 32 features.

    Built from its class, so that no test process needs the zoo's torchvision baselines.
    """
    torch.manual_seed(seed)
    options = {"input_size": IMAGE_SIZE, "width": 1 / 16, "n_classes": 10, "n_steps": n_steps, **kwargs}
    return ConvRNN("shallow", "rgc", **options)


def stimulus_set(n: int = 5, seed: int = 0, identifier: str = "test.extract", degrees: float = 10.0) -> StimulusSet:
    """``n`` random non-square images (20 x 24 px) with text, integer, float and boolean metadata."""
    pixels = np.random.default_rng(seed).integers(0, 256, size=(n, 20, 24, 3), dtype=np.uint8)
    table = pd.DataFrame({
        "stimulus_id": [f"s{seed}_{index:02d}" for index in range(n)],
        "object_name": [["car", "cat", "dog"][index % 3] for index in range(n)],
        "variation": np.arange(n) % 2 * 3,
        "scale": np.linspace(0.5, 1.5, n),
        "flipped": np.arange(n) % 2 == 0,
    })
    return StimulusSet(table, identifier, degrees, pixels=pixels)


class TwoStepNet(nn.Module):
    """A convolution then one block applied twice (as CORnet reuses its blocks): T = 1 and T = 2."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 4, 3, stride=2, padding=1), nn.ReLU())
        self.block = nn.Sequential(nn.Conv2d(4, 4, 3, padding=1), nn.Tanh())
        self.pool = nn.AdaptiveAvgPool2d(2)
        self.head = nn.Linear(16, 3)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = self.stem(images)
        x = self.block(self.block(x))
        return self.head(self.pool(x).flatten(1))


def tiny_wrapped(seed: int = 0) -> nn.Module:
    """TwoStepNet wrapped: ``stem`` (4 x 16 x 16 = 1024 features, T = 1), ``block`` (1024, T = 2), ``pool`` (16)."""
    torch.manual_seed(seed)
    return wrap_model(TwoStepNet(), {"stem": "stem", "block": "block", "pool": "pool"}, n_steps=2)


def by_hand(model: nn.Module, stimuli: StimulusSet, image_size: int = IMAGE_SIZE, model_degrees: float = 8.0,
            areas=None, n_steps=None) -> dict[str, np.ndarray]:
    """Each area's activity for all stimuli in one pass: {area: (N, F, T) float32}, F in C, H, W order."""
    images = load_batch(stimuli, range(len(stimuli)), image_size, model_degrees)
    was_training = model.training
    model.eval()
    with torch.no_grad():
        recorded = model.forward_timesteps(images, n_steps, areas)
    model.train(was_training)
    return {area: values.reshape(values.shape[0], values.shape[1], -1).permute(1, 2, 0).numpy()
            for area, values in recorded.items()}
