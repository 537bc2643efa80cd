"""Peak memory of one training step of ``hgru_seg`` with BPTT against C-RBP, as the number of steps T grows.

Back-propagation through time keeps every step's activations for the backward
pass, so its memory grows linearly with T; C-RBP (Linsley et al. 2020) runs
T − 1 steps without a graph and differentiates one step at the last state, so its
memory should not depend on T. Both train the same ``hgru_seg`` (same initial
weights) on the same Pathfinder segmentation batch: images from the
``pathfinder`` generator with ``task="segmentation"``, per-pixel targets the mask
of the marked path (:func:`chronoscore.stimuli.generators.pathfinder.pathfinder_masks`),
per-pixel cross-entropy of the (B, 2, H, W) logits. One step is zero_grad,
the algorithm's forward and backward
(:func:`~chronoscore.models.training.algorithms.bptt_loss_and_backward` or
:func:`~chronoscore.models.training.algorithms.crbp_loss_and_backward`, λ = 10,
τ = 0.9, at most 20 Neumann terms) and an Adam step.

How memory is measured: every (algorithm, T) runs in a fresh subprocess. On CUDA
the peak is ``torch.cuda.max_memory_allocated`` minus the memory allocated before
the step. On the CPU it is the growth of the process's peak resident set
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``) during the step over its value
just before it, after the model, data and optimiser are built and a warm-up step
on a tiny image has initialised the libraries. PyTorch's CPU allocator takes
tensor memory from ``malloc``; the subprocess runs with a fixed glibc mmap
threshold (``MALLOC_MMAP_THRESHOLD_=65536``) so that freed tensors are returned
at once and the resident set follows the live tensors (with glibc's adaptive
threshold, repeated runs of one configuration differed by up to 60 %). Prints a table; ends with one JSON line: ``bptt_growth`` and
``crbp_growth`` (peak at the largest T / peak at the smallest), the peaks in MB
and the device. ``--out FILE.csv`` writes rows ``algorithm,n_steps,peak_mb,device``.

Run: ``python benchmarks/bench_crbp_memory.py [--steps 5 10 20 40 --size 64 --batch 4 --orientations 4
--kernel 9 --out crbp_memory.csv]``
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import torch

from chronoscore.models.hgru import hgru_seg
from chronoscore.models.training.algorithms import StepContext, bptt_loss_and_backward, crbp_loss_and_backward
from chronoscore.stimuli import generate, load_batch
from chronoscore.stimuli.generators.pathfinder import pathfinder_masks

ALGORITHMS = ("bptt", "crbp")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, nargs="+", default=[5, 10, 20, 40], help="recurrent steps T")
    parser.add_argument("--size", type=int, default=64, help="image side in pixels")
    parser.add_argument("--batch", type=int, default=4, help="images per batch")
    parser.add_argument("--orientations", type=int, default=4, help="Gabor orientations (channels 2·n + 1)")
    parser.add_argument("--kernel", type=int, default=9, help="side of the horizontal kernels")
    parser.add_argument("--path-length", type=int, default=9, help="paddles of the marked path")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument("--out", type=Path, help="CSV file of rows algorithm,n_steps,peak_mb,device")
    parser.add_argument("--measure", nargs=2, metavar=("ALGORITHM", "T"), help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def pathfinder_batch(args: argparse.Namespace) -> tuple[torch.Tensor, torch.Tensor]:
    """Images (B, 3, S, S) and per-pixel targets (B, S, S) (1 on the marked path, 0 elsewhere)."""
    stimuli = generate("pathfinder", n=args.batch, size=args.size, seed=0, path_length=args.path_length,
                       task="segmentation")
    images = load_batch(stimuli, range(args.batch), args.size)  # drawn at the model's size: masks align
    return images, torch.from_numpy(pathfinder_masks(stimuli)).long()


def peak_rss_mb() -> float:
    """This process's peak resident set so far, in MB (ru_maxrss is in kB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2 ** 20 if sys.platform == "darwin" else peak / 2 ** 10


