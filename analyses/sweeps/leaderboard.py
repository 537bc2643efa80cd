"""A sweep's leaderboard: per region, every finished cell's ceiled score in each time bin, best first.

Each row is one cell with per-bin Scores (``scores_per_bin.nc``): its model,
checkpoint step (a training run's), metric and settings labels, parameter count,
mean ceiled score, and the ceiled score ± its error in each time bin. Bins whose
ceiling is below the floor (or missing) read ``n/a`` and are left out of every
cell's mean alike. A bin with a usable ceiling where the cell has no score reads
``undefined`` and counts as 0 in its mean: its correlation is undefined because
the model's predictions do not vary over the stimuli (e.g. an area the image has
not reached yet, or that it has left, gives every stimulus the same features),
and a model that predicts nothing in a bin must not rank above one that predicts
a little there; averaging such a cell over its other bins alone would. Cells of a metric
that reports no ceiling (``procrustes``, a distance) have no ceiled score and are
listed below the tables, unranked.

The error of a ceiled score is the score's standard error over splits carried
through the ceiling normalisation to first order, the ceiling taken as known (its
own error is in the Scores' ``ceiling_error``): ``SE / ceiling`` for a metric
whose ceiling is in the score's units (``score / ceiling``), and
``2 |r| SE / ceiling`` for the regressions' ``r² / ceiling`` (``2 |r| SE /
ceiling²`` for ``(r / ceiling)²``), that is ``2 |ceiled / r| SE`` in both
conventions. The mean's error is the mean of its bins' errors: the bins are
fitted on the same splits, so their errors are not independent, and the mean of
the errors bounds the error of the mean.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import xarray as xr

from chronoscore.analyses.comparability import metric_settings
from chronoscore.analyses.run_folder import CELL_FILE, LEADERBOARD_FILE, scores_file
from chronoscore.analyses.scored_model import ScoredModel, load_scored_model
from chronoscore.analyses.sweeps.status import read_plan
from chronoscore.neural_fit.metrics import get_metric

__all__ = ["leaderboard_rows", "leaderboard_table", "write_leaderboard", "ceiled_error", "unranked_cells"]


def leaderboard_rows(sweep: str | os.PathLike) -> dict[str, list[dict]]:
    """Region -> one dict per finished per-bin cell with ceiled scores, best mean first.

    Each dict holds ``cell`` (its folder's name), ``model`` (the name in ``model.json``, e.g.
    ``net@run#step200``), ``label`` (the model's label in the sweep file), ``run_folder`` (a training run's
    folder, else None), ``checkpoint_step``, ``benchmark``, ``metric`` (the metric's registered name),
    ``settings``, ``parameters``, ``mean`` and ``mean_error`` (over the bins with a usable ceiling, a
    missing score counted as 0), ``undefined_bins`` (how many such bins have no score), ``usable`` (per bin,
    whether its ceiling is usable), ``time_ms`` (each bin's centre) and ``bins``: a list of (bin label,
    ceiled score, error).
    """
    regions: dict[str, list[dict]] = {}
    for name, model, labels, metric in _finished_cells(sweep):
        scores, info = model.scores, model.info
        if "ceiled_score" not in scores:
            continue
        errors = ceiled_error(scores, get_metric(metric).squared_ceiling)
        starts, ends = scores["time_bin_start"].values, scores["time_bin_end"].values
        bins = [f"{start:g}-{end:g}" for start, end in zip(starts, ends)]
        for region in map(str, scores["region"].values):
            ceiled = scores["ceiled_score"].sel(region=region).values
            error = errors.sel(region=region).values
            usable = _usable_ceiling(scores, region)
            regions.setdefault(region, []).append({
                "cell": name, "model": info.get("model", labels["model"]), "label": labels["model"],
                "run_folder": info.get("run_folder"), "checkpoint_step": info.get("checkpoint_step"),
                "benchmark": labels["benchmark"], "metric": metric, "settings": labels["settings"],
                "parameters": info.get("parameters"),
                "mean": _mean_over(ceiled, usable), "mean_error": _mean_over(error, usable),
                "undefined_bins": int(np.sum(usable & ~np.isfinite(ceiled))), "usable": usable.tolist(),
                "time_ms": ((starts + ends) / 2).tolist(), "bins": list(zip(bins, ceiled.tolist(), error.tolist()))})
    for rows in regions.values():
        rows.sort(key=lambda row: -np.inf if np.isnan(row["mean"]) else row["mean"], reverse=True)
    return regions


def _usable_ceiling(scores: xr.Dataset, region: str) -> np.ndarray:
    """(time_bin,) whether the bin's ceiling exists and is not below the floor."""
    ceiling = scores["ceiling"].sel(region=region).values
    usable = np.isfinite(ceiling)
    if "ceiling_below_floor" in scores:
        usable &= ~scores["ceiling_below_floor"].sel(region=region).values.astype(bool)
    elif "ceiling_floor" in scores.attrs:
        usable &= ceiling >= float(scores.attrs["ceiling_floor"])
    return usable


def _mean_over(values: np.ndarray, usable: np.ndarray) -> float:
    """Mean of (time_bin,) ``values`` over the usable bins, a missing value counted as 0 (NaN without a usable bin)."""
    return float(np.mean(np.nan_to_num(values[usable], nan=0.0))) if usable.any() else float("nan")


def unranked_cells(sweep: str | os.PathLike) -> list[tuple[str, str]]:
    """(cell, metric) of each finished per-bin cell whose metric reports no ceiling (e.g. ``procrustes``, a
    distance), so it has no ceiled score to rank by."""
    return [(name, metric) for name, model, _, metric in _finished_cells(sweep) if "ceiled_score" not in model.scores]


def _finished_cells(sweep: str | os.PathLike) -> Iterator[tuple[str, ScoredModel, dict, str]]:
    """(name, scored model, labels, metric name) of each finished cell with per-bin scores, in the plan's order."""
    sweep = Path(sweep)
    for planned in read_plan(sweep):
        folder = sweep / planned["name"]
        if not (folder / CELL_FILE).is_file() or "per_bin" not in planned["labels"]["time"].split("+"):
            continue
        model = load_scored_model(scores_file(folder, "per_bin"))
        labels = json.loads((folder / CELL_FILE).read_text())["labels"]
        yield planned["name"], model, labels, str(metric_settings(model).get("metric") or labels["metric"])


def ceiled_error(scores: xr.Dataset, squared_ceiling: bool) -> xr.DataArray:
    """The error of the ceiled score (dims of ``score``), see the module docstring.

    Parameters
    ----------
    scores : xarray.Dataset
        Scores with ``score``, ``error``, ``ceiling`` and ``ceiled_score``.
    squared_ceiling : bool
        Whether the metric's ceiling is of the squared score (the regressions).
    """
    score, ceiled, ceiling = xr.broadcast(scores["score"], scores["ceiled_score"], scores["ceiling"])
    if squared_ceiling:
        slope = 2 * np.abs(np.divide(ceiled.values, score.values, out=np.zeros(score.shape), where=score.values != 0))
    else:
        slope = 1 / ceiling.values
    return (scores["error"] * score.copy(data=slope)).where(np.isfinite(ceiled))


def leaderboard_table(sweep: str | os.PathLike) -> str:
    """The leaderboard as Markdown: one table per region (see the module docstring)."""
    sections = []
    for region, rows in leaderboard_rows(sweep).items():
        bins = [label for label, _, _ in rows[0]["bins"]]
        header = ["rank", "model", "step", "metric", "settings", "parameters", "mean ceiled"] + [
            f"{label} ms" for label in bins]
        lines = [f"## {region}", "", "| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
        for rank, row in enumerate(rows, 1):
            cells = [str(rank), row["model"], "" if row["checkpoint_step"] is None else str(row["checkpoint_step"]),
                     row["metric"], row["settings"] or "-",
                     "?" if row["parameters"] is None else f"{row['parameters']:,}", _number(row["mean"])]
            cells += [_bin_cell(value, error, usable) for (_, value, error), usable in zip(row["bins"], row["usable"])]
            lines.append("| " + " | ".join(cells) + " |")
        sections.append("\n".join(lines))
    unranked = unranked_cells(sweep)
    if unranked:
        sections.append("Not ranked (the metric reports no ceiling, so there is no ceiled score): "
                        + ", ".join(f"{name} ({metric})" for name, metric in unranked) + ".")
    return "\n\n".join(sections) + "\n" if sections else "No finished cell with per-bin scores yet.\n"


def write_leaderboard(sweep: str | os.PathLike) -> Path:
    """Write ``leaderboard.md`` into the sweep folder."""
    path = Path(sweep) / LEADERBOARD_FILE
    path.write_text(leaderboard_table(sweep), encoding="utf-8")
    return path


def _bin_cell(value: float, error: float, usable: bool) -> str:
    """One bin's table entry: ``score ± error``, ``undefined`` (no score where the ceiling is usable) or ``n/a``."""
    if np.isfinite(value):
        return f"{_number(value)} ± {_number(error)}"
    return "undefined" if usable else "n/a"


def _number(value: float) -> str:
    return f"{value:.3f}" if np.isfinite(value) else "n/a"
