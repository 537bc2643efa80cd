"""Tiny saved results for the figure tests, written with chronoscore's own writers.

Every helper returns the numbers it wrote, so tests compare drawn values with
them rather than with anything the figures compute.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import xarray as xr

from chronoscore.analyses.run_folder import write_model_info
from chronoscore.models.training.metrics import METRIC_COLUMNS
from chronoscore.neural_fit import make_assembly, write_assembly, write_scores
from chronoscore.stimuli import generate, write_stimulus_set

REGIONS = ("V4", "IT")
BIN_START = np.array([70.0, 80.0, 90.0, 100.0])
BIN_END = BIN_START + 10


def scores_dataset(score: np.ndarray, *, ceiling: np.ndarray | None = None, model: str = "model",
                   steps: np.ndarray | None = None, n_splits: int = 2) -> xr.Dataset:
    """Scores as ``neural_predictivity`` makes them, with ``score`` given.

    ``score`` is (region, time_bin), or (region, time_step, time_bin) for the matrix
    mode; ``steps`` is the (time_bin,) step used per bin (per-bin mode only).
    """
    matrix = score.ndim == 3
    n_regions, n_bins = score.shape[0], score.shape[-1]
    neuroid_region = np.repeat(REGIONS[:n_regions], 2)
    coords = {"region": list(REGIONS[:n_regions]), "split": np.arange(n_splits),
              "neuroid_id": ("neuroid", [f"{region}_{i}" for i, region in enumerate(neuroid_region)]),
              "neuroid_region": ("neuroid", neuroid_region),
              "time_bin_start": ("time_bin", BIN_START[:n_bins]), "time_bin_end": ("time_bin", BIN_END[:n_bins])}
    r_dims = ("split", "time_step", "neuroid", "time_bin") if matrix else ("split", "neuroid", "time_bin")
    r_shape = (n_splits, score.shape[1], len(neuroid_region), n_bins) if matrix else (
        n_splits, len(neuroid_region), n_bins)
    score_dims = ("region", "time_step", "time_bin") if matrix else ("region", "time_bin")
    data = {"r": (r_dims, np.full(r_shape, 0.3)), "score": (score_dims, score),
            "error": (score_dims, np.full(score.shape, 0.02))}
    if matrix:
        coords["time_step"] = np.arange(score.shape[1])
    else:
        steps = np.arange(n_bins) if steps is None else steps
        data["step_for_bin"] = (("region", "split", "time_bin"),
                                np.broadcast_to(steps, (n_regions, n_splits, n_bins)).copy())
    if ceiling is not None:
        data["ceiling"] = (("region", "time_bin"), ceiling)
        data["ceiling_neuroid"] = (("neuroid", "time_bin"), np.full((len(neuroid_region), n_bins), 0.8))
        data["ceiled_score"] = (score_dims, score ** 2 / (ceiling[:, None] if matrix else ceiling))
    dataset = xr.Dataset(data, coords=coords)
    dataset.attrs.update(model=model, time_mapping="latency 70 ms, 10 ms per step")
    return dataset


def write_scored_model(folder: Path, name: str, score: np.ndarray, *, parameters: int | None = 1000,
                       ceiling: np.ndarray | None = None, feedforward: bool = False) -> Path:
    """A scoring folder: ``scores_per_bin.nc`` and (with ``parameters``) ``model.json``."""
    steps = np.zeros(score.shape[-1], int) if feedforward else np.arange(score.shape[-1])
    write_scores(scores_dataset(score, ceiling=ceiling, model=name, steps=steps), folder / "scores_per_bin.nc")
    if parameters is not None:
        write_model_info(folder, model=name, parameters=parameters)
    return folder


def write_matrix(folder: Path, score: np.ndarray, name: str = "model") -> Path:
    """``scores_matrix.nc`` with ``score`` (region, time_step, time_bin)."""
    return write_scores(scores_dataset(score, model=name), folder / "scores_matrix.nc")


def write_step_scores(folder: Path, score: np.ndarray, name: str = "model", error: np.ndarray | None = None) -> Path:
    """``scores_per_step.nc`` (scores against a brain RDM) with RSA ``score`` and ``error`` (default 0) on dims
    (area, time_step)."""
    areas, steps = [f"area{index}" for index in range(score.shape[0])], np.arange(score.shape[1])
    error = 0 * score if error is None else error
    dataset = xr.Dataset({"similarity": (("split", "area", "time_step"), score[None]),
                          "score": (("area", "time_step"), score), "error": (("area", "time_step"), error)},
                         coords={"area": areas, "time_step": steps, "time_ms": ("time_step", 10.0 * steps)},
                         attrs={"model": name, "metric_settings": json.dumps({"metric": "rsa"})})
    return write_scores(dataset, folder / "scores_per_step.nc")


def write_training_run(folder: Path, model: str, loss: list[float], val_loss: list[float]) -> Path:
    """A run folder: ``metrics.csv`` (a train row per loss at steps 10, 20, ...; val rows at the last
    steps) and ``summary.json``."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "metrics.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=METRIC_COLUMNS)
        writer.writeheader()
        for index, value in enumerate(loss):
            writer.writerow({"step": 10 * (index + 1), "epoch": index, "phase": "train", "loss": value,
                             "accuracy": 0.1 * index, "lr": 0.01, "images_per_second": 100, "elapsed_seconds": index})
        for index, value in enumerate(val_loss):
            step = 10 * (len(loss) - len(val_loss) + index + 1)
            writer.writerow({"step": step, "epoch": index, "phase": "val", "loss": value, "accuracy": 0.5})
    summary = {"model": model, "steps": 10 * len(loss), "n_parameters": 123, "device": "cpu",
               "train": {"loss": loss[-1], "accuracy": 0.3}, "val": {"loss": val_loss[-1], "accuracy": 0.5}}
    (folder / "summary.json").write_text(json.dumps(summary))
    return folder


def write_csv(path: Path, header: str, rows: list[str]) -> Path:
    """A CSV file of ``header`` and ``rows`` (comma-separated text)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def write_tiny_assembly(path: Path, *, repetitions: int = 4, seed: int = 0) -> np.ndarray:
    """Raw trials of 6 stimuli × ``repetitions``, 2 V4 and 3 IT sites, 4 bins; returns the values
    (presentation, neuroid, time_bin), presentations ordered stimulus-major."""
    rng = np.random.default_rng(seed)
    n_stimuli, n_sites = 6, 5
    signal = rng.normal(20, 5, (n_stimuli, 1, n_sites, len(BIN_START)))
    values = signal + rng.normal(0, 1, (n_stimuli, repetitions, n_sites, len(BIN_START)))
    values = values.reshape(n_stimuli * repetitions, n_sites, len(BIN_START))
    assembly = make_assembly(values, stimulus_id=np.repeat([f"s{i}" for i in range(n_stimuli)], repetitions),
                             repetition=np.tile(np.arange(repetitions), n_stimuli),
                             neuroid_id=[f"n{i}" for i in range(n_sites)], region=["V4", "V4", "IT", "IT", "IT"],
                             time_bin_start=BIN_START, time_bin_end=BIN_END)
    write_assembly(assembly, path)
    return values


def write_tiny_stimuli(folder: Path, n: int = 4) -> Path:
    """A 16-pixel ``objects`` stimulus set in Brain-Score's format; returns its csv."""
    return write_stimulus_set(generate("objects", n=n, size=16, seed=0, split="test"), folder).csv
