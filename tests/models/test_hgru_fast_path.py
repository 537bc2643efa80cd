"""The hGRU's fast path (FFT and matmul convolutions, channels-last, lerp) against the plain computation."""

import pytest
import torch
import torch.nn.functional as F

from chronoscore.models.hgru import hgru_seg
from chronoscore.models.layers.fast_conv import _fast_length, fft_same_conv
from chronoscore.models.layers.pointwise_conv import pointwise_conv
from chronoscore.models.registry import create_model


def test_transform_lengths_are_the_smallest_even_seven_smooth_numbers():
    seven_smooth = [2 ** a * 3 ** b * 5 ** c * 7 ** d for a in range(1, 10) for b in range(6) for c in range(4)
                    for d in range(3)]
    for minimum in range(1, 400):
        assert _fast_length(minimum) == min(n for n in seven_smooth if n >= minimum)
    assert [_fast_length(m) for m in (55, 56, 43, 121, 131)] == [56, 56, 48, 126, 140]  # the 48 px claims: 56


def padded_correlation(maps: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """The reference: (k - 1) // 2 zeros before and k // 2 after each side, then F.conv2d."""
    size = kernel.shape[-1]
    before, after = (size - 1) // 2, size // 2
    return F.conv2d(F.pad(maps, (before, after, before, after)), kernel)


@pytest.mark.parametrize("shape, kernel_size", [((2, 3, 9, 7), 5), ((1, 4, 12, 12), 11), ((3, 2, 8, 10), 15),
                                                ((1, 2, 50, 42), 15), ((2, 3, 9, 7), 4), ((1, 2, 23, 30), 20)])
def test_fft_convolution_is_the_same_padded_correlation(shape, kernel_size):
    generator = torch.Generator().manual_seed(kernel_size)
    maps = torch.randn(shape, generator=generator, dtype=torch.float64)
    kernel = torch.randn(5, shape[1], kernel_size, kernel_size, generator=generator, dtype=torch.float64)
    torch.testing.assert_close(fft_same_conv(maps, kernel), padded_correlation(maps, kernel), rtol=1e-10, atol=1e-10)
    weight, bias = kernel[:, :, :1, :1].contiguous(), torch.randn(5, generator=generator, dtype=torch.float64)
    torch.testing.assert_close(pointwise_conv(maps, weight, bias), F.conv2d(maps, weight, bias))


@pytest.mark.parametrize("shape, kernel_size", [((2, 3, 9, 7), 3), ((1, 4, 12, 12), 7), ((3, 2, 8, 10), 15),
                                                ((1, 2, 50, 42), 15), ((2, 3, 9, 7), 4), ((1, 2, 23, 30), 20)])
def test_fft_convolution_gradients_are_those_of_the_direct_one(shape, kernel_size):
    generator = torch.Generator().manual_seed(kernel_size + 1)
    maps = torch.randn(shape, generator=generator, dtype=torch.float64, requires_grad=True)
    kernel = torch.randn(5, shape[1], kernel_size, kernel_size, generator=generator, dtype=torch.float64,
                         requires_grad=True)
    weights = torch.randn(shape[0], 5, *shape[2:], generator=generator, dtype=torch.float64)
    gradients = {}
    for label, convolve in (("fft", fft_same_conv), ("direct", padded_correlation)):
        gradients[label] = torch.autograd.grad((convolve(maps, kernel) * weights).sum(), (maps, kernel))
    for fft, direct in zip(gradients["fft"], gradients["direct"], strict=True):
        torch.testing.assert_close(fft, direct, rtol=1e-10, atol=1e-10)


def pair(build, seed):
    torch.manual_seed(seed)
    fast = build(fast=True)
    plain = build(fast=False)
    plain.load_state_dict(fast.state_dict())
    return fast, plain


BUILDS = {
    "hgru_k5": lambda **kw: create_model("hgru", n_orientations=2, kernel_size=5, n_steps=4, **kw),
    "hgru_k7": lambda **kw: create_model("hgru", n_orientations=2, kernel_size=7, n_steps=4, **kw),
    "hgru_k11": lambda **kw: create_model("hgru", n_orientations=2, kernel_size=11, n_steps=4, **kw),
    "hgru_bn_k13": lambda **kw: create_model("hgru_bn", n_orientations=2, kernel_size=13, n_steps=3, **kw),
    "hgru_seg_k11": lambda **kw: hgru_seg(n_orientations=2, kernel_size=11, n_steps=3, **kw),
    "ff_large_kernels_k9": lambda **kw: create_model("ff_large_kernels", n_orientations=2, kernel_size=9, n_layers=2,
                                                     **kw),
    "ff_large_kernels_k20": lambda **kw: create_model("ff_large_kernels", n_orientations=2, n_layers=2, **kw),
}


@pytest.mark.parametrize("name", list(BUILDS))
@pytest.mark.parametrize("seed", [0, 1])
def test_outputs_and_gradients_match_the_plain_computation(name, seed):
    fast, plain = pair(BUILDS[name], seed)
    fast, plain = fast.double().train(), plain.double().train()
    generator = torch.Generator().manual_seed(seed + 10)
    images = torch.rand(3, 1, 14, 12, generator=generator, dtype=torch.float64)
    outputs = {}
    for label, model in (("fast", fast), ("plain", plain)):
        torch.manual_seed(seed + 20)  # the same random H2[0]
        out = model(images)
        out.square().sum().backward()
        outputs[label] = out
    torch.testing.assert_close(outputs["fast"], outputs["plain"], rtol=1e-9, atol=1e-10)
    for (key, fast_parameter), plain_parameter in zip(fast.named_parameters(), plain.parameters(), strict=True):
        if plain_parameter.grad is None:
            assert fast_parameter.grad is None, key
            continue
        torch.testing.assert_close(fast_parameter.grad, plain_parameter.grad, rtol=1e-8, atol=1e-10, msg=key)


def test_in_float32_the_paths_agree_to_rounding_over_many_steps():
    fast, plain = pair(BUILDS["hgru_k11"], 3)
    fast.eval(), plain.eval()
    images = torch.rand(2, 1, 20, 20, generator=torch.Generator().manual_seed(4))
    with torch.no_grad():
        states = {label: model.forward_timesteps(images, n_steps=12)["hgru"]
                  for label, model in (("fast", fast), ("plain", plain))}
    scale = states["plain"].abs().max()
    assert (states["fast"] - states["plain"]).abs().max() <= 1e-4 * scale
    assert states["fast"].stride()[2] == 1  # channels-last: channels vary fastest
