"""Brain-Score's pls metric against chronoscore's, side by side on the same data.

Both score the same model features against the same trial-averaged neural
assembly with Brain-Score's defaults (PLS, 25 components, 10 stratified splits,
train size 0.9, seed 1). Each side runs in its own process; its memory is the rise
of peak resident memory (VmHWM) over the resident memory just before the fit. Also times chronoscore's 19-bin
per-bin fit as a multiple of its single-bin fit.

Brain-Score pins an older stack (numpy < 2, xarray < 2022.6) than chronoscore's
environment, so its side runs with the Python of the environment that has it:
this one when ``brainscore_vision`` imports here, else ``--brainscore-python``
(default: the repository's ``.venv-brainscore``, made by ``make install-brainscore``),
which runs this script with ``--reference-only`` and hands its figures back in a file.

Usage::

    python benchmarks/bench_neural_fit.py [--stimuli 3200] [--features 4096] [--neuroids 168]
        [--objects 64] [--bins 19] [--skip-brainscore] [--brainscore-python PATH]

The last line printed is one JSON object with the key figures.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import queue as queue_module
import sys
import time
from pathlib import Path

import numpy as np
import xarray as xr
from brainscore_side import BRAINSCORE_PYTHON, brainscore_figures, save_reference

os.environ.setdefault("BS_INSTALL_DEPENDENCIES", "no")


def make_data(n_stimuli: int, n_features: int, n_neuroids: int, n_objects: int, n_bins: int, seed: int = 0):
    """Features (n, p), responses (n, q, B), stimulus ids and object labels."""
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(n_stimuli, n_features)).astype(np.float32)
    weights = rng.normal(size=(n_features, n_neuroids)).astype(np.float32) / np.sqrt(n_features)
    drive = features @ weights
    gains = np.linspace(0.3, 1.0, n_bins)
    responses = drive[:, :, None] * gains + rng.normal(size=(n_stimuli, n_neuroids, n_bins)).astype(np.float32)
    stimuli = np.array([f"stim{i:05d}" for i in range(n_stimuli)])
    objects = np.array([f"obj{i % n_objects:03d}" for i in range(n_stimuli)])
    return features.astype(np.float64), responses.astype(np.float64), stimuli, objects


def memory_mb(field: str = "VmHWM") -> float:
    """Peak (``VmHWM``) or current (``VmRSS``) resident memory of this process, in MB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def run_brainscore(args, queue) -> None:
    from brainscore_core.supported_data_standards.brainio.assemblies import NeuroidAssembly
    from brainscore_vision import load_metric

    features, responses, stimuli, objects = make_data(args.stimuli, args.features, args.neuroids, args.objects,
                                                      args.bins)
    source = NeuroidAssembly(features, dims=["presentation", "neuroid"], coords={
        "stimulus_id": ("presentation", stimuli), "object_name": ("presentation", objects),
        "neuroid_id": ("neuroid", np.arange(args.features)), "layer": ("neuroid", ["f"] * args.features)})
    target = NeuroidAssembly(responses[:, :, 0], dims=["presentation", "neuroid"], coords={
        "stimulus_id": ("presentation", stimuli), "object_name": ("presentation", objects),
        "neuroid_id": ("neuroid", [f"n{j:04d}" for j in range(args.neuroids)]),
        "region": ("neuroid", ["IT"] * args.neuroids)})
    metric = load_metric("pls", crossvalidation_kwargs=dict(stratification_coord="object_name"))
    before = memory_mb("VmRSS")
    start = time.perf_counter()
    score = metric(source, target)
    seconds = time.perf_counter() - start
    raw = score.attrs["raw"].transpose("split", "neuroid")
    order = np.argsort(raw["neuroid_id"].values)
    queue.put({"seconds": seconds, "score": float(score.values), "r": raw.values[:, order],
               "peak_mb": memory_mb() - before})


