"""One self-contained HTML page of a results folder: its figures and the tables of its summaries.

The page holds every figure the folder's inputs allow (see
:mod:`chronoscore.figures.gallery`), each embedded as a base64 PNG, the
figures that could not be drawn and why, a sweep's leaderboard (``leaderboard.md``), an overview of the scored
models (per metric present: best and mean score per region), the scores against a brain RDM per model step
(``scores_per_step.nc``), the comparisons (``comparison.md``),
each scored model's ``summary.md``, the training runs (``summary.json``) and
the result tables (memory, Pathfinder and lesion tables, averaged over seeds).
Styles are inline; the page loads nothing and links to nothing outside itself.
"""

from __future__ import annotations

import base64
import datetime
import html
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

import chronoscore
from chronoscore.analyses.run_folder import LEADERBOARD_FILE, REPORT_FILE, SUMMARY_FILE, comparison_files
from chronoscore.errors import ChronoscoreError
from chronoscore.figures.gallery import ResultInputs, SkippedFigure, draw, find_inputs, plan_figures
from chronoscore.figures.lesion_effects import LESION_SCHEMA
from chronoscore.figures.markdown_html import markdown_to_html
from chronoscore.figures.memory_vs_steps import MEMORY_SCHEMA
from chronoscore.figures.pathfinder_accuracy import PATHFINDER_SCHEMA
from chronoscore.figures.predictivity_bars import peak_and_mean
from chronoscore.figures.result_files import (mean_over_seeds, read_json_object, read_scored_model, read_step_scores,
                                              read_table)
from chronoscore.figures.score_scale import score_scale
from chronoscore.figures.style import png_bytes

