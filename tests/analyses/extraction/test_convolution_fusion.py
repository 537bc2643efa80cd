"""Fused convolutions compute what the network computes, record every area, and leave the network as it was."""

import numpy as np
import pandas as pd
import pytest
import torch
import torchvision
from torch import nn

from chronoscore.analyses.extraction import _convolution_fusion as convolution_fusion
from chronoscore.analyses.extraction import extract
from chronoscore.analyses.extraction._batchnorm_folding import batchnorm_folded
from chronoscore.analyses.extraction._convolution_fusion import FusedConv2d, convolutions_fused, fusion_available
from chronoscore.models import wrap_model
from chronoscore.stimuli import StimulusSet
from tests.analyses.extraction.test_batchnorm_folding import recorded

pytestmark = pytest.mark.skipif(not fusion_available(), reason="this PyTorch build has no oneDNN")

RESNET_AREAS = {"V1": "layer1", "V2": "layer2", "V4": "layer3", "IT": "layer4", "pool": "avgpool"}


def assert_same_recordings(module, images, areas, *, expected_fused=None):
    expected = recorded(module, images, areas)
    with convolutions_fused(module, areas) as (runner, n_fused):
        got = recorded(runner, images, areas)
    if expected_fused is not None:
        assert n_fused == expected_fused
    for path in areas:
        torch.testing.assert_close(got[path], expected[path], rtol=0, atol=1e-5 * float(expected[path].abs().max()))
    return n_fused


@pytest.mark.parametrize("seed,memory_format", [(0, torch.channels_last), (1, torch.contiguous_format)])
def test_resnet_areas_are_unchanged_and_every_convolution_is_fused(seed, memory_format):
    torch.manual_seed(seed)
    net = torchvision.models.resnet18(weights=None).eval().to(memory_format=memory_format)
    images = torch.randn(3, 3, 64, 64).contiguous(memory_format=memory_format)
    areas = list(RESNET_AREAS.values())
    with batchnorm_folded(net, keep=areas):           # as extraction runs it: each ReLU follows its convolution
        assert_same_recordings(net, images, areas, expected_fused=20)
        with convolutions_fused(net, areas) as (runner, _):
            fused = [module for module in runner.modules() if isinstance(module, FusedConv2d)]
    # the stem and each block's first convolution with their ReLU, each block's second with the residual sum
    # and the ReLU, the three downsampling convolutions alone
    assert (sum(m.relu and not m.add for m in fused), sum(m.relu and m.add for m in fused), len(fused)) == (9, 8, 20)


@pytest.mark.parametrize("conv", [
    nn.Conv2d(4, 6, 3, stride=2, padding=2, dilation=2, groups=2, bias=False),
    nn.Conv2d(4, 4, 1, groups=4),
    nn.Conv2d(4, 8, (3, 5), padding=(1, 2)),
])
@pytest.mark.parametrize("relu", [False, True])
def test_a_fused_convolution_computes_the_plain_one(conv, relu):
    torch.manual_seed(4)
    conv = conv.eval()
    images = torch.randn(3, 4, 11, 13).contiguous(memory_format=torch.channels_last)
    with torch.no_grad():
        plain = conv(images)
        expected = torch.relu(plain) if relu else plain
        torch.testing.assert_close(FusedConv2d(conv, relu=relu, add=False)(images), expected, rtol=0, atol=1e-6)
        other = torch.randn_like(plain)
        expected = torch.relu(plain + other) if relu else plain + other
        torch.testing.assert_close(FusedConv2d(conv, relu=relu, add=True)(images, other), expected, rtol=0, atol=1e-6)
    with torch.enable_grad():                     # autograd needs the plain path
        output = FusedConv2d(conv, relu=relu, add=False)(images)
    assert output.requires_grad


class TwoUses(nn.Module):
    """A convolution whose output is used twice, a ReLU that is a recorded area, and a broadcast residual."""

    def __init__(self):
        super().__init__()
        self.stage = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU())
        self.shared = nn.Conv2d(4, 4, 3, padding=1)
        self.relu = nn.ReLU()
        self.bias_map = nn.Conv2d(4, 4, 1)

    def forward(self, x):
        x = self.stage(x)
        y = self.shared(x)
        z = torch.relu(y) + y                     # y goes to two places: no ReLU fusion for it
        pooled = z.mean((2, 3), keepdim=True)     # (B, 4, 1, 1): a residual that broadcasts
        return self.relu(self.bias_map(z) + pooled)


