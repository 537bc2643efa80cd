"""Training metrics: running sums on the device, a CSV file, and TensorBoard when it is installed."""

from __future__ import annotations

import csv
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch

from chronoscore.models.training.runtime import Runtime, all_reduce_sum

__all__ = ["METRIC_COLUMNS", "MetricsLog", "RunningMeans", "RunningMetrics", "batch_sums"]

METRIC_COLUMNS = ("step", "epoch", "phase", "loss", "accuracy", "lr", "images_per_second", "elapsed_seconds")
"""Columns of ``metrics.csv``; ``phase`` is ``train`` (mean since the last row) or ``val``."""


def batch_sums(loss: torch.Tensor, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """(3,) float64 tensor of one batch: summed loss, correct predictions and images.

    Parameters
    ----------
    loss : Tensor ()
        The batch's mean loss.
    logits : Tensor (B, n_classes)
    labels : Tensor (B,)
    """
    count = labels.shape[0]
    correct = (logits.detach().argmax(dim=1) == labels).sum()
    return torch.stack([loss.detach().double() * count, correct.double(),
                        torch.full_like(correct, count, dtype=torch.float64)])


class RunningMetrics:
    """Sums of loss, correct predictions and images, kept on the device (no synchronisation per step)."""

    def __init__(self, device: torch.device) -> None:
        self._sums = torch.zeros(3, dtype=torch.float64, device=device)

    def add(self, sums: torch.Tensor) -> None:
        """Add the :func:`batch_sums` of one batch."""
        self._sums += sums

    def collect(self, runtime: Runtime) -> tuple[float, float, int]:
        """Mean loss, accuracy and number of images over all processes since the last reset."""
        loss_sum, correct, count = all_reduce_sum(self._sums, runtime).tolist()
        if count == 0:
            return float("nan"), float("nan"), 0
        return loss_sum / count, correct / count, int(count)

    def reset(self) -> None:
        """Start new sums."""
        self._sums.zero_()


class RunningMeans:
    """Means of named per-step values (an algorithm's extras), summed on the device.

    Parameters
    ----------
    names : sequence of str
    device : torch.device
    """

    def __init__(self, names: Sequence[str], device: torch.device) -> None:
        self.names = tuple(names)
        self._sums = torch.zeros(2, len(self.names), dtype=torch.float64, device=device)

    def add(self, values: Mapping[str, torch.Tensor]) -> None:
        """Add one step's values (tensors ()); names missing from ``values`` are not counted."""
        for column, name in enumerate(self.names):
            if name in values:
                self._sums[0, column] += values[name].detach().to(self._sums)
                self._sums[1, column] += 1

    def collect(self, runtime: Runtime) -> dict[str, float]:
        """Each name's mean over all processes since the last reset (NaN if never added)."""
        sums, counts = all_reduce_sum(self._sums, runtime).tolist()
        return {name: total / count if count else float("nan") for name, total, count in zip(
            self.names, sums, counts, strict=True)}

    def reset(self) -> None:
        """Start new sums."""
        self._sums.zero_()


class MetricsLog:
    """Rows of :data:`METRIC_COLUMNS` (and any extra columns) appended to ``metrics.csv`` (and TensorBoard).

    Parameters
    ----------
    folder : path-like
        The run's output folder.
    resume_step : int, optional
        When resuming from a checkpoint of this step, rows of later steps (written
        before the run stopped) are dropped, so that no step appears twice.
    extra_columns : sequence of str
        Columns after :data:`METRIC_COLUMNS` (e.g. a learning algorithm's extras).
    """

    def __init__(self, folder: str | os.PathLike, resume_step: int | None = None,
                 extra_columns: Sequence[str] = ()) -> None:
        self.path = Path(folder) / "metrics.csv"
        self.columns = (*METRIC_COLUMNS, *extra_columns)
        rows = self._kept_rows(resume_step)
        self._handle = open(self.path, "w", newline="")
        self._writer = csv.DictWriter(self._handle, fieldnames=self.columns)
        self._writer.writeheader()
        self._writer.writerows(rows)
        self._handle.flush()
        self._tensorboard = _tensorboard_writer(Path(folder) / "tensorboard", resume_step)

    def write(self, **row: Any) -> None:
        """Append one row (missing columns stay empty) and flush it."""
        self._writer.writerow({column: row.get(column, "") for column in self.columns})
        self._handle.flush()
        if self._tensorboard is not None:
            for name in ("loss", "accuracy", "lr", "images_per_second", *self.columns[len(METRIC_COLUMNS):]):
                if row.get(name) not in (None, ""):
                    self._tensorboard.add_scalar(f"{row['phase']}/{name}", row[name], row["step"])

    def close(self) -> None:
        """Close the CSV file and the TensorBoard writer."""
        self._handle.close()
        if self._tensorboard is not None:
            self._tensorboard.close()

    def _kept_rows(self, resume_step: int | None) -> list[dict[str, str]]:
        if resume_step is None or not self.path.exists():
            return []
        with open(self.path, newline="") as handle:
            return [row for row in csv.DictReader(handle) if row.get("step", "").isdigit()
                    and int(row["step"]) <= resume_step]


def _tensorboard_writer(folder: Path, resume_step: int | None):
    """A TensorBoard ``SummaryWriter`` if the ``tensorboard`` package is installed, else None."""
    writer_class = summary_writer_class()
    if writer_class is None:
        return None
    return writer_class(log_dir=str(folder), purge_step=None if resume_step is None else resume_step + 1)


def summary_writer_class():
    """``torch.utils.tensorboard.SummaryWriter``, or None without the ``tensorboard`` package."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        return None
    return SummaryWriter
