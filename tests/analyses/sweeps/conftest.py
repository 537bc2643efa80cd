"""Shared pieces of the sweep tests: a small benchmark folder and tiny models' sweep entries."""

import pytest
import yaml

from chronoscore.analyses.embedded_benchmark import build_embedded_benchmark

TINY_CONVRNN = {"name": "convrnn_shallow_time_decay", "image_size": 32, "model_args": {"width": 0.05, "n_classes": 8}}
TINY_FEEDFORWARD = {"name": "ff_shallow", "image_size": 32, "model_args": {"width": 0.05, "n_classes": 8}}
FAST_SETTINGS = ["metric_options.n_components=4", "n_splits=2", "train_size=0.8", "stratify=category_name"]
"""A few PLS components and two splits: a cell takes seconds."""


@pytest.fixture(scope="session")
def benchmark_folder(tmp_path_factory):
    return build_embedded_benchmark(tmp_path_factory.mktemp("sweep_bench"), n_images=64, image_size=32, seed=1)


def write_sweep(path, benchmark, models, time=("per_bin",), cache_dir="cache", **axes):
    """Write a sweep file of ``models`` on ``benchmark`` with the fast settings; return its path."""
    spec = {"models": list(models), "benchmarks": [str(benchmark)], "metrics": ["pls"], "time": list(time),
            "set": FAST_SETTINGS, "cache_dir": cache_dir, **axes}
    path.write_text(yaml.safe_dump(spec))
    return path
