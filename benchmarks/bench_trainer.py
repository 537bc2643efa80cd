"""Steps per second of chronoscore's trainer against a minimal hand-written PyTorch loop.

Both train the same model (same initial weights) on the same in-memory images
(the generated objects task, 32 px) with the same global batch, optimiser (SGD
with momentum, constant learning rate) and number of steps, on the CPU. The
trainer's time is its training loop as it reports it (data order, device
transfer, metrics, progress bookkeeping, a CSV row every ``log_every`` steps and
the final checkpoint), without the one-off setup (making the images, building
the model). The hand-written loop shuffles with ``torch.randperm`` and indexes
the image tensor directly. Runs alternate, each loop going first every other
time. Speeds are steps per second of this process's CPU time (one thread: on
an idle machine the same as wall-clock time, and on a shared one not slowed by
the other processes) and, for reference, of wall-clock time. Prints a table and
ends with one JSON line: ``ratio`` (trainer / hand-written, median steps per CPU
second), ``wall_ratio`` (fastest wall-clock runs), ``wall_median_ratio``,
``trainer_steps_per_s`` and ``reference_steps_per_s`` (median, per CPU second).

The default model is the demo's RGC ConvRNN; ``--model ff_shallow --width 0.375
--steps 300`` is a harder case (steps of about 10 ms, where the trainer's fixed
cost per step weighs most).

``--model hgru`` compares instead the hGRU's training speed before and after its fast
path: the trainer runs the same recipe (Pathfinder, path length 3, 48 px, one grey
channel, batch 32, Adam) with ``fast: false`` — the plain computation the cell used
before (1×1 gates and horizontal kernels as ``F.conv2d`` on contiguous tensors, the
gated update spelled out) — and with ``fast: true`` (1×1 gates as matmuls over
channels, channels-last tensors, FFT convolution from 7×7 kernels, ``lerp``), each on
one CPU thread and on all of them (``--all-threads``, default: the machine's cores).
Speeds are then wall-clock steps per second (CPU time does not measure a run on
several threads). The JSON line carries ``steps_per_s`` (fast path, all threads),
``reference_steps_per_s`` (plain computation on one thread, the code and setting this
benchmark measured before the fast path), their ``ratio`` (medians), the ratio at equal
thread counts (``same_threads_ratio``) and on one thread per CPU second
(``one_thread_cpu_ratio``). ``--orientations 4`` with the default ``--kernel-size``
(15) is the CPU-sized hGRU of the Pathfinder claims; ``--orientations 12`` the paper's.
``--model ff_large_kernels`` compares its feedforward control the same way (``fast``:
its 5 convolutions through the checked FFT; default kernel 9, the claims' size).

Run: ``python benchmarks/bench_trainer.py [--model convrnn_shallow_rgc --width 0.125 --steps 100 --batch 32]``,
``python benchmarks/bench_trainer.py --model hgru --steps 10 --repeats 3``,
``python benchmarks/bench_trainer.py --model ff_large_kernels --steps 10 --repeats 3``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from chronoscore.analyses.training_data import generated_data, train
from chronoscore.models import create_model
from chronoscore.models.training import Recipe, load_recipe


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="convrnn_shallow_rgc", help="registered model (shallow ConvRNN or control)")
    parser.add_argument("--width", type=float, default=0.125, help="channel multiplier")
    parser.add_argument("--steps", type=int, default=100, help="optimisation steps per run")
    parser.add_argument("--batch", type=int, default=32, help="global batch size")
    parser.add_argument("--images", type=int, default=768, help="training images")
    parser.add_argument("--repeats", type=int, default=4, help="runs of each, alternating")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--orientations", type=int, default=4,
                        help="hgru, ff_large_kernels: Gabor orientations (2n + 1 channels)")
    parser.add_argument("--kernel-size", type=int, default=None,
                        help="hgru, ff_large_kernels: kernel side (default: the claims', 15 and 9)")
    parser.add_argument("--all-threads", type=int, default=os.cpu_count() or 1,
                        help="hgru, ff_large_kernels: the thread count of the runs on all cores "
                             "(default: this machine's cores)")
    args = parser.parse_args(argv)
    if args.kernel_size is None:
        args.kernel_size = _CLAIM_KERNEL_SIZES.get(args.model, 15)
    return args


_CLAIM_KERNEL_SIZES = {"hgru": 15, "ff_large_kernels": 9}
"""Kernel sides of the Pathfinder claims' recipes, compared with and without the fast path."""


