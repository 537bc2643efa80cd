"""The local sweep executor against scoring the same cells one after another.

N tiny cells (``convrnn_shallow_time_decay`` at ``--width``, ``--image-size``
pixels, each from its own initialisation seed, so no cell reuses another's
activations) on a small generated benchmark: the reference runs ``chronoscore
score`` for each cell in turn, as one would without sweeps; chronoscore runs
``chronoscore sweep --max-parallel P`` (submitit's local executor) over the same
cells. Both start from an empty activation cache and pay one process start per
cell. The table shows the wall seconds of each and the speed-up; the cells'
per-neuroid r must be identical in both (the largest difference is printed).

Usage::

    python benchmarks/bench_sweep.py [--cells 8] [--parallel 2] [--image-size 48] [--repeats 1]

The last line printed is one JSON object with the key figures (``speedup``, ``cells``, ...).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

os.environ.setdefault("BS_INSTALL_DEPENDENCIES", "no")

SETTINGS = ["metric_options.n_components=8", "n_splits=4", "train_size=0.8", "stratify=category_name"]


def sweep_file(folder: Path, benchmark: Path, cells: int, image_size: int, width: float) -> Path:
    """A sweep of ``cells`` initialisations of the tiny ConvRNN, per bin."""
    models = [{"name": "convrnn_shallow_time_decay", "image_size": image_size, "init_seed": seed,
               "label": f"seed{seed}", "model_args": {"width": width, "n_classes": 8}} for seed in range(cells)]
    path = folder / "sweep.yaml"
    path.write_text(yaml.safe_dump({"models": models, "benchmarks": [str(benchmark)], "metrics": ["pls"],
                                    "time": ["per_bin"], "set": SETTINGS}))
    return path


def one_after_another(cells, out: Path, cache: Path) -> float:
    """Wall seconds of ``chronoscore score`` run for each cell in turn."""
    start = time.perf_counter()
    for cell in cells:
        subprocess.run([sys.executable, "-m", "chronoscore", "score", *cell.argv, "--cache-dir", str(cache),
                        "--out", str(out / cell.name)], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def swept(path: Path, out: Path, cache: Path, parallel: int) -> float:
    """Wall seconds of ``chronoscore sweep`` over the cells."""
    specification = yaml.safe_load(path.read_text())
    path.write_text(yaml.safe_dump({**specification, "cache_dir": str(cache)}))
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "chronoscore", "sweep", str(path), "--out", str(out), "--max-parallel",
                    str(parallel)], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def largest_difference(cells, reference: Path, sweep: Path) -> float:
    from chronoscore.neural_fit import read_scores

    return max(float(np.nanmax(np.abs(read_scores(reference / cell.name / "scores_per_bin.nc")["r"].values
                                      - read_scores(sweep / cell.name / "scores_per_bin.nc")["r"].values)))
               for cell in cells)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cells", type=int, default=8)
    parser.add_argument("--parallel", type=int, default=2)
    parser.add_argument("--image-size", type=int, default=48)
    parser.add_argument("--width", type=float, default=0.1)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()

    from chronoscore.analyses.embedded_benchmark import build_embedded_benchmark
    from chronoscore.analyses.sweeps.grid import load_sweep

    work = Path(tempfile.mkdtemp(prefix="bench_sweep_"))
    try:
        benchmark = build_embedded_benchmark(work / "bench", n_images=96, image_size=args.image_size, seed=1)
        path = sweep_file(work, benchmark, args.cells, args.image_size, args.width)
        cells = load_sweep(path)
        sequential, parallel, difference = [], [], 0.0
        for repeat in range(args.repeats):
            reference, sweep = work / f"reference{repeat}", work / f"sweep{repeat}"
            sequential.append(one_after_another(cells, reference, work / f"cache_reference{repeat}"))
            parallel.append(swept(path, sweep, work / f"cache_sweep{repeat}", args.parallel))
            difference = max(difference, largest_difference(cells, reference, sweep))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    sequential_s, sweep_s = statistics.median(sequential), statistics.median(parallel)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"{args.cells} cells (tiny ConvRNN, {args.image_size} px, 96 images), {cores} cores, "
          f"median of {args.repeats} run(s)")
    print(f"{'path':<44} {'wall s':>8} {'per cell s':>11}")
    print(f"{'chronoscore score, one after another':<44} {sequential_s:8.1f} {sequential_s / args.cells:11.2f}")
    print(f"{f'chronoscore sweep, --max-parallel {args.parallel}':<44} {sweep_s:8.1f} {sweep_s / args.cells:11.2f}")
    print(f"speed-up {sequential_s / sweep_s:.2f}x; largest difference in r {difference:.1e}")
    print(json.dumps({"cells": args.cells, "parallel": args.parallel, "cores": cores, "sequential_s": round(sequential_s, 2),
                      "sweep_s": round(sweep_s, 2), "speedup": round(sequential_s / sweep_s, 3),
                      "runs_sequential_s": [round(value, 2) for value in sequential],
                      "runs_sweep_s": [round(value, 2) for value in parallel], "largest_difference_r": difference}))


if __name__ == "__main__":
    main()
