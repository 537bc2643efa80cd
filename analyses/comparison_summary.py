"""The Markdown summary of a model comparison, readable in a terminal as it is.

Three tables: the models (role, parameter count, how their steps met the
bins), a compact summary per candidate and region, and the full statistics per
candidate, region and time bin.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import xarray as xr

__all__ = ["comparison_table", "markdown_table"]


def comparison_table(comparison: xr.Dataset) -> str:
    """The summary of a :func:`~chronoscore.analyses.compare.compare` result as Markdown.

    Works on a comparison in memory and on one read back from ``comparison.nc``.
    """
    attrs = comparison.attrs
    percent = f"{100 * float(attrs['confidence']):g} %"
    intro = (f"# Model comparison against {attrs['reference']}\n\n"
             f"Data: {attrs.get('data', 'unknown')} (hash {attrs.get('data_hash', '?')}). "
             "r: median over a region's neuroids of each neuroid's split-averaged held-out r. "
             f"Δ: model − reference; {percent} {_INTERVAL_NAMES[attrs.get('interval', 'percentile')]} intervals "
             f"from {int(attrs['n_bootstrap'])} paired bootstrap resamples of the neuroids "
             f"(seed {int(attrs['seed'])}); p: two-sided Wilcoxon signed-rank test over neuroids, "
             f"{_correction_text(attrs.get('correction', 'none'))}. A bin counts as higher or lower when its "
             "interval excludes 0.")
    return "\n\n".join([intro, "## Models", _models_table(comparison),
                        "## Per region (model − reference)", _region_table(comparison),
                        "## Per time bin", _bin_table(comparison, percent)])


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table with columns padded to equal width."""
    widths = [max([len(title)] + [len(row[i]) for row in rows]) for i, title in enumerate(header)]
    lines = ["| " + " | ".join(title.ljust(w) for title, w in zip(header, widths)) + " |",
             "| " + " | ".join("-" * w for w in widths) + " |"]
    lines += ["| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths)) + " |" for row in rows]
    return "\n".join(lines)


def _models_table(comparison: xr.Dataset) -> str:
    described = json.loads(comparison.attrs.get("models", "{}"))
    rows = []
    for name, parameters in zip(comparison["model"].values, comparison["parameters"].values):
        about = described.get(str(name), {})
        timing = str(about.get("time") or "?")
        if about.get("steps_for_bins"):
            timing += " (steps " + ",".join(map(str, about["steps_for_bins"])) + ")"
        elif about.get("time_mapping"):
            timing += f" ({about['time_mapping']})"
        role = "reference" if str(name) == comparison.attrs["reference"] else "candidate"
        count = "unknown" if np.isnan(parameters) else f"{int(parameters):,}"
        rows.append([str(name), role, count, timing, str(about.get("source", ""))])
    return markdown_table(["model", "role", "parameters", "time", "source"], rows)


def _region_table(comparison: xr.Dataset) -> str:
    ceiled = "difference_ceiled" in comparison
    header = ["model", "region", "bins", "mean Δr", "largest Δr (bin, ms)", "bins higher", "bins lower"]
    if ceiled:
        header.append("mean Δ ceiled")
    rows = []
    for candidate in comparison["candidate"].values:
        for region in comparison["region"].values:
            selected = comparison.sel(candidate=candidate, region=region)
            difference = selected["difference_r"].values
            interval = selected["difference_r_ci"].transpose("time_bin", "bound").values
            largest = _nanargmax(difference)
            row = [str(candidate), str(region), str(difference.size), _number(_nanmean(difference)),
                   "n/a" if largest is None else f"{_number(difference[largest])} ({_bin(comparison, largest)})",
                   str(int(np.sum(interval[:, 0] > 0))), str(int(np.sum(interval[:, 1] < 0)))]
            if ceiled:
                row.append(_number(_nanmean(selected["difference_ceiled"].values)))
            rows.append(row)
    return markdown_table(header, rows)


def _bin_table(comparison: xr.Dataset, percent: str) -> str:
    ceiled = "difference_ceiled" in comparison
    correction = comparison.attrs.get("correction", "none")
    corrected = "p_value_corrected" in comparison and correction != "none"
    header = ["model", "region", "time bin (ms)", "r", "r reference", "Δr", f"{percent} interval", "p"]
    if corrected:
        header.append(f"p ({_CORRECTION_NAMES.get(correction, correction)})")
    if ceiled:
        header += ["Δ ceiled", f"{percent} interval (ceiled)"]
    header.append("neuroids")
    reference = comparison.attrs["reference"]
    rows = []
    for candidate in comparison["candidate"].values:
        for region in comparison["region"].values:
            selected = comparison.sel(candidate=candidate, region=region)
            for b in range(comparison.sizes["time_bin"]):
                at = selected.isel(time_bin=b)
                row = [str(candidate), str(region), _bin(comparison, b),
                       _number(float(at["median_r"].sel(model=candidate))),
                       _number(float(at["median_r"].sel(model=reference))),
                       _number(float(at["difference_r"])), _interval(at["difference_r_ci"].values),
                       _p_value(float(at["p_value"]))]
                if corrected:
                    row.append(_p_value(float(at["p_value_corrected"])))
                if ceiled:
                    row += [_number(float(at["difference_ceiled"])), _interval(at["difference_ceiled_ci"].values)]
                row.append(str(int(at["n_neuroids"])))
                rows.append(row)
    return markdown_table(header, rows)


_CORRECTION_NAMES = {"bh": "Benjamini–Hochberg", "holm": "Holm"}
_INTERVAL_NAMES = {"bca": "BCa", "percentile": "percentile"}


def _correction_text(correction: str) -> str:
    if correction == "none":
        return "not corrected for the number of regions and bins"
    return (f"shown raw and corrected for the number of regions and bins of each model "
            f"({_CORRECTION_NAMES[correction]})")


def _bin(comparison: xr.Dataset, index: int) -> str:
    return f"{comparison['time_bin_start'].values[index]:g}-{comparison['time_bin_end'].values[index]:g}"


def _number(value: float) -> str:
    return "n/a" if np.isnan(value) else f"{value:.3f}"


def _interval(bounds: np.ndarray) -> str:
    return f"[{_number(float(bounds[0]))}, {_number(float(bounds[1]))}]"


def _p_value(p: float) -> str:
    return "n/a" if np.isnan(p) else "<0.0001" if p < 1e-4 else f"{p:.4f}"


def _nanmean(values: np.ndarray) -> float:
    finite = values[~np.isnan(values)]
    return float(finite.mean()) if finite.size else float("nan")


def _nanargmax(values: np.ndarray) -> int | None:
    if np.isnan(values).all():
        return None
    return int(np.nanargmax(values))