def fast_path_recipe(args: argparse.Namespace, fast: bool) -> Recipe:
    kwargs = {"input_size": 48, "n_classes": 2, "n_orientations": args.orientations,
              "kernel_size": args.kernel_size, "readout_pooled_norm": False, "fast": fast}
    return load_recipe({
        "model": {"name": args.model, "kwargs": kwargs},
        "data": {"generator": "pathfinder", "options": {"path_length": 3}, "train_n": args.images,
                 "generated_size": 48, "image_size": 48, "label": "label", "input": "unit_gray"},
        "optimiser": {"name": "adam", "lr": 1e-3}, "schedule": {"name": "constant"},
        "steps": args.steps, "batch_size": args.batch, "precision": "fp32", "device": "cpu", "seed": 0,
        "checkpoint_every": args.steps, "log_every": 10,
    })


def fast_path_comparison(args: argparse.Namespace) -> None:
    """The trainer on the hGRU or its control: plain computation and fast path, on one thread and on all."""
    recipes = {"plain": fast_path_recipe(args, fast=False), "fast": fast_path_recipe(args, fast=True)}
    thread_counts = sorted({1, args.all_threads})
    configurations = [(name, threads) for threads in thread_counts for name in recipes]
    speeds: dict[str, list[tuple[float, float]]] = {f"{name} x{threads}": [] for name, threads in configurations}
    for repeat in range(args.repeats):
        for name, threads in configurations[::1 if repeat % 2 == 0 else -1]:
            torch.set_num_threads(threads)
            speeds[f"{name} x{threads}"].append(trainer_speed(recipes[name]))
    channels = 2 * args.orientations + 1
    print(f"{args.model} ({channels} channels, {args.kernel_size}x{args.kernel_size} kernels, 48 px), "
          f"batch {args.batch}, {args.steps} steps, {args.repeats} runs each; 'x N' = N CPU threads")
    print_speeds(speeds)
    today, fast_all = "plain x1", f"fast x{args.all_threads}"
    ratios = print_ratios(speeds, fast_all, today)
    same_threads = {threads: print_ratios(speeds, f"fast x{threads}", f"plain x{threads}")["median"]
                    for threads in thread_counts}
    print(json.dumps({"model": args.model, "channels": channels, "kernel_size": args.kernel_size, "image_size": 48,
                      "batch_size": args.batch, "steps": args.steps, "threads": args.all_threads,
                      "steps_per_s": round(speed_statistic(speeds[fast_all], "median"), 4),
                      "reference_steps_per_s": round(speed_statistic(speeds[today], "median"), 4),
                      "ratio": round(ratios["median"], 4), "wall_best_ratio": round(ratios["best"], 4),
                      "same_threads_ratio": {str(threads): round(ratio, 4) for threads, ratio in same_threads.items()},
                      "one_thread_cpu_ratio": round(speed_statistic(speeds["fast x1"], "cpu")
                                                    / speed_statistic(speeds["plain x1"], "cpu"), 4)}))


def print_ratios(speeds: dict[str, list[tuple[float, float]]], numerator: str, denominator: str) -> dict[str, float]:
    """Print and return the speed ratio ``numerator / denominator`` per CPU second and by wall clock."""
    ratios = {kind: speed_statistic(speeds[numerator], kind) / speed_statistic(speeds[denominator], kind)
              for kind in ("best", "median", "cpu")}
    print(f"ratio {numerator} / {denominator}: {ratios['cpu']:.3f} (per CPU second, medians); wall clock "
          f"{ratios['best']:.3f} (fastest runs), {ratios['median']:.3f} (medians)")
    return ratios


def print_speeds(speeds: dict[str, list[tuple[float, float]]]) -> None:
    """One row per loop: fastest and median wall-clock speed, median per CPU second, every run."""
    print(f"{'loop':<14}{'steps/s best':>14}{'median':>10}{'per CPU s, median':>20}   wall-clock runs")
    for name, values in speeds.items():
        wall, cpu = [value[0] for value in values], [value[1] for value in values]
        print(f"{name:<14}{max(wall):>14.3f}{statistics.median(wall):>10.3f}{statistics.median(cpu):>20.3f}   "
              f"{', '.join(f'{value:.3f}' for value in wall)}")


