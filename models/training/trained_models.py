"""Building a recipe's model, and loading a trained one back from a run's checkpoints."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from torch import nn

from chronoscore.errors import FileFormatError
from chronoscore.models.registry import create_model
from chronoscore.models.training.checkpoints import BEST_NAME, CheckpointEntry, CheckpointStore, read_checkpoint
from chronoscore.models.training.recipe import ModelSpec, load_recipe

__all__ = ["build_model", "load_trained_model", "checkpoint_at_step"]


def build_model(spec: ModelSpec) -> nn.Module:
    """The registered model ``spec.name`` built with ``spec.kwargs`` (random initialisation)."""
    return create_model(spec.name, **spec.kwargs)


def load_trained_model(run_dir: str | os.PathLike, which: Literal["last", "best"] | int = "last") -> nn.Module:
    """The model of a training run with the weights of its last, best or a given step's checkpoint, in eval mode.

    Parameters
    ----------
    run_dir : path-like
        The run's output folder (``--out`` of ``chronoscore train``).
    which : {"last", "best"} or int
        An int is the step of a checkpoint the run's index lists.

    Raises
    ------
    FileFormatError
        If the run has no readable checkpoint of that kind.
    """
    store = CheckpointStore(Path(run_dir) / "checkpoints")
    if which == "best":
        best = store.best()
        if best is None:
            raise FileFormatError(f"the run in {run_dir} has no best checkpoint yet.")
        payload = read_checkpoint(store.folder / BEST_NAME, best.sha256)
    elif not isinstance(which, str):
        entry = checkpoint_at_step(store, which)
        payload = read_checkpoint(store.folder / entry.file, entry.sha256)
    else:
        payload = store.load_latest()
        if payload is None:
            raise FileFormatError(f"the run in {run_dir} has no checkpoint; train it first.")
    model = build_model(load_recipe(payload["recipe"]).model)
    model.load_state_dict(payload["model"])
    return model.eval()


def checkpoint_at_step(store: CheckpointStore, step: int) -> CheckpointEntry:
    """The index entry of the step checkpoint ``step`` (FileFormatError naming the saved steps if there is none)."""
    entries = store.entries()
    for entry in entries:
        if entry.step == int(step):
            return entry
    raise FileFormatError(f"{store.folder} holds no checkpoint of step {step}; its saved steps are "
                          f"{[entry.step for entry in entries]} (older ones are deleted after keep_last).")
