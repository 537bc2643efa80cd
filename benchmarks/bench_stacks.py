"""chronoscore's PLS fit on the current stack against the same code on Brain-Score's older stack.

The core environment (``.venv``: numpy 2, current xarray, scikit-learn and pandas)
and the Brain-Score environment (``.venv-brainscore``: numpy 1.26, xarray 2022.3,
scikit-learn 1.5, with chronoscore installed too) run the same chronoscore code on
the same data: the pls metric's fit of one time bin (Brain-Score's defaults: 25
components, 10 stratified splits, train size 0.9), as in ``bench_neural_fit.py``.
Each measurement is a fresh process on one BLAS thread, timed in CPU seconds, so
that the figures do not depend on what else the machine runs; the environments
alternate. Prints a table and ends with one JSON line: ``current_cpu_s`` and
``older_cpu_s`` (medians), ``ratio`` (older / current: above 1 means the current
stack is faster) and ``max_abs_diff`` (the largest per-split, per-neuroid r
difference between the stacks).

Run: ``python benchmarks/bench_stacks.py [--stimuli 3200 --features 4096 --neuroids 168 --repeats 3]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from bench_neural_fit import make_data
from brainscore_side import BRAINSCORE_PYTHON

ONE_THREAD = {name: "1" for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stimuli", type=int, default=3200)
    parser.add_argument("--features", type=int, default=4096)
    parser.add_argument("--neuroids", type=int, default=168)
    parser.add_argument("--objects", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3, help="runs in each environment, alternating")
    parser.add_argument("--older-python", type=Path, default=BRAINSCORE_PYTHON,
                        help="Python of the environment with the older stack (default: .venv-brainscore)")
    parser.add_argument("--part", type=Path, metavar="RESULT.npz", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def fit_once(args: argparse.Namespace) -> None:
    """One fit in this process; saves its CPU seconds, r (split, neuroid) and the stack's versions."""
    import xarray

    from chronoscore.neural_fit.metrics.pls import pls_predictions
    from chronoscore.neural_fit.predictivity import split_correlations
    from chronoscore.neural_fit.splits import shuffle_splits

    features, responses, stimuli, objects = make_data(args.stimuli, args.features, args.neuroids, args.objects, 1)
    started = time.process_time()
    splits = shuffle_splits(stimuli, objects)
    r = split_correlations(features[None], responses, splits, pls_predictions(25))
    seconds = time.process_time() - started
    np.savez(args.part, cpu_s=seconds, r=r[:, :, 0], stack=f"numpy {np.__version__}, xarray {xarray.__version__}")


def run_in(python: Path, argv: list[str]) -> dict:
    """Run one fit with ``python`` in a fresh one-thread process and read its figures back."""
    with tempfile.TemporaryDirectory() as folder:
        result = Path(folder) / "fit.npz"
        subprocess.run([str(python), __file__, *argv, "--part", str(result)], check=True,
                       env={**os.environ, **ONE_THREAD})
        with np.load(result) as stored:
            return {"cpu_s": float(stored["cpu_s"]), "r": stored["r"], "stack": str(stored["stack"])}


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    if args.part is not None:
        fit_once(args)
        return
    if not args.older_python.exists():
        raise SystemExit(f"{args.older_python} does not exist; run `make install-brainscore` or pass --older-python.")
    pythons = {"current": Path(sys.executable), "older": args.older_python}
    runs: dict[str, list[dict]] = {name: [] for name in pythons}
    for repeat in range(args.repeats):
        for name in list(pythons)[::1 if repeat % 2 == 0 else -1]:
            runs[name].append(run_in(pythons[name], argv))
    print(f"pls metric fit, one bin: {args.stimuli} stimuli x {args.features} features x {args.neuroids} neuroids, "
          f"10 splits, 25 components; one BLAS thread, CPU seconds, {args.repeats} runs each")
    medians = {name: statistics.median(run["cpu_s"] for run in values) for name, values in runs.items()}
    for name, values in runs.items():
        print(f"{name:<8} {values[0]['stack']:<36} median {medians[name]:7.2f} s   runs "
              + ", ".join(f"{run['cpu_s']:.2f}" for run in values))
    difference = float(np.nanmax(np.abs(runs["current"][0]["r"] - runs["older"][0]["r"])))
    ratio = medians["older"] / medians["current"]
    print(f"older / current: {ratio:.3f}; largest r difference between the stacks {difference:.2e}")
    print(json.dumps({"stimuli": args.stimuli, "features": args.features, "neuroids": args.neuroids,
                      "current_cpu_s": round(medians["current"], 3), "older_cpu_s": round(medians["older"], 3),
                      "ratio": round(ratio, 4), "max_abs_diff": difference}))


if __name__ == "__main__":
    main()
