"""The demo: a recurrent model and its feedforward control scored on the embedded benchmark.

On the embedded default — generated object images, the simulated V4/IT
recordings and the small trained weights shipped with chronoscore — it scores
``convrnn_shallow_rgc`` and ``ff_shallow`` per region and time bin, compares
them with paired statistics over sites and writes the results with a summary.
The figures and the HTML report of these results are drawn by
:func:`chronoscore.figures.demo_figures.draw_demo_figures` (``chronoscore demo``
runs both).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from chronoscore.analyses.datasets import load_benchmark
from chronoscore.analyses.compare import compare, write_comparison
from chronoscore.analyses.comparison_summary import comparison_table
from chronoscore.analyses.run_folder import write_summary
from chronoscore.analyses.score import score_model, write_results
from chronoscore.models.training.shipped import load_shipped_weights

__all__ = ["DEMO_MODELS", "run_demo"]

DEMO_MODELS = ("convrnn_shallow_rgc", "ff_shallow")
"""The recurrent model and its feedforward control (the reference of the comparison)."""


def run_demo(out_dir: str | os.PathLike = "results/demo", *, progress: bool = True) -> Path:
    """Score and compare; return the folder holding ``summary.md``.

    Writes ``<model>/`` results folders (scores as netCDF, ``summary.md``,
    ``model.json``), ``comparison/`` and ``summary.md`` (which shows
    ``predictivity.png``, drawn by the figures step) into ``out_dir``.
    """
    started = time.perf_counter()
    out_dir = Path(out_dir)
    benchmark = load_benchmark("simulated")
    folders = []
    for name in DEMO_MODELS:
        model = load_shipped_weights(name)
        modes = ("per_bin", "matrix") if model.default_steps > 1 else ("per_bin",)
        result = score_model(model, benchmark, model_name=name, time_modes=modes, progress=progress)
        folders.append(write_results(result, out_dir / name))
    comparison = compare(folders, reference=DEMO_MODELS[-1])
    write_comparison(comparison, out_dir / "comparison")
    summary = [
        "# chronoscore demo",
        "",
        f"Benchmark: {benchmark.name} (simulated V4/IT, {len(benchmark.stimulus_set)} images); models: "
        + ", ".join(DEMO_MODELS) + " with their shipped weights.",
        "",
        "![predictivity per time bin](predictivity.png)",
        "",
        comparison_table(comparison),
        "",
        f"Scored and compared in {time.perf_counter() - started:.0f} s.",
    ]
    write_summary(out_dir, "\n".join(summary))
    return out_dir
