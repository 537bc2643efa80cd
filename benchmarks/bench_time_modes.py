"""The demo's scoring stage: one call per time mode (the old path) against one call for all modes.

Both score the demo's models (``convrnn_shallow_rgc`` in ``per_bin`` and
``matrix``, ``ff_shallow`` in ``per_bin``) on the embedded benchmark with its
settings, from the same activations (extracted once, before timing). The old
path calls :func:`~chronoscore.neural_fit.neural_predictivity` once per mode,
redoing the checks, trial averaging, splits and noise ceilings each time; the
new one calls :func:`~chronoscore.neural_fit.score_time_modes` once. The table
shows the median wall and CPU seconds (the process's, all threads) of
``--repeats`` alternating runs, and the largest difference between the two
paths' numbers (they must agree to 1e-12). On a shared machine the CPU seconds
are the steadier figure.

Usage::

    python benchmarks/bench_time_modes.py [--repeats 3] [--modes per_bin matrix]

The last line printed is one JSON object with the key figures.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import time

import numpy as np

os.environ.setdefault("BS_INSTALL_DEPENDENCIES", "no")


def demo_inputs(modes_recurrent: tuple[str, ...]) -> tuple[list[tuple], object]:
    """(model name, features per region, neural assembly, modes) for each demo model, as the demo scores them,
    and the benchmark's settings."""
    from chronoscore.analyses.area_selection import areas_named_after_regions
    from chronoscore.analyses.benchmark_data import load_benchmark
    from chronoscore.analyses.demo import DEMO_MODELS
    from chronoscore.analyses.extraction import extract
    from chronoscore.models.training.shipped import load_shipped_weights

    benchmark = load_benchmark("simulated")
    regions = list(dict.fromkeys(map(str, benchmark.assembly["region"].values)))
    inputs = []
    for name in DEMO_MODELS:
        model = load_shipped_weights(name)
        areas = areas_named_after_regions(model.areas, regions)
        activations = extract(model, benchmark.stimulus_set, areas=list(dict.fromkeys(areas.values())), cache=False,
                              progress=False, model_name=name)
        features = {region: activations.isel(neuroid=activations["layer"].values == area)
                    for region, area in areas.items()}
        modes = modes_recurrent if model.default_steps > 1 else ("per_bin",)
        inputs.append((name, features, benchmark.assembly, modes))
    return inputs, benchmark.settings


def per_mode(inputs, settings) -> tuple[float, float, list[dict]]:
    """The old path: one neural_predictivity call per model and mode; wall and CPU seconds and the Scores."""
    from chronoscore.neural_fit.scoring import neural_predictivity

    wall, cpu = time.perf_counter(), time.process_time()
    results = [{mode: neural_predictivity(features, neural, dataclasses.replace(settings, time=mode), progress=False)
                for mode in modes} for _, features, neural, modes in inputs]
    return time.perf_counter() - wall, time.process_time() - cpu, results


def all_modes(inputs, settings) -> tuple[float, float, list[dict]]:
    """The new path: one score_time_modes call per model; wall and CPU seconds and the Scores."""
    from chronoscore.neural_fit.scoring import score_time_modes

    wall, cpu = time.perf_counter(), time.process_time()
    results = [score_time_modes(features, neural, settings, modes, progress=False)
               for _, features, neural, modes in inputs]
    return time.perf_counter() - wall, time.process_time() - cpu, results


def largest_difference(old: list[dict], new: list[dict]) -> float:
    """Largest absolute difference over every numeric variable of every model's and mode's Scores (inf if the
    NaNs differ)."""
    largest = 0.0
    for old_model, new_model in zip(old, new, strict=True):
        for mode, scores in old_model.items():
            for name, variable in scores.data_vars.items():
                if variable.dtype.kind not in "biuf":
                    continue
                before, after = variable.values.astype(float), new_model[mode][name].values.astype(float)
                if not np.array_equal(np.isnan(before), np.isnan(after)):
                    return float("inf")
                largest = max(largest, float(np.nanmax(np.abs(after - before), initial=0.0)))
    return largest


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="alternating runs of each path (median reported)")
    parser.add_argument("--modes", nargs="+", default=["per_bin", "matrix"],
                        help="time modes of the recurrent model (the demo's: per_bin matrix)")
    args = parser.parse_args(argv)

    import warnings

    warnings.simplefilter("ignore")
    inputs, settings = demo_inputs(tuple(args.modes))
    old_runs, new_runs = [], []
    for _ in range(args.repeats):
        *seconds, old = per_mode(inputs, settings)
        old_runs.append(seconds)
        *seconds, new = all_modes(inputs, settings)
        new_runs.append(seconds)
    difference = largest_difference(old, new)
    (old_wall, old_cpu), (new_wall, new_cpu) = ([statistics.median(column) for column in zip(*runs)]
                                                for runs in (old_runs, new_runs))
    fits = ", ".join(f"{name} ({' + '.join(modes)})" for name, _, _, modes in inputs)
    print(f"demo scoring stage: {fits}; {len(inputs[0][2]['stimulus_id'])} presentations, "
          f"median of {args.repeats} runs")
    print(f"{'path':34}{'wall s':>10}{'CPU s':>10}")
    print(f"{'one call per mode (old)':34}{old_wall:10.2f}{old_cpu:10.2f}")
    print(f"{'one call for all modes (new)':34}{new_wall:10.2f}{new_cpu:10.2f}")
    print(f"speedup {old_wall / new_wall:.2f}x wall, {old_cpu / new_cpu:.2f}x CPU; largest difference between the "
          f"paths' numbers {difference:.1e}")
    print(json.dumps({"per_mode_wall_s": round(old_wall, 3), "all_modes_wall_s": round(new_wall, 3),
                      "per_mode_cpu_s": round(old_cpu, 3), "all_modes_cpu_s": round(new_cpu, 3),
                      "speedup_wall": round(old_wall / new_wall, 3), "speedup_cpu": round(old_cpu / new_cpu, 3),
                      "max_abs_diff": difference, "repeats": args.repeats, "modes": args.modes}))


if __name__ == "__main__":
    main()
