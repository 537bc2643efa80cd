"""Time Brain-Score's representational metrics against chronoscore's on the same data.

For each metric (``rsa`` against Brain-Score's ``rdm_cv``, ``cka`` against
``cka_cv``, ``reverse_pls`` against ``reverse_pls_cv``), both score one set of
synthetic features (stimuli × features) against one neural assembly (stimuli ×
neuroids, one time bin) with 10 stratified shuffle splits (RSA and CKA compare
the 90 % held-out stimuli; reverse PLS trains on 90 %). Prints a table and
ends with one JSON line per metric: ``metric``, ``speedup``, ``max_abs_diff``
(over the per-split values), ``brainscore_s``, ``chronoscore_s`` (the median of
``--repeats`` runs, each in ``chronoscore_runs_s``) and the machine's 1-minute
load average when the run started and when it ended.

Brain-Score's side runs in this process when ``brainscore_vision`` imports here,
else with ``--brainscore-python`` (default: the repository's ``.venv-brainscore``).

Run: ``python benchmarks/bench_metrics.py [--stimuli 3200 --features 4096 --neuroids 168 --metrics rsa cka reverse_pls]``
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import xarray as xr
from brainscore_side import BRAINSCORE_PYTHON, brainscore_figures, save_reference

from chronoscore.neural_fit.assembly import make_assembly
from chronoscore.neural_fit.scoring import neural_predictivity
from chronoscore.neural_fit.settings import FitSettings

BRAINSCORE_NAMES = {"rsa": "rdm_cv", "cka": "cka_cv", "reverse_pls": "reverse_pls_cv"}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stimuli", type=int, default=3200)
    parser.add_argument("--features", type=int, default=4096, help="model units")
    parser.add_argument("--neuroids", type=int, default=168)
    parser.add_argument("--objects", type=int, default=64, help="object classes the splits are stratified by")
    parser.add_argument("--metrics", nargs="+", choices=sorted(BRAINSCORE_NAMES), default=sorted(BRAINSCORE_NAMES))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3,
                        help="runs of chronoscore's side per metric; its median time is compared (each run takes "
                             "seconds, so a passing spike of load on a shared machine would otherwise decide)")
    parser.add_argument("--brainscore-python", type=Path, default=BRAINSCORE_PYTHON,
                        help="Python of an environment with Brain-Score, used when it is not importable here")
    parser.add_argument("--reference-only", type=Path, metavar="RESULT.npz", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def make_data(args: argparse.Namespace) -> tuple[xr.DataArray, xr.DataArray]:
    """Features (presentation, neuroid) and a trial-averaged assembly read out from them with noise."""
    rng = np.random.default_rng(args.seed)
    stimuli = np.array([f"image{i:05d}" for i in range(args.stimuli)])
    objects = np.array([f"object{i % args.objects}" for i in range(args.stimuli)])
    x = rng.standard_normal((args.stimuli, args.features))
    y = x[:, :50] @ rng.standard_normal((50, args.neuroids)) / np.sqrt(50)
    y += rng.standard_normal(y.shape)
    features = xr.DataArray(x, dims=("presentation", "neuroid"),
                            coords={"stimulus_id": ("presentation", stimuli),
                                    "object_name": ("presentation", objects),
                                    "neuroid_id": ("neuroid", [f"unit{i}" for i in range(args.features)])})
    neural = make_assembly(y[:, :, None], stimulus_id=stimuli, neuroid_id=[f"n{j}" for j in range(args.neuroids)],
                           region="IT", time_bin_start=[70], time_bin_end=[170],
                           presentation_coords={"object_name": objects})
    return features, neural


def run_brainscore(name: str, features: xr.DataArray, neural: xr.DataArray) -> tuple[np.ndarray, float]:
    """Per-split values of Brain-Score's metric and its wall time."""
    from brainscore_core.supported_data_standards.brainio.assemblies import NeuroidAssembly
    from brainscore_vision import load_metric

    from chronoscore.neural_fit.brainscore_convert import to_brainscore

    coords = {key: (coord.dims, coord.values) for key, coord in features.coords.items()}
    coords["layer"] = ("neuroid", ["features"] * features.sizes["neuroid"])
    source = NeuroidAssembly(features.values, coords=coords, dims=features.dims)
    target = to_brainscore(neural).squeeze("time_bin")
    metric = load_metric(name)
    start = time.perf_counter()
    score = metric(source, target)
    seconds = time.perf_counter() - start
    raw = score.attrs["raw"]
    if "neuroid" in raw.dims:  # reverse_pls: r per model unit; the per-split value is their median
        raw = raw.median("neuroid")
    return raw.transpose("split").values, seconds


