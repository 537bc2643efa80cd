"""Two parts of the hGRU's fast path against what they replaced, in one training step of the claims' model.

The model is the CPU-sized hGRU of the Pathfinder claims (48 px, one grey channel,
4 orientations: 9 channels, 15×15 horizontal kernels, 8 steps), trained with Adam on
a fixed batch of 32 random images on one CPU thread. Each variant swaps one part back
to its earlier form and runs alternately with the current code:

``lengths``
    FFT lengths: the smallest number of at least H + k // 2 with prime factors 2, 3
    and 5 (60 at 48 px) instead of the smallest even one with 2, 3, 5 and 7 (56).
``gates``
    1×1 gates: ``F.linear`` over the pixels instead of products of pixel pairs with
    the block-diagonal kernel.

Prints steps per second (medians of ``--repeats`` runs of ``--steps`` steps) and ends
with one JSON line: ``steps_per_s`` (current code) and, per variant, the earlier
form's speed and the ratio current / earlier.

Run: ``python benchmarks/bench_hgru_parts.py [--steps 3 --repeats 8]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F

from chronoscore.models import create_model
from chronoscore.models.layers import fast_conv, hgru_cell


def earlier_length(minimum: int) -> int:
    """The smallest n >= minimum whose prime factors are 2, 3 and 5 (the earlier FFT length)."""
    n = minimum
    while True:
        rest = n
        for prime in (2, 3, 5):
            while rest % prime == 0:
                rest //= prime
        if rest == 1:
            return n
        n += 1


def earlier_gate(maps: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    """The earlier 1×1 gate: ``F.linear`` over the channels of channels-last maps."""
    return F.linear(maps.permute(0, 2, 3, 1), weight[:, :, 0, 0], bias).permute(0, 3, 1, 2)


VARIANTS: dict[str, tuple[object, str, Callable]] = {
    "lengths": (fast_conv, "_fast_length", earlier_length),
    "gates": (hgru_cell, "pointwise_conv", earlier_gate),
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3, help="training steps per timed run")
    parser.add_argument("--repeats", type=int, default=8, help="timed runs of each variant, alternating")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = create_model("hgru", input_size=48, n_classes=2, n_orientations=4, kernel_size=15,
                         readout_pooled_norm=False)
    images, labels = torch.rand(32, 1, 48, 48), torch.randint(0, 2, (32,))
    optimiser = torch.optim.Adam(model.parameters(), 1e-3)

    def speed() -> float:
        def step() -> None:
            optimiser.zero_grad()
            F.cross_entropy(model(images), labels).backward()
            optimiser.step()
        step()  # the first call of a shape checks the FFT against the direct convolution
        start = time.perf_counter()
        for _ in range(args.steps):
            step()
        return args.steps / (time.perf_counter() - start)

    speeds: dict[str, list[float]] = {"current": [], **{name: [] for name in VARIANTS}}
    for repeat in range(args.repeats):
        for name in list(speeds)[::1 if repeat % 2 == 0 else -1]:
            if name == "current":
                speeds[name].append(speed())
                continue
            module, attribute, earlier = VARIANTS[name]
            current = getattr(module, attribute)
            setattr(module, attribute, earlier)
            try:
                speeds[name].append(speed())
            finally:
                setattr(module, attribute, current)
    medians = {name: statistics.median(values) for name, values in speeds.items()}
    print(f"hGRU training step, 9 channels, 15x15, 48 px, batch 32, one thread; {args.repeats} runs of "
          f"{args.steps} steps each")
    for name, values in speeds.items():
        label = "current code" if name == "current" else f"earlier {name}"
        print(f"{label:<16} {medians[name]:.3f} steps/s  ({', '.join(f'{value:.2f}' for value in values)})")
    for name in VARIANTS:
        print(f"current / earlier {name}: {medians['current'] / medians[name]:.3f}")
    print(json.dumps({"steps_per_s": round(medians["current"], 4),
                      **{f"earlier_{name}_steps_per_s": round(medians[name], 4) for name in VARIANTS},
                      **{f"{name}_ratio": round(medians["current"] / medians[name], 4) for name in VARIANTS}}))


if __name__ == "__main__":
    main()
