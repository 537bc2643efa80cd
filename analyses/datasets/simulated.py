"""``simulated``: the embedded default, generated object images and simulated V4/IT raw trials.

Built once into the cache folder (:mod:`chronoscore.analyses.embedded_benchmark`)
and read from there afterwards; it lets every part of chronoscore run offline.
"""

from __future__ import annotations

from chronoscore.analyses.benchmark_data import Benchmark
from chronoscore.analyses.datasets._registry import DataRequest, dataset
from chronoscore.analyses.embedded_benchmark import EMBEDDED_NAME, load_embedded_benchmark
from chronoscore.neural_fit.settings import FitSettings

__all__ = ["SIMULATED_SETTINGS", "simulated"]

SIMULATED_SETTINGS = FitSettings(stratify="category_name")
"""The simulated benchmark has 6 images per object: splits are stratified by category."""


@dataset("simulated", aliases=(EMBEDDED_NAME,), regions=("V4", "IT"),
         description="the embedded default: generated object images and simulated V4/IT raw trials (offline)",
         contents="384 images x 100 neuroids (40 V4, 60 IT) x 19 time bins (70-260 ms), 32 repetitions")
def simulated(request: DataRequest) -> Benchmark:
    """The embedded benchmark from the cache folder (built first if missing)."""
    assembly, stimulus_set = load_embedded_benchmark()
    return Benchmark("simulated", assembly, stimulus_set, SIMULATED_SETTINGS)
