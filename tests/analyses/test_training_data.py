"""The trainer's generated images: ImageNet-normalised RGB, or one grey channel in [0, 1] with a black background."""

import numpy as np
import torch

from chronoscore.analyses.training_data import generated_data, unit_gray
from chronoscore.models.training.recipe import DataSpec

MEAN, STD = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])


def test_unit_gray_undoes_the_normalisation_and_averages_the_channels():
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(2, 3, 5, 4))
    pixels[0, :, 0, 0] = 0  # a black pixel
    normalised = torch.tensor((pixels / 255 - MEAN[:, None, None]) / STD[:, None, None], dtype=torch.float32)
    grey = unit_gray(normalised)
    assert grey.shape == (2, 1, 5, 4)
    np.testing.assert_allclose(grey.numpy()[:, 0], pixels.mean(axis=1) / 255, atol=1e-7)
    assert grey[0, 0, 0, 0].item() == 0.0


def test_generated_pathfinder_images_become_grey_with_a_black_background():
    spec = DataSpec(generator="pathfinder", options={"path_length": 3}, train_n=4, generated_size=32,
                    image_size=32, label="label", input="unit_gray")
    images = generated_data(spec).train.tensors[0]
    assert images.shape == (4, 1, 32, 32)
    assert images.min().item() == 0.0 and 0.5 < images.max().item() <= 1.0
    assert (images == 0).float().mean() > 0.5  # mostly background
    imagenet = generated_data(DataSpec(**{**spec.__dict__, "input": "imagenet"})).train.tensors[0]
    torch.testing.assert_close(unit_gray(imagenet), images)
