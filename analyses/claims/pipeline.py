"""``run_claim``: train a claim's arms, score them on held-out data, write ``<claim>.csv`` and ``<claim>.md``.

Output folder layout::

    DIR/<claim>.csv     one row per arm × seed (× test step count; and baselines), the claim's columns
    DIR/<claim>.md      the Markdown table (mean over seeds) with sizes, seeds and times
    DIR/runs/           the trainer runs (reused by any later claim with the same recipe)
    DIR/images/         generated images cached as class folders (training and held-out)
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from chronoscore.analyses.claims.catalog import Claim, Scale, ScaleName, get_claim, recipe_path
from chronoscore.analyses.claims.image_cache import cached_images
from chronoscore.analyses.claims.image_scores import heldout_accuracy
from chronoscore.analyses.claims.reber_streams import load_stream_settings, score_stream_arms, train_stream_run
from chronoscore.analyses.claims.runs import TrainedRun, arm_recipe, train_or_reuse
from chronoscore.analyses.claims.tables import check_columns, claim_table
from chronoscore.errors import ConfigError
from chronoscore.models.training import load_trained_model

__all__ = ["run_claim"]

_Row = tuple[dict, float | None]
"""A result row (column -> value) and the training seconds behind it (None for a baseline)."""


def run_claim(name: str, out_dir: str | os.PathLike, scale: ScaleName = "small", seeds: Sequence[int] | None = None,
              *, progress: bool = False) -> pd.DataFrame:
    """Train and score every arm of claim ``name``; write ``out_dir/<name>.csv`` and ``out_dir/<name>.md``.

    Parameters
    ----------
    name : str
        A claim of :data:`~chronoscore.analyses.claims.catalog.CLAIMS`.
    out_dir : path-like
        Output folder (see the module docstring); runs found there are reused.
    scale : {"tiny", "small", "release"}
        ``tiny``: seconds (tests); ``small``: the README numbers (minutes on 2 CPU cores);
        ``release`` (``rsm_reber`` only): the authors' 40,000 updates, on a GPU.
    seeds : sequence of int, optional
        Training seeds (default: the scale's).
    progress : bool
        Show the trainer's progress bars.

    Returns
    -------
    DataFrame
        The rows written to the CSV.
    """
    claim = get_claim(name)
    size = claim.scale(scale)
    seeds = size.seeds if seeds is None else tuple(seeds)
    if not seeds or any(isinstance(seed, bool) or not isinstance(seed, int) or seed < 0 for seed in seeds):
        raise ConfigError(f"seeds must be non-negative integers, got {list(seeds)}.")
    out = Path(out_dir)
    if claim.task == "reber":
        rows, notes = _reber_rows(claim, scale, size, seeds, out, progress)
        return _write(claim, out, rows, notes)
    cache = out / "images"
    rows: list[_Row] = []
    runs: list[TrainedRun] = []
    for arm in claim.arms:
        for seed in seeds:
            recipe = arm_recipe(arm, size, seed)
            run = train_or_reuse(recipe, out / "runs", image_cache=cache, progress=progress)
            runs.append(run)
            seconds = run.summary["training_seconds"]
            rows += [({**arm.fields, **values, "seed": seed}, seconds) for values in _scores(claim, run, size, out)]
    return _write(claim, out, rows, _notes(claim, scale, size, seeds, runs))


def _write(claim: Claim, out: Path, rows: list[_Row], notes: str) -> pd.DataFrame:
    """Write the claim's CSV and Markdown table; return the CSV's rows."""
    results = check_columns([row for row, _ in rows], claim.columns)
    out.mkdir(parents=True, exist_ok=True)
    results.to_csv(out / f"{claim.name}.csv", index=False)
    (out / f"{claim.name}.md").write_text(claim_table(results, [seconds for _, seconds in rows], notes))
    return results


def _reber_rows(claim: Claim, scale: str, size: Scale, seeds: Sequence[int], out: Path,
                progress: bool) -> tuple[list[_Row], str]:
    """Train each seed's stream run (or resume it, or find it done) and score every arm on it."""
    settings = load_stream_settings(recipe_path(claim.stream_recipe), size.overrides)
    rows: list[_Row] = []
    minutes = 0.0
    for seed in seeds:
        model, summary = train_stream_run(settings, seed, out / "runs", log_every=500 if progress else 0)
        minutes += summary["training_seconds"] / 60
        trained = ("trained memory + converged readout", "trained memory + its own classifier")
        rows += [(row, summary["training_seconds"] if row["arm"] in trained else None)
                 for row in score_stream_arms(settings, seed, size.heldout_n, model, summary)]
    notes = (f"{claim.paper}. Scale `{scale}`: g = {settings.groups} groups x c = {settings.cells} cells, "
             f"k = {settings.k}, {settings.symbols} symbols; {settings.updates:,} updates (one per symbol) over "
             f"{settings.n_streams} streams of fresh strings, Adam lr {settings.lr:g} for memory and classifier "
             f"apart; readouts fitted on {settings.readout_n} other strings; {size.heldout_n} held-out strings "
             f"(seed {settings.heldout_seed}); seeds {', '.join(map(str, seeds))}; {minutes:.1f} min of training "
             "in all. `ceiling`: expected accuracy of the best possible predictor on the held-out strings.")
    return rows, notes


def _scores(claim: Claim, run: TrainedRun, size: Scale, out: Path) -> list[dict]:
    """Result values of one trained run (without the arm's fields and the seed)."""
    model = load_trained_model(run.folder)
    parameters = sum(parameter.numel() for parameter in model.parameters())
    data = run.recipe.data
    held_out = cached_images(data, size.heldout_n, data.val_seed, data.val_options, out / "images")
    classes = run.summary["classes"]
    return [{"accuracy": heldout_accuracy(model, held_out, classes, data, n_steps=steps),
             "n_parameters": parameters, "test_steps": steps} for steps in claim.test_steps or (None,)]


def _notes(claim: Claim, scale: str, size: Scale, seeds: Sequence[int], runs: list[TrainedRun]) -> str:
    """The sizes, seeds and times under a claim's table."""
    recipe = runs[0].recipe
    data, held_out = recipe.data, f"{size.heldout_n} held-out"
    split = "".join(f", {key} {value}" for key, value in data.val_options.items())
    what = (f"{data.image_size} px {data.generator} images, {data.train_n} for training (seed {data.seed}), "
            f"{held_out} (seed {data.val_seed}{split})")
    length = f"{recipe.steps} steps" if recipe.steps else f"{recipe.epochs} epochs"
    algorithms = ", ".join(dict.fromkeys(run.recipe.algorithm for run in runs))
    minutes = sum(run.summary["training_seconds"] for run in runs) / 60
    reused = sum(run.reused for run in runs)
    return (f"{claim.paper}. Scale `{scale}`: {what}; {length} of batch {recipe.batch_size}, algorithm "
            f"{algorithms}; training seeds {', '.join(map(str, seeds))}. {len(runs)} runs, "
            f"{minutes:.1f} min of training in all ({reused} found done in the output folder).")