def test_outputs_used_twice_recorded_relus_and_broadcast_sums_keep_their_values():
    torch.manual_seed(2)
    model = TwoUses().eval()
    images = torch.randn(2, 3, 12, 12)
    assert_same_recordings(model, images, ["stage.1", "relu"])
    with convolutions_fused(model, ["stage.1"]) as (runner, n_fused):
        assert n_fused == 3                        # every convolution runs through FusedConv2d, fused or not
        fused = [module for module in runner.modules() if isinstance(module, FusedConv2d)]
        assert sum(module.relu for module in fused) == 1   # only bias_map + z -> relu; stage.1 is recorded
        torch.testing.assert_close(runner(images), model(images), rtol=0, atol=1e-6)


def test_the_network_gets_its_own_modules_back():
    net = torchvision.models.resnet18(weights=None).eval()
    areas = list(RESNET_AREAS.values())
    before = {path: net.get_submodule(path) for path in areas}
    state = {name: tensor.clone() for name, tensor in net.state_dict().items()}
    with convolutions_fused(net, areas) as (runner, _):
        assert runner is not net
        assert all(net.get_submodule(path) is not before[path] for path in areas[:4])
    assert all(net.get_submodule(path) is before[path] for path in areas)
    assert all(torch.equal(state[name], tensor) for name, tensor in net.state_dict().items())


class Branching(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 3, padding=1)

    def forward(self, x):
        if x.sum() > 0:                            # data-dependent: torch.fx cannot trace it
            return torch.relu(self.conv(x))
        return self.conv(x)


def test_untraceable_float64_or_hooked_networks_run_as_they_are():
    untraceable = Branching().eval()
    with convolutions_fused(untraceable, []) as (runner, n_fused):
        assert runner is untraceable and n_fused == 0
    double = TwoUses().eval().double()
    assert_same_recordings(double, torch.randn(2, 3, 8, 8, dtype=torch.float64), ["relu"])
    hooked = TwoUses().eval()
    hooked.shared.register_forward_hook(lambda *args: None)
    with convolutions_fused(hooked, ["relu"]) as (runner, n_fused):
        assert runner is hooked and n_fused == 0


class WrongOperator:
    """Stands for a fused operator whose meaning changed: it returns zeros."""

    def __call__(self, x, weight, *args):
        return torch.zeros(x.shape[0], weight.shape[0], *x.shape[2:])

    def binary(self, x, other, *args):
        return torch.zeros_like(other)


def test_nothing_is_fused_when_the_operators_are_missing_or_compute_something_else(monkeypatch):
    monkeypatch.setattr(convolution_fusion, "_pointwise_operator", lambda: None)
    assert not fusion_available.__wrapped__()
    monkeypatch.setattr(convolution_fusion, "_pointwise_operator", WrongOperator)
    assert not fusion_available.__wrapped__()
    monkeypatch.setattr(convolution_fusion, "fusion_available", lambda: False)
    net = torchvision.models.resnet18(weights=None).eval()
    with convolutions_fused(net, list(RESNET_AREAS.values())) as (runner, n_fused):
        assert runner is net and n_fused == 0


def test_extract_of_a_wrapped_resnet_equals_its_own_forward_pass():
    torch.manual_seed(3)
    net = torchvision.models.resnet18(weights=None).eval()
    pixels = np.random.default_rng(3).integers(0, 256, (3, 32, 32, 3), dtype=np.uint8)
    stimuli = StimulusSet(pd.DataFrame({"stimulus_id": ["a", "b", "c"]}), "fusion.test", pixels=pixels)
    activations = extract(wrap_model(net, RESNET_AREAS), stimuli, image_size=32, cache=False, progress=False)
    from chronoscore.stimuli.preprocessing import load_batch

    expected = recorded(net, load_batch(stimuli, [0, 1, 2], 32), list(RESNET_AREAS.values()))
    for area, path in RESNET_AREAS.items():
        values = activations.sel(neuroid=activations["layer"].values == area).isel(time_step=0).values
        reference = expected[path].reshape(3, -1).numpy()
        np.testing.assert_allclose(values, reference, rtol=0, atol=1e-5 * np.abs(reference).max())
