"""A short text table of a Scores dataset, for the terminal and Markdown."""

from __future__ import annotations

import json

import numpy as np
import xarray as xr

from chronoscore.neural_fit.metrics import get_metric

__all__ = ["score_table"]


def score_table(scores: xr.Dataset) -> str:
    """One row per region and time bin: predictivity ± error, ceiling, ceiled score.

    Matrix-mode scores show, per bin, the best model step (the lowest for a
    distance such as ``procrustes``, the highest otherwise). A ceiled score left
    out because its bin's ceiling is below the floor reads ``n/a``, with a note
    under the table. The result is Markdown, readable in a terminal as it is.
    """
    if "time_bin" not in scores["score"].dims:
        return _step_table(scores)
    matrix = "time_step" in scores["score"].dims
    pick = np.nanargmin if _lower_is_closer(scores) else np.nanargmax
    value_name = "r (median)" if "r" in scores else "distance" if pick is np.nanargmin else "similarity"
    header = ["region", "time bin (ms)", value_name, "± s.e."]
    if matrix:
        header.append("best step")
    has_ceiling = "ceiling" in scores
    if has_ceiling:
        header += ["ceiling", "ceiled"]
    rows = []
    for region in scores["region"].values:
        for b in range(scores.sizes["time_bin"]):
            score = scores["score"].sel(region=region).isel(time_bin=b)
            error = scores["error"].sel(region=region).isel(time_bin=b)
            start, end = scores["time_bin_start"].values[b], scores["time_bin_end"].values[b]
            row = [str(region), f"{start:g}-{end:g}"]
            if matrix:
                step = int(pick(score.values)) if np.isfinite(score.values).any() else 0
                row += [f"{float(score[step]):.3f}", f"{float(error[step]):.3f}", str(scores['time_step'].values[step])]
            else:
                row += [f"{float(score):.3f}", f"{float(error):.3f}"]
            if has_ceiling:
                ceiling = float(scores["ceiling"].sel(region=region).isel(time_bin=b))
                ceiled = scores["ceiled_score"].sel(region=region).isel(time_bin=b)
                ceiled_value = float(ceiled.max()) if matrix else float(ceiled)
                below = bool(scores["ceiling_below_floor"].sel(region=region).isel(time_bin=b)) if (
                    "ceiling_below_floor" in scores) else False
                row += [f"{ceiling:.3f}", "n/a" if below else f"{ceiled_value:.3f}"]
            rows.append(row)
    lines = _markdown(header, rows)
    if has_ceiling and "ceiling_below_floor" in scores and bool(scores["ceiling_below_floor"].any()):
        lines += ["", f"n/a: the bin's ceiling is below {scores.attrs.get('ceiling_floor', float('nan')):g}, too "
                      "unreliable to normalise by (ceiling_floor setting)."]
    return "\n".join(lines)


def _step_table(scores: xr.Dataset) -> str:
    """Scores against a brain RDM (area, time_step): one row per area and model step, best step marked."""
    rows = []
    for area in scores["area"].values:
        values, errors = scores["score"].sel(area=area).values, scores["error"].sel(area=area).values
        best = int(np.nanargmax(np.where(np.isnan(values), -np.inf, values)))
        for t, step in enumerate(scores["time_step"].values):
            if np.isfinite(values[t]):
                time = f"{float(scores['time_ms'].values[t]):g}" if "time_ms" in scores.coords else "—"
                rows.append([str(area), str(step), time, f"{values[t]:.3f}", f"{errors[t]:.3f}",
                             "best" if t == best else ""])
    return "\n".join(_markdown(["area", "model step", "time (ms)", "similarity", "± s.e.", ""], rows))


def _markdown(header: list[str], rows: list[list[str]]) -> list[str]:
    """The lines of a Markdown table, columns padded to their widest cell."""
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(header)]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |",
             "| " + " | ".join("-" * w for w in widths) + " |"]
    return lines + ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |" for row in rows]


def _lower_is_closer(scores: xr.Dataset) -> bool:
    """Whether the metric recorded in the Scores' settings is a distance (False when none is recorded)."""
    settings = json.loads(scores.attrs.get("metric_settings", "{}"))
    return get_metric(settings.get("metric", "pls")).lower_is_closer
