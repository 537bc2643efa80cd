"""A sweep's leaderboard: per region, every finished cell's ceiled score in each time bin, best first.

Each row is one cell with per-bin Scores (``scores_per_bin.nc``): its model,
checkpoint step (a training run's), metric and settings labels, parameter count,
mean ceiled score over the bins that have one, and the ceiled score ± its error
in each time bin. The error of a ceiled score is the score's standard error
divided by the bin's ceiling (the ceiling taken as known; its own error is in
the Scores' ``ceiling_error``). Bins below the ceiling floor read ``n/a``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from chronoscore.analyses.run_folder import CELL_FILE, LEADERBOARD_FILE, read_model_info, read_run_scores
from chronoscore.analyses.sweeps.status import read_plan

__all__ = ["leaderboard_rows", "leaderboard_table", "write_leaderboard"]


def leaderboard_rows(sweep: str | os.PathLike) -> dict[str, list[dict]]:
    """Region -> one dict per finished per-bin cell (``cell``, ``model``, ``checkpoint_step``, ``metric``,
    ``settings``, ``parameters``, ``mean``, ``bins``: list of (bin label, ceiled score, error)), best mean first."""
    sweep = Path(sweep)
    regions: dict[str, list[dict]] = {}
    for planned in read_plan(sweep):
        folder = sweep / planned["name"]
        if not (folder / CELL_FILE).is_file() or "per_bin" not in planned["labels"]["time"].split("+"):
            continue
        scores = read_run_scores(folder, "per_bin")
        info = read_model_info(folder)
        labels = json.loads((folder / CELL_FILE).read_text())["labels"]
        bins = [f"{start:g}-{end:g}" for start, end in zip(scores["time_bin_start"].values,
                                                           scores["time_bin_end"].values)]
        for region in map(str, scores["region"].values):
            ceiled = scores["ceiled_score"].sel(region=region).values
            error = scores["error"].sel(region=region).values / scores["ceiling"].sel(region=region).values
            regions.setdefault(region, []).append({
                "cell": planned["name"], "model": info.get("model", labels["model"]),
                "checkpoint_step": info.get("checkpoint_step"), "metric": labels["metric"],
                "settings": labels["settings"], "parameters": info.get("parameters"),
                "mean": float(np.nanmean(ceiled)) if np.isfinite(ceiled).any() else float("nan"),
                "bins": list(zip(bins, ceiled.tolist(), error.tolist()))})
    for rows in regions.values():
        rows.sort(key=lambda row: -np.inf if np.isnan(row["mean"]) else row["mean"], reverse=True)
    return regions


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
            cells += [f"{_number(value)} ± {_number(error)}" if np.isfinite(value) else "n/a"
                      for _, value, error in row["bins"]]
            lines.append("| " + " | ".join(cells) + " |")
        sections.append("\n".join(lines))
    return "\n\n".join(sections) + "\n" if sections else "No finished cell with per-bin scores yet.\n"


def write_leaderboard(sweep: str | os.PathLike) -> Path:
    """Write ``leaderboard.md`` into the sweep folder."""
    path = Path(sweep) / LEADERBOARD_FILE
    path.write_text(leaderboard_table(sweep), encoding="utf-8")
    return path


def _number(value: float) -> str:
    return f"{value:.3f}" if np.isfinite(value) else "n/a"