def run_chronoscore(args, queue) -> None:
    from chronoscore.neural_fit.metrics.pls import pls_predictions
    from chronoscore.neural_fit.predictivity import split_correlations
    from chronoscore.neural_fit.splits import shuffle_splits

    features, responses, stimuli, objects = make_data(args.stimuli, args.features, args.neuroids, args.objects,
                                                      args.bins)
    regression = pls_predictions(25)
    before = memory_mb("VmRSS")
    start = time.perf_counter()
    splits = shuffle_splits(stimuli, objects)
    r = split_correlations(features[None], responses[:, :, :1], splits, regression)
    seconds = time.perf_counter() - start
    peak = memory_mb() - before
    start = time.perf_counter()
    split_correlations(features[None], responses, splits, regression)
    all_bins = time.perf_counter() - start
    median = np.nanmedian(r[:, :, 0], axis=1)
    queue.put({"seconds": seconds, "score": float(median.mean()), "r": r[:, :, 0], "peak_mb": peak,
               "bins_seconds": all_bins})


def in_process(target, args) -> dict:
    """Run ``target`` in a fresh process and return what it reports; raise if it ends without reporting."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=target, args=(args, queue))
    process.start()
    while True:
        try:
            result = queue.get(timeout=1.0)
            break
        except queue_module.Empty:
            if not process.is_alive() and queue.empty():
                raise RuntimeError(f"{target.__name__} ended (exit code {process.exitcode}) without a result; "
                                   "its error is printed above.") from None
    process.join()
    return result


def reference_only(args) -> None:
    """Run Brain-Score's side in this process and save its figures to ``args.reference_only``."""
    queue = queue_module.Queue()
    run_brainscore(args, queue)
    save_reference(queue.get_nowait(), args.reference_only)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stimuli", type=int, default=3200)
    parser.add_argument("--features", type=int, default=4096)
    parser.add_argument("--neuroids", type=int, default=168)
    parser.add_argument("--objects", type=int, default=64)
    parser.add_argument("--bins", type=int, default=19)
    parser.add_argument("--skip-brainscore", action="store_true", help="time chronoscore only")
    parser.add_argument("--brainscore-python", type=Path, default=BRAINSCORE_PYTHON,
                        help="Python of an environment with Brain-Score, used when it is not importable here")
    parser.add_argument("--reference-only", type=Path, metavar="RESULT.npz", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.reference_only:
        reference_only(args)
        return

    ours = in_process(run_chronoscore, args)
    sizes = ["--stimuli", str(args.stimuli), "--features", str(args.features), "--neuroids", str(args.neuroids),
             "--objects", str(args.objects), "--bins", str(args.bins)]
    theirs = None if args.skip_brainscore else brainscore_figures(lambda: in_process(run_brainscore, args), __file__,
                                                                  sizes, args.brainscore_python)
    print(f"chronoscore side: {sys.executable} (numpy {np.__version__}, xarray {xr.__version__})")

    print(f"data: {args.stimuli} stimuli x {args.features} features x {args.neuroids} neuroids, "
          f"10 splits, PLS 25 components")
    print(f"{'':24}{'seconds':>10}{'score':>12}{'peak MB':>14}")
    if theirs:
        print(f"{'Brain-Score pls':24}{theirs['seconds']:10.2f}{theirs['score']:12.6f}{theirs['peak_mb']:14.0f}")
    print(f"{'chronoscore':24}{ours['seconds']:10.2f}{ours['score']:12.6f}{ours['peak_mb']:14.0f}")
    ratio = ours["bins_seconds"] / ours["seconds"]
    print(f"chronoscore per-bin fit of {args.bins} bins: {ours['bins_seconds']:.2f} s = {ratio:.1f} x one bin")
    summary = {"stimuli": args.stimuli, "features": args.features, "neuroids": args.neuroids,
               "chronoscore_s": round(ours["seconds"], 3), "chronoscore_peak_mb": round(ours["peak_mb"]),
               "bins": args.bins, "bins_over_single": round(ratio, 2)}
    if theirs:
        speedup = theirs["seconds"] / ours["seconds"]
        max_abs_diff = float(np.nanmax(np.abs(theirs["r"] - ours["r"])))
        score_diff = abs(theirs["score"] - ours["score"])
        print(f"speedup {speedup:.1f}x; largest per-neuroid r difference {max_abs_diff:.2e}; "
              f"score difference {score_diff:.2e}")
        summary.update(brainscore_s=round(theirs["seconds"], 3), brainscore_peak_mb=round(theirs["peak_mb"]),
                       speedup=round(speedup, 1), max_abs_diff=max_abs_diff, score_abs_diff=score_diff)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