def run_chronoscore(name: str, features: xr.DataArray, neural: xr.DataArray) -> tuple[np.ndarray, float]:
    """Per-split values of chronoscore's metric and its wall time."""
    start = time.perf_counter()
    scores = neural_predictivity(features, neural, FitSettings(metric=name), progress=False)
    return scores["similarity"].values[:, 0, 0], time.perf_counter() - start


def brainscore_side(args: argparse.Namespace, features: xr.DataArray, neural: xr.DataArray) -> dict:
    """Per-split values (``<metric>_values``) and seconds (``<metric>_seconds``) of Brain-Score's metrics."""
    figures = {}
    for name in args.metrics:
        figures[f"{name}_values"], figures[f"{name}_seconds"] = run_brainscore(BRAINSCORE_NAMES[name], features,
                                                                               neural)
    return figures


def main(argv: list[str] | None = None) -> list[dict]:
    args = parse_args(argv)
    load_at_start = os.getloadavg()[0]
    features, neural = make_data(args)
    if args.reference_only:
        save_reference(brainscore_side(args, features, neural), args.reference_only)
        return []
    sizes = ["--stimuli", str(args.stimuli), "--features", str(args.features), "--neuroids", str(args.neuroids),
             "--objects", str(args.objects), "--seed", str(args.seed), "--metrics", *args.metrics]
    reference = brainscore_figures(lambda: brainscore_side(args, features, neural), __file__, sizes,
                                   args.brainscore_python)
    print(f"{args.stimuli} stimuli x {args.features} features x {args.neuroids} neuroids, 10 splits, one time bin")
    print(f"{'metric':<12}{'Brain-Score (s)':>26}{'chronoscore (s)':>18}{'speed-up':>10}{'max |diff|':>12}")
    lines = []
    for name in args.metrics:
        expected, brainscore_s = reference[f"{name}_values"], reference[f"{name}_seconds"]
        runs = [run_chronoscore(name, features, neural) for _ in range(args.repeats)]
        ours, chronoscore_s = runs[0][0], float(np.median([seconds for _, seconds in runs]))
        figures = {"metric": name, "speedup": brainscore_s / chronoscore_s,
                   "max_abs_diff": float(np.abs(ours - expected).max()), "brainscore_s": brainscore_s,
                   "chronoscore_s": chronoscore_s, "chronoscore_runs_s": [seconds for _, seconds in runs],
                   "stimuli": args.stimuli, "features": args.features,
                   "neuroids": args.neuroids}
        print(f"{name:<12}{BRAINSCORE_NAMES[name]:>16}{brainscore_s:>10.2f}{chronoscore_s:>18.2f}"
              f"{figures['speedup']:>9.1f}x{figures['max_abs_diff']:>12.1e}")
        lines.append(figures)
    load_at_end = os.getloadavg()[0]
    print(f"load average (1 min): {load_at_start:.2f} at the start, {load_at_end:.2f} at the end")
    for figures in lines:
        figures.update(load_at_start=load_at_start, load_at_end=load_at_end)
        print(json.dumps(figures))
    return lines


if __name__ == "__main__":
    main()