__all__ = ["Report", "build_report", "write_report"]

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
h1 { font-size: 1.5rem; } h2 { border-bottom: 1px solid #ccc; margin-top: 2.5rem; }
figure { margin: 1.5rem 0; } figure img { width: 36rem; max-width: 100%; }
figcaption { font-size: 0.9rem; color: #444; } .source { font-size: 0.8rem; color: #777; }
table { border-collapse: collapse; font-size: 0.8rem; margin: 0.5rem 0 1rem; }
th, td { border: 1px solid #ddd; padding: 0.15rem 0.4rem; text-align: left; } th { background: #f3f3f3; }
details { margin: 0.5rem 0; } summary { cursor: pointer; font-weight: 600; }
.skipped { color: #8a4b00; }
"""


@dataclass(frozen=True)
class Report:
    """A written report: where it is, the figures it shows and those it could not draw."""

    path: Path
    figures: list[str]
    skipped: list[SkippedFigure]


def build_report(folders: Sequence[str | os.PathLike], title: str, figure_options: Mapping[str, Any] | None = None
                 ) -> tuple[str, list[str], list[SkippedFigure]]:
    """The page's HTML for the inputs found in ``folders``, the names of its figures and the skipped ones
    (``figure_options`` as :func:`~chronoscore.figures.gallery.plan_figures` takes them)."""
    inputs = find_inputs(*folders)
    planned, skipped = plan_figures(inputs, figure_options)
    figures, names = [], []
    for figure in planned:
        drawn = draw(figure)
        if isinstance(drawn, SkippedFigure):
            skipped.append(drawn)
            continue
        encoded = base64.b64encode(png_bytes(drawn, dpi=200)).decode("ascii")
        sources = ", ".join(_shown(path, folders) for path in figure.inputs)
        figures.append(f'<figure id="{html.escape(figure.name)}"><img alt="{html.escape(figure.caption)}" '
                       f'src="data:image/png;base64,{encoded}"><figcaption>{html.escape(figure.caption)}'
                       f'<div class="source">{figure.name} — from {html.escape(sources)}</div></figcaption></figure>')
        names.append(figure.name)
    sections = [("Figures", "\n".join(figures) or "<p>No figure could be drawn.</p>"),
                ("Not drawn", _skipped_list(skipped)),
                ("Leaderboard", _documents([Path(folder) / LEADERBOARD_FILE for folder in folders], folders, True)),
                ("Scored models", _models_overview(inputs, folders)),
                ("Scores against a brain RDM", _step_scores_tables(inputs, folders)),
                ("Comparisons", _documents([comparison_files(folder)[1] for folder in inputs.comparisons], folders,
                                           True)),
                ("Model summaries", _documents([folder / SUMMARY_FILE for folder in inputs.scored_models], folders,
                                               False)),
                ("Training runs", _training_table(inputs, folders)),
                ("Result tables", _result_tables(inputs, folders))]
    body = "\n".join(f"<h2>{name}</h2>\n{content}" for name, content in sections if content)
    created = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    page = (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{_STYLE}</style></head><body>\n<h1>{html.escape(title)}</h1>\n"
            f"<p>chronoscore {chronoscore.__version__}, {created}; {len(names)} figure(s), {len(skipped)} not drawn."
            f"</p>\n{body}\n</body></html>\n")
    return page, names, skipped


def write_report(results_dir: str | os.PathLike, out_file: str | os.PathLike | None = None, *,
                 include: Sequence[str | os.PathLike] = (), title: str | None = None,
                 figure_options: Mapping[str, Any] | None = None) -> Report:
    """Write the page for ``results_dir`` (and any ``include`` folders or files searched as well).

    Parameters
    ----------
    results_dir : path-like
        The results folder searched for inputs.
    out_file : path-like, optional
        Default ``results_dir / report.html``.
    include : sequence of path-like
        More folders searched for inputs (e.g. the benchmark folder holding the
        neural data and stimuli).
    title : str, optional
        Default ``chronoscore results: <folder name>``.
    figure_options : mapping, optional
        Keyword options of the figures that take them, e.g. ``{"top": 3}`` for ``top_models_timecourse``.
    """
    results_dir = Path(results_dir)
    out_file = Path(out_file) if out_file is not None else results_dir / REPORT_FILE
    page, names, skipped = build_report([results_dir, *map(Path, include)],
                                        title or f"chronoscore results: {results_dir.resolve().name}", figure_options)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    out_file.write_text(page, encoding="utf-8")
    return Report(out_file, names, skipped)


def _shown(path: Path, folders: Sequence[str | os.PathLike]) -> str:
    """``path`` relative to the first searched folder holding it."""
    for folder in folders:
        try:
            return str(path.relative_to(folder)) or "."
        except ValueError:
            continue
    return str(path)


def _skipped_list(skipped: list[SkippedFigure]) -> str:
    items = "".join(f'<li><b>{html.escape(item.name)}</b>: <span class="skipped">{html.escape(item.reason)}</span>'
                    "</li>" for item in skipped)
    return f"<ul>{items}</ul>" if items else ""


def _models_overview(inputs: ResultInputs, folders) -> str:
    """A table of the metric, parameter count, best and mean score per scored model and region, by metric."""
    rows, problems = [], []
    for folder in inputs.scored_models:
        try:
            model = read_scored_model(folder)
        except ChronoscoreError as error:
            problems.append(str(error))
            continue
        try:
            scale = score_scale(model.scores, model.source)
        except ChronoscoreError as error:
            problems.append(str(error))
            continue
        peaks, errors = peak_and_mean(model.scores, "score", "peak", scale)
        means, _ = peak_and_mean(model.scores, "score", "mean", scale)
        for index, region in enumerate(model.scores["region"].values):
            rows.append({"metric": scale.label, "model": model.name, "folder": _shown(folder, folders),
                         "parameters": "unknown" if model.parameters is None else f"{model.parameters:,}",
                         "region": str(region),
                         "best bin (lowest for a distance)": f"{peaks[index]:.3f} ± {errors[index]:.3f}",
                         "mean over bins": f"{means[index]:.3f}"})
    table = (pd.DataFrame(rows).sort_values("metric", kind="stable").to_html(index=False, border=0)
             if rows else "")
    return table + "".join(f'<p class="skipped">{html.escape(problem)}</p>' for problem in problems)


def _step_scores_tables(inputs: ResultInputs, folders) -> str:
    """Per ``scores_per_step.nc``: a table of each area's score (± its error) at every model step, best marked."""
    blocks = []
    for path in inputs.step_scores:
        heading = f"<h3>{html.escape(_shown(path, folders))}</h3>"
        try:
            scores = read_step_scores(path)
            scale = score_scale(scores, str(path))
        except ChronoscoreError as error:
            blocks.append(heading + f'<p class="skipped">{html.escape(str(error))}</p>')
            continue
        values = scores["score"].transpose("area", "time_step").values
        errors = scores["error"].transpose("area", "time_step").values
        best = scale.best(values, axis=1)
        table = pd.DataFrame({"model step": scores["time_step"].values})
        if "time_ms" in scores.coords:
            table["time (ms)"] = [f"{value:g}" for value in scores["time_ms"].values]
        for index, area in enumerate(scores["area"].values):
            table[str(area)] = [f"{value:.3f} ± {error:.3f}" + (" (best)" if step == best[index] else "")
                                for step, (value, error) in enumerate(zip(values[index], errors[index]))]
        caption = (f"<p>{html.escape(str(scores.attrs.get('model', '')))} against "
                   f"{html.escape(str(scores.attrs.get('benchmark', 'the brain RDM')))}: {html.escape(scale.label)} "
                   "per model step, ± its standard error.</p>")
        blocks.append(heading + caption + table.to_html(index=False, border=0))
    return "\n".join(blocks)


def _documents(paths: list[Path], folders, open_: bool) -> str:
    """Each existing Markdown file as HTML in a collapsible block named after its folder."""
    blocks = []
    for path in paths:
        if path.is_file():
            content = markdown_to_html(path.read_text(encoding="utf-8"), heading_offset=2)
            blocks.append(f"<details{' open' if open_ else ''}><summary>{html.escape(_shown(path, folders))}"
                          f"</summary>{content}</details>")
    return "\n".join(blocks)


def _training_table(inputs: ResultInputs, folders) -> str:
    """Final numbers of each training run from its ``summary.json`` (unfinished runs have none)."""
    rows = []
    for folder in inputs.training_runs:
        row = {"run": _shown(folder, folders)}
        try:
            summary = read_json_object(folder / "summary.json", "training summary",
                                       "chronoscore train writes it when a run ends.")
        except ChronoscoreError as error:
            rows.append({**row, "model": f"no readable summary ({error})"})
            continue
        row.update(model=summary.get("model"), steps=summary.get("steps"), parameters=summary.get("n_parameters"),
                   device=summary.get("device"))
        for phase in ("train", "val"):
            values = summary.get(phase) or {}
            for key in ("loss", "accuracy"):
                value = values.get(key)
                row[f"{phase} {key}"] = f"{value:.4f}" if isinstance(value, (int, float)) else ""
        rows.append(row)
    return pd.DataFrame(rows).to_html(index=False, border=0, na_rep="") if rows else ""


def _result_tables(inputs: ResultInputs, folders) -> str:
    """The memory tables as they are; Pathfinder and lesion tables as mean ± s.d. over seeds."""
    blocks = []
    for schema, tables, keys, value in ((MEMORY_SCHEMA, inputs.memory_tables, None, None),
                                        (PATHFINDER_SCHEMA, inputs.pathfinder_tables, ["model", "path_length"],
                                         "accuracy"),
                                        (LESION_SCHEMA, inputs.lesion_tables, ["model", "variant"], "accuracy")):
        for path in tables:
            heading = f"<h3>{html.escape(schema.name)} — {html.escape(_shown(path, folders))}</h3>"
            try:
                table = read_table(path, schema)
            except ChronoscoreError as error:
                blocks.append(heading + f'<p class="skipped">{html.escape(str(error))}</p>')
                continue
            if keys is not None:
                table = mean_over_seeds(table, keys, value).rename(columns={"n": "seeds"})
            blocks.append(heading + table.to_html(index=False, border=0, float_format=lambda x: f"{x:.4g}"))
    return "\n".join(blocks)
