"""A sweep's finished cells as its figures draw them: the leaderboard's rows per metric, with the metric's axis.

Reads saved results only, through :func:`chronoscore.analyses.sweeps.leaderboard.leaderboard_rows` (each cell's
``scores_per_bin.nc``, ``model.json`` and ``cell.json``). Scores of different metrics share no axis, so a sweep's
figures have one row of panels per metric and one column per region.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from chronoscore.analyses.run_folder import read_run_scores
from chronoscore.analyses.sweeps.leaderboard import leaderboard_rows
from chronoscore.errors import NothingToDrawError
from chronoscore.figures.score_scale import ScoreScale, score_scale
from chronoscore.figures.style import COLUMN_WIDTH, new_figure

__all__ = ["MetricRanking", "rankings_by_metric", "metric_region_panels", "legend_layout", "row_label"]

_LONG_LABEL = 22
"""Characters of a legend entry beyond which two columns no longer fit beside each other in a column-wide figure."""


@dataclass(frozen=True)
class MetricRanking:
    """The leaderboard of one metric's cells.

    Attributes
    ----------
    metric : str
        The metric's registered name.
    scale : ScoreScale
        How its scores read on an axis (``scale.ceiled_label`` names the ceiled score).
    regions : dict of str to list of dict
        Region -> the leaderboard's rows of this metric, in the leaderboard's order (best first).
    """

    metric: str
    scale: ScoreScale
    regions: dict[str, list[dict]]


def rankings_by_metric(sweep: str | os.PathLike) -> list[MetricRanking]:
    """The sweep's leaderboard split by metric, metrics in order of first appearance.

    Raises
    ------
    NothingToDrawError
        If no cell of the sweep has finished with per-bin scores.
    FileFormatError
        If the sweep folder or a finished cell's files cannot be read.
    """
    rows = leaderboard_rows(sweep)
    if not rows:
        raise NothingToDrawError(f"{sweep}: no cell of the sweep has finished with per-bin ceiled scores (time: "
                                 "per_bin, a metric with a ceiling) yet; run chronoscore sweep to the end, or check "
                                 "chronoscore sweep status.")
    metrics = dict.fromkeys(row["metric"] for ranked in rows.values() for row in ranked)
    rankings = []
    for metric in metrics:
        regions = {region: [row for row in ranked if row["metric"] == metric] for region, ranked in rows.items()}
        regions = {region: ranked for region, ranked in regions.items() if ranked}
        first = next(iter(regions.values()))[0]["cell"]
        rankings.append(MetricRanking(metric, score_scale(read_run_scores(Path(sweep) / first, "per_bin"), first),
                                      regions))
    return rankings


def metric_region_panels(rankings: Sequence[MetricRanking], height: float = 2.1, legend_rows: int = 1
                         ) -> tuple[Figure, list[dict[str, Axes]]]:
    """A figure with one row of panels per metric and one column per region (call inside ``paper_style``), and
    room above them for a legend of ``legend_rows`` rows.

    Returns
    -------
    (Figure, list of dict of str to Axes)
        Per metric (in the order of ``rankings``), its region's panel for each region it scored; regions are
        columns in order of first appearance over the metrics, a panel of a region a metric did not score is hidden.
    """
    regions = list(dict.fromkeys(region for ranking in rankings for region in ranking.regions))
    figure, flat = new_figure(len(rankings), len(regions), height=height * len(rankings) + 0.45 + 0.15 * legend_rows,
                              width=max(COLUMN_WIDTH, 1.75 * len(regions)), sharex=True)
    panels = []
    for index, ranking in enumerate(rankings):
        row = dict(zip(regions, flat[index * len(regions):(index + 1) * len(regions)]))
        for region, axis in row.items():
            axis.set_visible(region in ranking.regions)
            axis.set_title(f"{region} — {ranking.metric}" if len(rankings) > 1 else region)
        panels.append({region: row[region] for region in ranking.regions})
    return figure, panels


def legend_layout(labels: Sequence[str]) -> tuple[int, int]:
    """(columns, rows) of a legend of ``labels`` that fits a column-wide figure: two columns of short labels,
    one of long ones."""
    columns = 1 if max((len(label) for label in labels), default=0) > _LONG_LABEL else 2
    return columns, -(-len(labels) // columns)


def row_label(row: dict, name: str, rows: Sequence[dict]) -> str:
    """``name`` with the benchmark and settings of ``row`` appended where they vary among ``rows``."""
    parts = [name]
    for key in ("benchmark", "settings"):
        if len({other[key] for other in rows}) > 1 and row[key]:
            parts.append(str(row[key]))
    return " · ".join(parts)
