"""The 1×1 convolution over pixel pairs against F.conv2d: values, gradients, fallbacks and non-finite inputs."""

import pytest
import torch
import torch.nn.functional as F

from chronoscore.models.layers import pointwise_conv as module
from chronoscore.models.layers.pointwise_conv import pointwise_conv


def maps_and_kernel(shape, outputs, seed, channels_last=True):
    generator = torch.Generator().manual_seed(seed)
    maps = torch.randn(shape, generator=generator, dtype=torch.float64)
    if channels_last:
        maps = maps.contiguous(memory_format=torch.channels_last)
    weight = torch.randn(outputs, shape[1], 1, 1, generator=generator, dtype=torch.float64)
    bias = torch.randn(outputs, generator=generator, dtype=torch.float64)
    return maps.requires_grad_(), weight.requires_grad_(), bias.requires_grad_()


def paired_calls(monkeypatch) -> list[int]:
    calls = []
    original = module._PairedPixelLinear.apply
    monkeypatch.setattr(module._PairedPixelLinear, "apply", lambda *args: calls.append(1) or original(*args))
    return calls


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("shape, outputs, channels_last, paired", [
    ((3, 9, 8, 6), 9, True, True),     # the hGRU's gates: C = O, channels-last, an even pixel count
    ((2, 4, 5, 7), 6, True, True),     # C != O
    ((1, 5, 3, 3), 5, True, False),    # 9 pixels: odd, F.linear
    ((2, 5, 4, 4), 5, False, False),   # not channels-last: F.linear
])
@pytest.mark.parametrize("with_bias", [True, False])
def test_values_and_gradients_are_those_of_conv2d(seed, shape, outputs, channels_last, paired, with_bias,
                                                  monkeypatch):
    calls = paired_calls(monkeypatch)
    maps, weight, bias = maps_and_kernel(shape, outputs, seed, channels_last)
    bias = bias if with_bias else None
    upstream = torch.randn(shape[0], outputs, *shape[2:], generator=torch.Generator().manual_seed(seed + 5),
                           dtype=torch.float64)
    results = {}
    for label, convolve in (("pairs", pointwise_conv), ("direct", F.conv2d)):
        out = convolve(maps, weight, bias)
        inputs = (maps, weight) if bias is None else (maps, weight, bias)
        results[label] = (out, *torch.autograd.grad((out * upstream).sum(), inputs))
    for got, expected in zip(results["pairs"], results["direct"], strict=True):
        torch.testing.assert_close(got, expected, rtol=1e-12, atol=1e-12)
    assert bool(calls) == paired


def test_an_infinite_pixel_does_not_spill_into_its_pair(monkeypatch):
    calls = paired_calls(monkeypatch)
    maps, weight, bias = maps_and_kernel((1, 3, 2, 2), 3, 0)
    with torch.no_grad():
        maps[0, 1, 0, 0] = float("inf")   # pixel 0; pixel 1 shares its pair
    out = pointwise_conv(maps, weight, bias)
    expected = F.conv2d(maps, weight, bias)
    assert calls and torch.isfinite(out[0, :, 0, 1]).all()
    torch.testing.assert_close(out, expected, equal_nan=True)
    upstream = torch.zeros_like(out)
    upstream[0, 0, 0, 0] = float("inf")
    gradient = torch.autograd.grad((out * upstream).sum(), maps)[0]
    expected_gradient = torch.autograd.grad((F.conv2d(maps, weight, bias) * upstream).sum(), maps)[0]
    assert torch.isfinite(gradient[0, :, 0, 1]).all()
    torch.testing.assert_close(gradient, expected_gradient, equal_nan=True)


def test_under_cpu_autocast_it_is_f_linear_in_bfloat16(monkeypatch):
    calls = paired_calls(monkeypatch)
    maps, weight, bias = (tensor.detach().float().requires_grad_() for tensor in maps_and_kernel((2, 4, 4, 4), 4, 3))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = pointwise_conv(maps, weight, bias)
        expected = F.conv2d(maps, weight, bias)
    assert not calls and out.dtype == expected.dtype == torch.bfloat16
    torch.testing.assert_close(out, expected, rtol=2e-2, atol=2e-2)
    out.float().sum().backward()
    assert maps.grad is not None and weight.grad.dtype == torch.float32
