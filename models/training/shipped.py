"""Small trained models shipped with chronoscore (``chronoscore/models/weights/``).

Each model has two files: ``<name>.pt``, its state dict, and ``<name>.yaml``,
which records the recipe it was trained with, its classes, the SHA-256 of the
``.pt`` file, its parameter count and its accuracy on the training images and on
a held-out set. They are made by
:mod:`chronoscore.analyses.make_demo_weights`.
"""

from __future__ import annotations

import io
import os
from importlib import resources
from pathlib import Path
from typing import Any

import torch
import yaml
from torch import nn

from chronoscore.errors import ChronoscoreError, FileFormatError
from chronoscore.models.training.checkpoints import sha256_bytes
from chronoscore.models.training.recipe import load_recipe
from chronoscore.models.training.trained_models import build_model

__all__ = ["shipped_weights_dir", "list_shipped_weights", "shipped_weights_info", "load_shipped_weights"]


def shipped_weights_dir() -> Path:
    """The folder of the shipped weights inside the installed package."""
    return Path(str(resources.files("chronoscore.models") / "weights"))


def list_shipped_weights(folder: str | os.PathLike | None = None) -> list[str]:
    """Names of the shipped models (those with both a ``.pt`` and a ``.yaml`` file)."""
    folder = Path(folder) if folder is not None else shipped_weights_dir()
    return sorted(path.stem for path in folder.glob("*.yaml") if path.with_suffix(".pt").is_file())


def shipped_weights_info(name: str, folder: str | os.PathLike | None = None) -> dict[str, Any]:
    """The record of a shipped model (``<name>.yaml``): recipe, classes, sha256, accuracies.

    Raises
    ------
    FileFormatError
        If there is no such model or its record cannot be read.
    """
    folder = Path(folder) if folder is not None else shipped_weights_dir()
    path = folder / f"{name}.yaml"
    if not path.is_file() or not path.with_suffix(".pt").is_file():
        raise FileFormatError(f"no shipped weights named {name!r} in {folder}; available: "
                              f"{', '.join(list_shipped_weights(folder)) or 'none'}.")
    try:
        info = yaml.safe_load(path.read_text())
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise FileFormatError(f"cannot read {path} ({error}); reinstall chronoscore or rerun "
                              "make_demo_weights.") from error
    if not isinstance(info, dict) or not {"recipe", "sha256"} <= set(info):
        raise FileFormatError(f"{path} is not a shipped-weights record (it needs recipe and sha256).")
    return info


def load_shipped_weights(name: str, folder: str | os.PathLike | None = None) -> nn.Module:
    """The shipped model ``name`` built from its recipe with its trained weights, in eval mode.

    Parameters
    ----------
    name : str
        One of :func:`list_shipped_weights`, e.g. ``"convrnn_shallow_rgc"``.
    folder : path-like, optional
        Another folder of weights written by ``make_demo_weights --out``.

    Raises
    ------
    FileFormatError
        If the files are missing, the weights' SHA-256 differs from the record,
        or they do not fit the recorded model.
    """
    info = shipped_weights_info(name, folder)
    path = (Path(folder) if folder is not None else shipped_weights_dir()) / f"{name}.pt"
    data = path.read_bytes()
    if sha256_bytes(data) != info["sha256"]:
        raise FileFormatError(f"{path} is corrupt: its SHA-256 differs from the one in {name}.yaml; reinstall "
                              "chronoscore or rerun make_demo_weights.")
    try:
        state = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
        model = build_model(load_recipe(info["recipe"]).model)
        model.load_state_dict(state)
    except (ChronoscoreError, RuntimeError, KeyError, TypeError) as error:
        raise FileFormatError(f"the weights in {path} do not fit the model recorded in {name}.yaml "
                              f"({error}).") from error
    return model.eval()
