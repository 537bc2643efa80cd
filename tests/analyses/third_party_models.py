"""Networks written the way outside code writes them, to test extraction on any PyTorch model.

Each follows an idiom found in public recurrent vision models, written out here
from its description, not copied:

* :class:`CORnetSLike` — blocks that run their convolutions several times per
  pass with one batch norm per step, and that change a convolution's ``stride``
  attribute between the calls of one pass (the first call downsamples, the
  later ones keep the size). V4 runs 4 times and IT twice, as in CORnet-S.
* :class:`CORnetRTLike` — the whole network unrolled over time by an outer
  loop, each area's state carried from one step to the next (CORnet-RT).
* :class:`StepBranch` — a forward that branches on the step index, so that a
  traced graph would keep only the branch taken while tracing.
* :class:`StepCounter` — a forward that mutates a Python attribute (a call
  counter) and reads it back.
"""

from __future__ import annotations

import torch
from torch import nn


class RecurrentBottleneck(nn.Module):
    """A bottleneck block run ``times`` times, downsampling on its first step only.

    Step 0: x = conv_input(inp); skip = BN(skip_conv(x)); conv2 has stride 2.
    Steps t > 0: skip = x; conv2 has stride 1 (set on the module between calls).
    Each step: x = relu(BN3_t(conv3(relu(BN2_t(conv2(relu(BN1_t(conv1(x))))))) + skip).
    """

    expansion = 2

    def __init__(self, in_channels: int, out_channels: int, times: int) -> None:
        super().__init__()
        wide = out_channels * self.expansion
        self.times = times
        self.conv_input = nn.Conv2d(in_channels, out_channels, 1, bias=False)
        self.skip = nn.Conv2d(out_channels, out_channels, 1, stride=2, bias=False)
        self.norm_skip = nn.BatchNorm2d(out_channels)
        self.conv1 = nn.Conv2d(out_channels, wide, 1, bias=False)
        self.conv2 = nn.Conv2d(wide, wide, 3, stride=2, padding=1, bias=False)
        self.conv3 = nn.Conv2d(wide, out_channels, 1, bias=False)
        self.nonlin1, self.nonlin2, self.nonlin3 = nn.ReLU(inplace=True), nn.ReLU(inplace=True), nn.ReLU(inplace=True)
        self.output = nn.Identity()
        for step in range(times):
            setattr(self, f"norm1_{step}", nn.BatchNorm2d(wide))
            setattr(self, f"norm2_{step}", nn.BatchNorm2d(wide))
            setattr(self, f"norm3_{step}", nn.BatchNorm2d(out_channels))

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        x = self.conv_input(inputs)
        output = x
        for step in range(self.times):
            if step == 0:
                skip = self.norm_skip(self.skip(x))
                self.conv2.stride = (2, 2)
            else:
                skip = x
                self.conv2.stride = (1, 1)
            x = self.nonlin1(getattr(self, f"norm1_{step}")(self.conv1(x)))
            x = self.nonlin2(getattr(self, f"norm2_{step}")(self.conv2(x)))
            x = getattr(self, f"norm3_{step}")(self.conv3(x))
            x += skip
            x = self.nonlin3(x)
            output = self.output(x)
        return output


class CORnetSLike(nn.Module):
    """V1 (two convolutions), then V2, V4, IT recurrent bottlenecks (2, 4, 2 steps), then a decoder."""

    def __init__(self, width: int = 8, n_classes: int = 10) -> None:
        super().__init__()
        self.V1 = nn.Sequential(nn.Conv2d(3, width, 7, stride=2, padding=3, bias=False), nn.BatchNorm2d(width),
                                nn.ReLU(inplace=True), nn.MaxPool2d(3, stride=2, padding=1),
                                nn.Conv2d(width, width, 3, padding=1, bias=False), nn.BatchNorm2d(width),
                                nn.ReLU(inplace=True))
        self.V2 = RecurrentBottleneck(width, 2 * width, times=2)
        self.V4 = RecurrentBottleneck(2 * width, 4 * width, times=4)
        self.IT = RecurrentBottleneck(4 * width, 8 * width, times=2)
        self.decoder = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8 * width, n_classes))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.IT(self.V4(self.V2(self.V1(images)))))


