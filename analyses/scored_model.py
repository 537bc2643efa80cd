"""A scored model: its Scores, its name and its parameter count, read from a scoring run.

A scoring run's folder (see :mod:`chronoscore.analyses.run_folder` for its
layout) is read through its ``scores.nc`` or, when it has none, its
``scores_per_bin.nc``; name another of its files to compare that one.

Where a comparison is handed a scored model, it may be that folder, a
Scores file inside it named ``scores.nc`` or ``scores_<mode>.nc`` (which reads
the folder's ``model.json`` as well), any other Scores file (no ``model.json``
is read), or a Scores dataset in memory. Without ``model.json`` the name is the Scores' ``model`` attribute
and the parameter count its ``parameters`` attribute, when present.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import xarray as xr

from chronoscore.analyses.run_folder import is_count, is_scores_file, read_model_info, run_scores_file
from chronoscore.neural_fit.results_io import read_scores

__all__ = ["ScoredModel", "load_scored_model"]


@dataclass(frozen=True)
class ScoredModel:
    """One model's Scores with what a comparison shows beside them.

    Attributes
    ----------
    name : str
        The model's name (``model.json``, else the Scores' ``model`` attribute).
    scores : xarray.Dataset
        Scores as :func:`chronoscore.neural_fit.neural_predictivity` makes them.
    parameters : int or None
        Parameter count, None when unknown.
    source : str
        Where the Scores came from (a path, or ``dataset #i``).
    info : dict
        The whole ``model.json`` (empty without one).
    """

    name: str
    scores: xr.Dataset
    parameters: int | None
    source: str
    info: dict[str, Any]


def load_scored_model(item: xr.Dataset | str | os.PathLike, index: int = 0) -> ScoredModel:
    """Read a scoring run's folder, a Scores file, or take a Scores dataset as it is.

    Parameters
    ----------
    item : xarray.Dataset or path
        A scoring run's folder (``scores.nc`` or ``scores_per_bin.nc``, and
        optionally ``model.json``), a Scores netCDF file, or Scores in memory.
    index : int
        Position of ``item`` among the results, for the source of datasets.
    """
    if isinstance(item, xr.Dataset):
        scores, info, source = item, {}, f"dataset #{index}"
    else:
        path = Path(item)
        scores_path = run_scores_file(path) if path.is_dir() else path
        folder = scores_path.parent if is_scores_file(scores_path) else None
        scores, info, source = read_scores(scores_path), ({} if folder is None else read_model_info(folder)), str(path)
    name = info.get("model") or str(scores.attrs.get("model") or _stem(source))
    parameters = info.get("parameters", scores.attrs.get("parameters"))
    return ScoredModel(name=name, scores=scores, parameters=int(parameters) if is_count(parameters) else None,
                       source=source, info=info)


def _stem(source: str) -> str:
    path = Path(source)
    return path.parent.name if is_scores_file(path) else path.stem