def bench_recipe(args: argparse.Namespace) -> Recipe:
    kwargs = {"input_size": 32, "width": args.width, "n_classes": 8}
    return load_recipe({
        "model": {"name": args.model, "kwargs": kwargs},
        "data": {"generator": "objects", "train_options": {"split": "train"}, "train_n": args.images,
                 "generated_size": 32, "image_size": 32},
        "optimiser": {"name": "sgd", "lr": 0.01, "momentum": 0.9}, "schedule": {"name": "constant"},
        "steps": args.steps, "batch_size": args.batch, "precision": "fp32", "device": "cpu", "seed": 0,
        "checkpoint_every": args.steps, "log_every": 10,
    })


def trainer_speed(recipe: Recipe) -> tuple[float, float]:
    """Steps per second of wall time and of this process's CPU time."""
    with tempfile.TemporaryDirectory(prefix="chronoscore-bench-trainer-") as folder:
        summary = train(recipe, Path(folder) / "run", progress=False)
    return summary["steps_per_second"], summary["steps"] / summary["training_cpu_seconds"]


def hand_written_speed(recipe: Recipe, images: torch.Tensor, labels: torch.Tensor) -> tuple[float, float]:
    """Steps per second of wall time and of this process's CPU time."""
    torch.manual_seed(recipe.seed)
    model = create_model(recipe.model.name, **recipe.model.kwargs)
    optimiser = torch.optim.SGD(model.parameters(), lr=recipe.optimiser.lr, momentum=recipe.optimiser.momentum)
    order = torch.Generator().manual_seed(recipe.seed)
    per_epoch = len(images) // recipe.batch_size
    started, cpu_started = time.perf_counter(), time.process_time()
    for step in range(recipe.steps):
        if step % per_epoch == 0:
            permutation = torch.randperm(len(images), generator=order)
        batch = permutation[(step % per_epoch) * recipe.batch_size:(step % per_epoch + 1) * recipe.batch_size]
        loss = F.cross_entropy(model(images[batch]), labels[batch])
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    return (recipe.steps / (time.perf_counter() - started),
            recipe.steps / (time.process_time() - cpu_started))


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.model in _CLAIM_KERNEL_SIZES:
        fast_path_comparison(args)
        return
    recipe = bench_recipe(args)
    images, labels = generated_data(recipe.data).train.tensors
    speeds: dict[str, list[tuple[float, float]]] = {"trainer": [], "hand-written": []}
    for repeat in range(args.repeats):  # alternate which loop goes first
        runs = [("trainer", lambda: trainer_speed(recipe)),
                ("hand-written", lambda: hand_written_speed(recipe, images, labels))]
        for name, run in runs[::1 if repeat % 2 == 0 else -1]:
            speeds[name].append(run())
    print(f"{args.model} (width {args.width}, 32 px), batch {args.batch}, {args.steps} steps, "
          f"{args.threads} CPU thread(s), {args.repeats} runs each")
    print_speeds(speeds)
    ratios = print_ratios(speeds, "trainer", "hand-written")
    print(json.dumps({"model": args.model, "width": args.width, "batch_size": args.batch, "steps": args.steps,
                      "threads": args.threads,
                      "trainer_steps_per_s": round(speed_statistic(speeds["trainer"], "cpu"), 3),
                      "reference_steps_per_s": round(speed_statistic(speeds["hand-written"], "cpu"), 3),
                      "ratio": round(ratios["cpu"], 4), "wall_ratio": round(ratios["best"], 4),
                      "wall_median_ratio": round(ratios["median"], 4)}))


def speed_statistic(values: list[tuple[float, float]], kind: str) -> float:
    """Fastest wall-clock speed, median wall-clock speed, or median speed per CPU second."""
    if kind == "best":
        return max(value[0] for value in values)
    return statistics.median(value[0] if kind == "median" else value[1] for value in values)


if __name__ == "__main__":
    main()