class RecurrentArea(nn.Module):
    """One area of :class:`CORnetRTLike`: state = relu(norm(conv_in(x) + conv_lateral(state)))."""

    def __init__(self, in_channels: int, out_channels: int, stride: int) -> None:
        super().__init__()
        self.conv_input = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1)
        self.conv_lateral = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.norm = nn.BatchNorm2d(out_channels)
        self.output = nn.Identity()

    def forward(self, inputs: torch.Tensor, state: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        drive = self.conv_input(inputs)
        if state is not None:
            drive = drive + self.conv_lateral(state)
        state = torch.relu(self.norm(drive))
        return self.output(state), state


class CORnetRTLike(nn.Module):
    """Four areas unrolled together for ``times`` steps; area k first sees the image at step k."""

    def __init__(self, width: int = 8, times: int = 5, n_classes: int = 10) -> None:
        super().__init__()
        self.times = times
        self.V1 = RecurrentArea(3, width, stride=2)
        self.V2 = RecurrentArea(width, 2 * width, stride=2)
        self.V4 = RecurrentArea(2 * width, 4 * width, stride=2)
        self.IT = RecurrentArea(4 * width, 8 * width, stride=2)
        self.decoder = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8 * width, n_classes))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        areas = [self.V1, self.V2, self.V4, self.IT]
        outputs: list[torch.Tensor | None] = [None] * len(areas)
        states: list[torch.Tensor | None] = [None] * len(areas)
        for step in range(self.times):
            inputs = [images, *outputs[:-1]]
            for index, area in enumerate(areas):
                if step >= index and inputs[index] is not None:
                    outputs[index], states[index] = area(inputs[index], states[index])
        return self.decoder(outputs[-1])


class StepBranch(nn.Module):
    """A block called ``times`` times whose forward takes another path after its first call of a pass."""

    def __init__(self, channels: int = 8, times: int = 3) -> None:
        super().__init__()
        self.times = times
        self.stem = nn.Conv2d(3, channels, 3, padding=1)
        self.block = BranchingBlock(channels)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, 2))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.stem(images))
        for step in range(self.times):
            x = self.block(x, step)
        return self.head(x)


class BranchingBlock(nn.Module):
    """relu(conv_a(x)) at step 0, relu(conv_b(x)) + x later."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv_a = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv_b = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x: torch.Tensor, step: int) -> torch.Tensor:
        if step == 0:
            return torch.relu(self.conv_a(x))
        return torch.relu(self.conv_b(x)) + x


class StepCounter(nn.Module):
    """A block that counts its calls in a Python attribute and scales its input by the count."""

    def __init__(self, channels: int = 8, times: int = 3) -> None:
        super().__init__()
        self.times = times
        self.stem = nn.Conv2d(3, channels, 3, padding=1)
        self.block = CountingBlock(channels)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        self.block.calls = 0
        x = torch.relu(self.stem(images))
        for _ in range(self.times):
            x = self.block(x)
        return x.mean(dim=(2, 3))


class CountingBlock(nn.Module):
    """relu(conv(x · calls)) + x, calls incremented on every call."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)
        self.calls = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        return torch.relu(self.conv(x * self.calls)) + x


def randomised_batch_norms(module: nn.Module, seed: int) -> nn.Module:
    """Give every batch norm random running statistics and affine parameters (so folding is visible)."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for norm in module.modules():
            if isinstance(norm, nn.BatchNorm2d):
                size = norm.num_features
                norm.running_mean.copy_(torch.randn(size, generator=generator) * 0.2)
                norm.running_var.copy_(torch.rand(size, generator=generator) + 0.5)
                norm.weight.copy_(torch.rand(size, generator=generator) + 0.5)
                norm.bias.copy_(torch.randn(size, generator=generator) * 0.2)
    return module
