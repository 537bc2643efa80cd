"""The released hGRU front end: its 25 filters from their parameters, and the biased, squared drive."""

import math

import numpy as np
import pytest
import torch

from chronoscore.models.layers.gabor import GaborDrive, release_gabor_bank


def expected_release_filter(size, index, n_orientations=12):
    """One filter of the authors' bank, pixel by pixel (HMAX S1: λ 3.5, σ 2.8, aspect 0.3)."""
    radius = (size - 1) // 2
    if index == 2 * n_orientations:  # luminance: the disc, mean 1 over the square
        disc = [[1.0 if (r - radius) ** 2 + (c - radius) ** 2 <= radius ** 2 else 0.0 for c in range(size)]
                for r in range(size)]
        disc = np.array(disc)
        return disc * size * size / disc.sum()
    orientation = math.pi * (index % n_orientations) / n_orientations
    phase = 0.0 if index < n_orientations else math.radians(-116.62015610302774)
    kernel = np.zeros((size, size))
    for r in range(size):
        for c in range(size):
            dx, dy = c - radius, radius - r
            if dx * dx + dy * dy > radius * radius:
                continue
            # coordinate across the stripes (carrier) and along them
            across = dy * math.cos(orientation) - dx * math.sin(orientation)
            along = dx * math.cos(orientation) + dy * math.sin(orientation)
            kernel[r, c] = (math.exp(-(across ** 2 + 0.09 * along ** 2) / (2 * 2.8 ** 2))
                            * math.cos(2 * math.pi * across / 3.5 + phase))
    kernel = kernel - kernel.sum() / size ** 2
    return kernel / math.sqrt((kernel ** 2).sum())


@pytest.mark.parametrize("size", [7, 5, 9])
def test_every_filter_matches_the_formula_written_out(size):
    bank = release_gabor_bank(size).double().numpy()
    assert bank.shape == (25, 1, size, size)
    for index in range(25):
        np.testing.assert_allclose(bank[index, 0], expected_release_filter(size, index), atol=2e-7)


def test_the_bank_has_even_filters_a_second_phase_and_a_non_zero_mean_luminance_filter():
    bank = release_gabor_bank()[:, 0].double().numpy()
    for index in range(12):
        np.testing.assert_allclose(bank[index], np.rot90(bank[index], 2), atol=1e-7)  # even phase
        assert not np.allclose(bank[12 + index], np.rot90(bank[12 + index], 2), atol=1e-3)
        assert abs(bank[index].sum()) < 1e-6 and abs(bank[12 + index].sum()) < 1e-6
    assert bank[24].sum() == pytest.approx(49.0, rel=1e-6)  # passes luminance
    assert bank[0, 3, 0] > 0.25 and bank[6, 0, 3] > 0.25  # 0°: horizontal stripes; 90°: vertical ones


def test_the_drive_adds_a_learned_bias_before_squaring_and_takes_one_grey_channel():
    drive = GaborDrive()
    assert drive.weight.shape == (25, 1, 7, 7) and drive.bias.shape == (25,)
    assert torch.equal(drive.bias, torch.zeros(25)) and drive.bias.requires_grad
    with torch.no_grad():
        drive.bias.copy_(torch.linspace(-0.5, 0.5, 25))
    images = torch.rand(2, 1, 11, 11, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        output = drive(images)
        as_rgb = drive(images.expand(2, 3, 11, 11))
    patch = images[1, 0, 2:9, 1:8].double()  # centred on pixel (5, 4)
    for channel in (0, 13, 24):
        response = (patch * drive.weight[channel, 0].double()).sum() + drive.bias[channel].double()
        assert output[1, channel, 5, 4].item() == pytest.approx(response.item() ** 2, rel=1e-5)
    torch.testing.assert_close(as_rgb, output)
    drive(images).sum().backward()
    assert drive.bias.grad.abs().sum() > 0 and drive.weight.grad.abs().sum() > 0
