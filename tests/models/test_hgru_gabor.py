"""The Gabor bank of the hGRU's drive, checked numerically from the filters themselves."""

import numpy as np
import pytest
import torch

from chronoscore.errors import ConfigError, DataFormatError
from chronoscore.models.layers.gabor import GaborDrive, gabor_bank

SIZE, ORIENTATIONS = 7, 12


@pytest.fixture(scope="module")
def bank():
    return gabor_bank(SIZE, ORIENTATIONS)[:, 0].double().numpy()


def outside_aperture(size):
    rows, columns = np.mgrid[0:size, 0:size]
    centre = (size - 1) / 2
    return (rows - centre) ** 2 + (columns - centre) ** 2 > (size / 2) ** 2


def stripe_orientation_from_fft(kernel, padded=256):
    """Stripe angle in degrees [0, 180), counter-clockwise from the horizontal, from the spectrum's peak."""
    spectrum = np.abs(np.fft.fft2(kernel, s=(padded, padded)))
    row, column = np.unravel_index(spectrum.argmax(), spectrum.shape)
    frequency_down, frequency_right = np.fft.fftfreq(padded)[row], np.fft.fftfreq(padded)[column]
    wave_angle = np.degrees(np.arctan2(-frequency_down, frequency_right))  # image y points up
    return (wave_angle + 90) % 180  # stripes run perpendicular to the wave vector


def test_the_bank_has_12_orientations_by_2_phases_and_one_luminance_filter(bank):
    assert bank.shape == (2 * ORIENTATIONS + 1, SIZE, SIZE)
    assert gabor_bank().shape == (25, 1, 7, 7)  # the paper's bank at the defaults


def test_every_filter_is_zero_mean_unit_norm_and_zero_outside_the_circular_aperture(bank):
    outside = outside_aperture(SIZE)
    assert outside.sum() == 12  # the 7×7 corners: three pixels each
    for kernel in bank:
        assert abs(kernel.sum()) < 1e-6
        assert np.linalg.norm(kernel) == pytest.approx(1.0, abs=1e-6)
        assert np.all(kernel[outside] == 0)
        assert np.abs(kernel[~outside]).max() > 0.01


@pytest.mark.parametrize("orientation_index", range(ORIENTATIONS))
@pytest.mark.parametrize("phase_index", [0, 1])
def test_each_gabor_has_its_intended_orientation(bank, orientation_index, phase_index):
    measured = stripe_orientation_from_fft(bank[2 * orientation_index + phase_index])
    intended = orientation_index * 180 / ORIENTATIONS
    error = (measured - intended + 90) % 180 - 90
    assert abs(error) < 3.0  # orientations are 15° apart


def test_even_filters_are_point_symmetric_odd_ones_antisymmetric(bank):
    for index in range(ORIENTATIONS):
        even, odd = bank[2 * index], bank[2 * index + 1]
        np.testing.assert_allclose(even, np.rot90(even, 2), atol=1e-7)
        np.testing.assert_allclose(odd, -np.rot90(odd, 2), atol=1e-7)
        assert abs((even * odd).sum()) < 1e-6  # a quadrature pair


def test_the_luminance_filter_is_isotropic_and_centre_surround(bank):
    luminance = bank[-1]
    np.testing.assert_allclose(luminance, np.rot90(luminance), atol=1e-7)
    np.testing.assert_allclose(luminance, luminance.T, atol=1e-7)
    assert luminance[3, 3] == luminance.max() > 0 > luminance[3, 0]


def test_the_drive_squares_the_response_to_the_gray_image():
    drive = GaborDrive(SIZE, 2, bank="zero_mean", bias=False)
    images = torch.randn(2, 3, 12, 12, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        output = drive(images)
    assert output.shape == (2, 5, 12, 12)
    gray = images.mean(dim=1)
    patch = gray[1, 2:9, 3:10]  # centred on pixel (5, 6)
    for channel in range(5):
        expected = (patch * drive.weight[channel, 0]).sum() ** 2
        assert output[1, channel, 5, 6].item() == pytest.approx(expected.item(), rel=1e-5)
    uniform = torch.full((1, 3, 12, 12), 0.7)
    with torch.no_grad():
        centre = drive(uniform)[..., 3:9, 3:9]  # away from the zero padding
    assert centre.abs().max() < 1e-10  # zero-mean filters ignore uniform luminance


def test_the_bank_is_trainable_and_bad_inputs_are_refused():
    drive = GaborDrive(SIZE, 2, bank="zero_mean")
    assert drive.weight.requires_grad
    drive(torch.randn(1, 3, 9, 9)).sum().backward()
    assert drive.weight.grad.abs().sum() > 0
    with pytest.raises(DataFormatError, match="B, 1, H, W"):
        drive(torch.randn(1, 2, 9, 9))
    with pytest.raises(ConfigError, match="odd"):
        gabor_bank(size=6)
    with pytest.raises(ConfigError, match="n_orientations"):
        gabor_bank(n_orientations=0)

    with pytest.raises(ConfigError, match="Gabor bank"):
        GaborDrive(bank="hmax")
