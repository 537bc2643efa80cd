"""The hGRU cell's FFT convolution is checked against the direct one at run time and dropped when they differ."""

import warnings

import pytest
import torch

from chronoscore.models.layers import checked_fft_conv
from chronoscore.models.layers.hgru_cell import FastPathWarning, HGRUCell
from chronoscore.models.registry import create_model


def cells(seed: int) -> tuple[HGRUCell, HGRUCell]:
    """The same cell with an 11x11 kernel (the FFT path) computed fast and plainly."""
    torch.manual_seed(seed)
    fast = HGRUCell(4, kernel_size=11, n_steps=3, fast=True).eval()
    plain = HGRUCell(4, kernel_size=11, n_steps=3, fast=False).eval()
    plain.load_state_dict(fast.state_dict())
    return fast, plain


def run(cell: HGRUCell, drive: torch.Tensor, steps: int = 3) -> torch.Tensor:
    hidden = torch.zeros_like(drive)
    with torch.no_grad():
        for step in range(steps):
            hidden = cell(drive, hidden, step)
    return hidden


@pytest.mark.parametrize("seed", [0, 1])
def test_a_correct_fft_is_kept_without_a_warning(seed):
    fast, plain = cells(seed)
    drive = torch.randn(2, 4, 20, 20, generator=torch.Generator().manual_seed(seed))
    with warnings.catch_warnings():
        warnings.simplefilter("error", FastPathWarning)
        got = run(fast, drive)
    assert fast._checked_convolution.verdicts and all(fast._checked_convolution.verdicts.values())
    torch.testing.assert_close(got, run(plain, drive), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("seed", [0, 1])
def test_a_wrong_fft_is_dropped_with_a_warning_and_the_result_is_the_plain_one(seed, monkeypatch):
    original = checked_fft_conv.fft_same_conv
    monkeypatch.setattr(checked_fft_conv, "fft_same_conv", lambda maps, kernel: original(maps, kernel) * 1.01)
    fast, plain = cells(seed)
    drive = torch.randn(2, 4, 20, 20, generator=torch.Generator().manual_seed(seed))
    with pytest.warns(FastPathWarning, match="convolves directly"):
        got = run(fast, drive)
    assert fast._checked_convolution.verdicts and not any(fast._checked_convolution.verdicts.values())
    torch.testing.assert_close(got, run(plain, drive), rtol=1e-4, atol=1e-5)


def test_the_large_kernel_control_drops_a_wrong_fft_too(monkeypatch):
    original = checked_fft_conv.fft_same_conv
    monkeypatch.setattr(checked_fft_conv, "fft_same_conv", lambda maps, kernel: original(maps, kernel) * 1.01)
    torch.manual_seed(0)
    fast = create_model("ff_large_kernels", n_orientations=2, kernel_size=9, n_layers=2).eval()
    plain = create_model("ff_large_kernels", n_orientations=2, kernel_size=9, n_layers=2, fast=False).eval()
    plain.load_state_dict(fast.state_dict())
    images = torch.rand(2, 1, 20, 20, generator=torch.Generator().manual_seed(1))
    with pytest.warns(FastPathWarning, match="large-kernel control"), torch.no_grad():
        got = fast(images)
    assert fast._checked_convolution.verdicts and not any(fast._checked_convolution.verdicts.values())
    with torch.no_grad():
        torch.testing.assert_close(got, plain(images))