def measure(args: argparse.Namespace, algorithm: str, n_steps: int) -> dict:
    """Peak memory (MB) of one training step, measured in this (fresh) process."""
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    images, targets = (tensor.to(device) for tensor in pathfinder_batch(args))
    torch.manual_seed(0)
    model = hgru_seg(input_size=args.size, n_orientations=args.orientations, kernel_size=args.kernel,
                     n_steps=n_steps).to(device)
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_and_backward = bptt_loss_and_backward if algorithm == "bptt" else crbp_loss_and_backward
    context = StepContext(n_steps=n_steps)

    def training_step(batch: torch.Tensor, batch_targets: torch.Tensor, steps: StepContext):
        optimiser.zero_grad(set_to_none=True)
        outcome = loss_and_backward(model, batch, batch_targets, steps)
        optimiser.step()
        return outcome

    training_step(images[:1, :, :16, :16], targets[:1, :16, :16], StepContext(n_steps=2))  # warm-up, tiny
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        before = torch.cuda.memory_allocated(device)
        torch.cuda.reset_peak_memory_stats(device)
    else:
        before = peak_rss_mb()
    started = time.perf_counter()
    outcome = training_step(images, targets, context)
    seconds = time.perf_counter() - started
    if device.type == "cuda":
        peak = (torch.cuda.max_memory_allocated(device) - before) / 2 ** 20
    else:
        peak = peak_rss_mb() - before
    iterations = outcome.extras.get("neumann_iterations")
    return {"algorithm": algorithm, "n_steps": n_steps, "peak_mb": peak, "device": device.type,
            "seconds": seconds, "loss": outcome.loss.item(),
            "neumann_iterations": None if iterations is None else int(iterations)}


def run_in_subprocess(argv: list[str], algorithm: str, n_steps: int) -> dict:
    """:func:`measure` in a fresh Python process, so that no earlier run's peak is counted (it ignores ``--out``)."""
    command = [sys.executable, str(Path(__file__).resolve()), *argv, "--measure", algorithm, str(n_steps)]
    # a fixed glibc mmap threshold: freed tensors go back to the system at once, so the peak resident set
    # follows the live tensors (glibc's adaptive threshold otherwise keeps freed blocks a variable while)
    environment = {**os.environ, "MALLOC_MMAP_THRESHOLD_": str(64 * 1024)}
    finished = subprocess.run(command, capture_output=True, text=True, check=False, env=environment)
    if finished.returncode != 0:
        raise RuntimeError(f"measuring {algorithm} at T={n_steps} failed:\n{finished.stderr[-2000:]}")
    return json.loads(finished.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    if args.measure is not None:
        print(json.dumps(measure(args, args.measure[0], int(args.measure[1]))))
        return 0
    rows = [run_in_subprocess(argv, algorithm, n_steps) for algorithm in ALGORITHMS for n_steps in args.steps]
    channels = 2 * args.orientations + 1
    print(f"hgru_seg, {channels} channels, {args.kernel}x{args.kernel} kernels, {args.batch} x {args.size}x{args.size} "
          f"Pathfinder images, one training step (forward, backward, Adam), device {rows[0]['device']}")
    print(f"{'algorithm':<10}{'T':>5}{'peak MB':>10}{'seconds':>9}{'loss':>9}{'Neumann':>9}")
    for row in rows:
        neumann = "" if row["neumann_iterations"] is None else str(row["neumann_iterations"])
        print(f"{row['algorithm']:<10}{row['n_steps']:>5}{row['peak_mb']:>10.1f}{row['seconds']:>9.2f}"
              f"{row['loss']:>9.4f}{neumann:>9}")
    peaks = {algorithm: {row["n_steps"]: round(row["peak_mb"], 2) for row in rows if row["algorithm"] == algorithm}
             for algorithm in ALGORITHMS}
    first, last = min(args.steps), max(args.steps)
    if args.out is not None:
        with open(args.out, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["algorithm", "n_steps", "peak_mb", "device"])
            writer.writerows([row["algorithm"], row["n_steps"], round(row["peak_mb"], 3), row["device"]]
                             for row in rows)
    print(json.dumps({"bptt_growth": round(peaks["bptt"][last] / peaks["bptt"][first], 3),
                      "crbp_growth": round(peaks["crbp"][last] / peaks["crbp"][first], 3),
                      "peaks_mb": peaks, "device": rows[0]["device"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
