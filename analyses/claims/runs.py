"""Training a claim's arms with the trainer, reusing runs that are already done.

Each arm × seed is one trainer run in ``<out>/runs/<model>-<digest>``, the digest
taken from the full recipe and, for generated data, the generator's version (a
run trained on images of an earlier version of a generator is not reused), so a run is found again by any claim that needs the
same recipe (the intact hGRU of ``hgru_lesions`` is the path-length-14 hGRU of
``hgru_pathfinder``), a finished run is never trained twice, and an interrupted
one resumes from its last checkpoint.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chronoscore.analyses.claims.catalog import Arm, Scale, recipe_path
from chronoscore.analyses.claims.image_cache import on_cached_images
from chronoscore.analyses.training_data import train
from chronoscore.models.training import Recipe, load_recipe
from chronoscore.stimuli import generator_version

__all__ = ["TrainedRun", "arm_recipe", "run_folder", "train_or_reuse"]


@dataclass(frozen=True)
class TrainedRun:
    """A finished trainer run of one arm and seed.

    Attributes
    ----------
    folder : Path
        The run's output folder (``recipe.yaml``, ``metrics.csv``, ``checkpoints/``, ``summary.json``).
    recipe : Recipe
        The arm's recipe as the claim defines it (generated data).
    summary : dict
        The trainer's summary (``n_parameters``, ``classes``, ``training_seconds``, ...).
    reused : bool
        The run was found finished and not trained again.
    """

    folder: Path
    recipe: Recipe
    summary: dict[str, Any]
    reused: bool


def arm_recipe(arm: Arm, scale: Scale, seed: int) -> Recipe:
    """The arm's recipe with its overrides, then the scale's, then ``seed``."""
    return load_recipe(recipe_path(arm.recipe), (*arm.overrides, *scale.overrides, f"seed={seed}"))


def run_folder(recipe: Recipe, runs: Path) -> Path:
    """``runs/<model name>-<first 10 hex digits of the SHA-256 of the recipe>``.

    For generated data the hashed recipe also holds ``data.generator_version``
    (left out for version 1, so that runs made before versions were recorded keep their folders).
    """
    settings = recipe.to_dict()
    if recipe.data.source == "generated" and generator_version(recipe.data.generator) != 1:
        settings["data"]["generator_version"] = generator_version(recipe.data.generator)
    text = json.dumps(settings, sort_keys=True)
    return Path(runs) / f"{recipe.model.name}-{hashlib.sha256(text.encode()).hexdigest()[:10]}"


def train_or_reuse(recipe: Recipe, runs: Path, *, image_cache: Path | None = None,
                   progress: bool = False) -> TrainedRun:
    """Train ``recipe`` into its run folder, or return the run already finished there.

    Parameters
    ----------
    recipe : Recipe
    runs : Path
        Folder of the claim runs.
    image_cache : Path, optional
        Read the recipe's generated training images from this cache
        (:func:`~chronoscore.analyses.claims.image_cache.on_cached_images`).
    progress : bool
        Show the trainer's progress bar.
    """
    folder = run_folder(recipe, runs)
    summary_file = folder / "summary.json"
    if summary_file.is_file():
        return TrainedRun(folder, recipe, json.loads(summary_file.read_text()), reused=True)
    trained = recipe if image_cache is None else on_cached_images(recipe, image_cache)
    started = (folder / "checkpoints").is_dir() and any((folder / "checkpoints").iterdir())
    summary = train(trained, folder, resume=started, progress=progress)
    return TrainedRun(folder, recipe, summary, reused=False)
