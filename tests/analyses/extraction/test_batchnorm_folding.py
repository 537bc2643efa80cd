"""Folding eval-mode batch norms into convolutions: same activity, everything restored, only safe pairs."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from chronoscore.analyses.extraction._batchnorm_folding import batchnorm_folded, foldable_pairs


def randomised(norm: nn.BatchNorm2d, generator: torch.Generator) -> nn.BatchNorm2d:
    """``norm`` with random running statistics and (if it has them) affine parameters."""
    with torch.no_grad():
        channels = norm.num_features
        norm.running_mean.copy_(torch.randn(channels, generator=generator) * 0.5)
        norm.running_var.copy_(torch.rand(channels, generator=generator) * 1.5 + 0.3)
        if norm.affine:
            norm.weight.copy_(torch.rand(channels, generator=generator) + 0.5)
            norm.bias.copy_(torch.randn(channels, generator=generator) * 0.3)
    return norm


class Block(nn.Module):
    """Conv-BN-ReLU twice, with a strided conv-BN shortcut (a ResNet block)."""

    def __init__(self, channels_in: int, channels_out: int, groups: int, generator: torch.Generator) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels_in, channels_out, 3, stride=2, padding=1, bias=False)
        self.bn1 = randomised(nn.BatchNorm2d(channels_out), generator)
        self.conv2 = nn.Conv2d(channels_out, channels_out, 3, padding=1, groups=groups, bias=True)
        self.bn2 = randomised(nn.BatchNorm2d(channels_out, affine=False), generator)
        self.shortcut = nn.Sequential(nn.Conv2d(channels_in, channels_out, 1, stride=2, bias=False),
                                      randomised(nn.BatchNorm2d(channels_out), generator))

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(y)) + self.shortcut(x))


class TinyNet(nn.Module):
    def __init__(self, seed: int) -> None:
        super().__init__()
        generator = torch.Generator().manual_seed(seed)
        torch.manual_seed(seed)
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.stem_bn = randomised(nn.BatchNorm2d(8), generator)
        self.block = Block(8, 12, groups=4, generator=generator)
        self.head = nn.Linear(12, 5)

    def forward(self, x):
        x = self.block(torch.relu(self.stem_bn(self.stem(x))))
        return self.head(x.mean(dim=(2, 3)))


def recorded(network: nn.Module, images: torch.Tensor, paths: list[str]) -> dict[str, torch.Tensor]:
    """Outputs of the submodules at ``paths`` in one forward pass (looked up at call time, as areas are)."""
    outputs, handles = {}, []
    for path in paths:
        hook = (lambda name: lambda module, inputs, output: outputs.__setitem__(name, output.clone()))(path)
        handles.append(network.get_submodule(path).register_forward_hook(hook))
    with torch.no_grad():
        network(images)
    for handle in handles:
        handle.remove()
    return outputs


@pytest.mark.parametrize("seed, channels_last", [(0, False), (1, True), (2, False)])
def test_folded_network_computes_the_same_activity(seed, channels_last):
    network = TinyNet(seed).eval()
    images = torch.randn(4, 3, 16, 16, generator=torch.Generator().manual_seed(seed))
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    network.to(memory_format=memory_format)
    images = images.contiguous(memory_format=memory_format)
    paths = ["stem_bn", "block.bn1", "block", "head"]
    expected = recorded(network, images, paths)
    with batchnorm_folded(network) as n_folded:
        assert n_folded == 4
        assert isinstance(network.block.bn1, nn.Identity)
        assert network.block.conv1.weight.is_contiguous(memory_format=memory_format)
        folded = recorded(network, images, paths)
    for path in paths:
        scale = expected[path].abs().max()
        torch.testing.assert_close(folded[path], expected[path], rtol=1e-5, atol=1e-6 * float(scale))


def test_everything_is_restored_after_the_block_and_after_an_error():
    network = TinyNet(0).eval()
    state = {name: tensor.clone() for name, tensor in network.state_dict().items()}
    norms = {name: module for name, module in network.named_modules() if isinstance(module, nn.BatchNorm2d)}
    weight = network.block.conv1.weight
    with pytest.raises(RuntimeError, match="model failed"), batchnorm_folded(network):
        raise RuntimeError("model failed")
    with batchnorm_folded(network):
        pass
    assert network.block.conv1.bias is None and network.block.conv2.bias is not None
    assert network.block.conv1.weight is weight
    assert {name: module for name, module in network.named_modules() if isinstance(module, nn.BatchNorm2d)} == norms
    assert list(network.state_dict()) == list(state)
    for name, tensor in network.state_dict().items():
        assert torch.equal(tensor, state[name]), name


def test_a_recorded_convolution_is_not_folded():
    network = TinyNet(0).eval()
    pairs = foldable_pairs(network, keep={"block.conv1"})
    assert ("block.conv1", "block.bn1") not in pairs
    assert ("stem", "stem_bn") in pairs


def test_a_norm_in_training_mode_is_not_folded():
    network = TinyNet(0).eval()
    network.block.bn1.train()
    assert ("block.conv1", "block.bn1") not in foldable_pairs(network)


class SharedOutput(nn.Module):
    """A convolution whose output also bypasses the batch norm, and a convolution called twice."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 3, padding=1)
        self.bn = nn.BatchNorm2d(3)
        self.repeated = nn.Conv2d(3, 3, 3, padding=1)
        self.bn_once = nn.BatchNorm2d(3)

    def forward(self, x):
        y = self.conv(x)
        z = self.bn(y) + y
        return self.bn_once(self.repeated(z)) + self.repeated(z)


def test_a_convolution_whose_output_is_used_elsewhere_or_that_runs_twice_is_not_folded():
    assert foldable_pairs(SharedOutput().eval()) == []


class ValueDependent(nn.Module):
    """Control flow on a tensor's value, which torch.fx cannot trace."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 3)
        self.bn = nn.BatchNorm2d(3)

    def forward(self, x):
        if x.sum() > 0:
            return self.bn(self.conv(x))
        return self.conv(x)


def test_an_untraceable_module_runs_unfolded():
    network = ValueDependent().eval()
    images = torch.rand(2, 3, 8, 8)
    with torch.no_grad():
        expected = network(images)
    with batchnorm_folded(network) as n_folded, torch.no_grad():
        assert n_folded == 0
        assert torch.equal(network(images), expected)


def test_a_network_with_forward_hooks_is_neither_traced_nor_folded():
    network = TinyNet(0).eval()
    calls = []
    handle = network.block.conv2.register_forward_hook(lambda module, inputs, output: calls.append(output))
    assert foldable_pairs(network) == []
    with batchnorm_folded(network) as n_folded:
        assert n_folded == 0
    assert calls == []
    handle.remove()
    assert len(foldable_pairs(network)) == 4
