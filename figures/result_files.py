"""Reading and checking the saved results that figures are drawn from.

Every reader here raises :class:`~chronoscore.errors.FileFormatError` with a
message naming the missing or malformed file, what is wrong with it and how to
make it right, before anything is drawn.

Result tables are CSV files with a header row and one record per row; each
figure that reads one states its columns in its module docstring and in a
:class:`TableSchema` (columns may come in any order, extra columns are
ignored). Saved Scores, model descriptions and ceilings are read through
:mod:`chronoscore.analyses.run_folder`, which owns the results folders' layout.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import xarray as xr

from chronoscore.analyses.run_folder import read_run_scores
from chronoscore.analyses.scored_model import ScoredModel, load_scored_model
from chronoscore.errors import FileFormatError
from chronoscore.neural_fit.results_io import read_scores

__all__ = ["ColumnKind", "TableSchema", "read_table", "check_unique_rows", "mean_over_seeds",
           "table_header", "matches_schema", "read_json_object", "read_scored_model", "read_matrix_scores",
           "read_step_scores",
           "is_feedforward", "require_file"]

ColumnKind = Literal["text", "number", "integer"]

@dataclass(frozen=True)
class TableSchema:
    """The columns of one kind of result table.

    Attributes
    ----------
    name : str
        What the table holds, for messages (``"memory vs steps"``).
    columns : mapping of column name to {"text", "number", "integer"}
        Required columns and what their cells hold: text, a number (``nan``
        allowed, e.g. a diverged loss) or a whole number; no cell may be empty.
    producer : str
        What writes such a table, for messages.
    """

    name: str
    columns: Mapping[str, ColumnKind]
    producer: str


def require_file(path: str | os.PathLike, what: str, hint: str) -> Path:
    """``path`` as a Path; raise FileFormatError saying ``what`` is missing and ``hint`` if it is not a file."""
    path = Path(path)
    if not path.is_file():
        raise FileFormatError(f"{path}: no such file (the {what}); {hint}")
    return path


def table_header(path: str | os.PathLike) -> tuple[str, ...] | None:
    """Column names of a CSV file's first row, None when it cannot be read as CSV text."""
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            first = next(csv.reader(handle), None)
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
    return None if first is None else tuple(name.strip() for name in first)


def matches_schema(path: str | os.PathLike, schema: TableSchema) -> bool:
    """Whether the CSV file's header holds every column of ``schema``."""
    header = table_header(path)
    return header is not None and set(schema.columns) <= set(header)


def read_table(path: str | os.PathLike, schema: TableSchema) -> pd.DataFrame:
    """Read a result table and check it against ``schema``.

    Returns
    -------
    pandas.DataFrame
        The schema's columns (in its order) with text as ``str``, numbers as
        float and integers as int; one row per record, at least one.

    Raises
    ------
    FileFormatError
        If the file is missing or not CSV, lacks a column, has no rows, or a
        cell is empty or not of its column's kind (the message gives the line).
    """
    path = require_file(path, f"{schema.name} table", f"write it with {schema.producer}.")
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise FileFormatError(f"{path}: cannot be read as a CSV table ({error}); write it with "
                              f"{schema.producer}.") from error
    table.columns = [str(name).strip() for name in table.columns]
    missing = [name for name in schema.columns if name not in table.columns]
    if missing:
        raise FileFormatError(f"{path}: the {schema.name} table lacks column(s) {missing}; it needs "
                              f"{','.join(schema.columns)} (found {','.join(table.columns)}).")
    if table.empty:
        raise FileFormatError(f"{path}: the {schema.name} table has a header but no rows; write it with "
                              f"{schema.producer}.")
    return pd.DataFrame({name: _column(path, table[name], name, kind) for name, kind in schema.columns.items()})


def check_unique_rows(table: pd.DataFrame, keys: list[str], path: str | os.PathLike) -> None:
    """Raise FileFormatError (with the first repeated line) if two rows of ``table`` share their ``keys``."""
    repeated = np.flatnonzero(table.duplicated(subset=keys).values)
    if repeated.size:
        row = table.iloc[repeated[0]]
        raise FileFormatError(f"{path}: line {repeated[0] + 2} repeats "
                              + ", ".join(f"{key}={row[key]}" for key in keys)
                              + "; keep one row per " + " × ".join(keys) + ".")


def mean_over_seeds(table: pd.DataFrame, keys: list[str], value: str) -> pd.DataFrame:
    """Mean, standard deviation (0 for one seed) and count of ``value`` per combination of ``keys``.

    Returns
    -------
    pandas.DataFrame
        Columns ``keys`` + ``mean``, ``sd``, ``n``; groups in order of first appearance.
    """
    groups = table.groupby(keys, sort=False)[value]
    summary = groups.agg(mean="mean", sd="std", n="count").reset_index()
    summary["sd"] = summary["sd"].fillna(0.0)
    return summary


def read_json_object(path: str | os.PathLike, what: str, hint: str) -> dict[str, Any]:
    """A JSON file holding one object, as a dict (FileFormatError if missing, not JSON or not an object)."""
    path = require_file(path, what, hint)
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise FileFormatError(f"{path}: not readable as JSON ({error}); {hint}") from error
    if not isinstance(value, dict):
        raise FileFormatError(f"{path}: expected a JSON object, found {type(value).__name__}; {hint}")
    return value


def read_scored_model(item: str | os.PathLike) -> ScoredModel:
    """A scored model with per-bin Scores (``score`` on dims region, time_bin) from its folder or file.

    Raises
    ------
    FileFormatError
        If no Scores file is there, it is not a Scores file, or its scores are
        not per region and time bin (e.g. a step × bin matrix).
    """
    model = load_scored_model(item)
    dims = model.scores["score"].dims
    if set(dims) != {"region", "time_bin"}:
        raise FileFormatError(f"{model.source}: expected per-bin scores on dims (region, time_bin), found {dims}; "
                              "give the folder's scores_per_bin.nc (chronoscore score --time per_bin).")
    return model


def read_matrix_scores(path: str | os.PathLike) -> xr.Dataset:
    """Step × bin Scores (``score`` on dims region, time_step, time_bin) from a file or its folder."""
    path = Path(path)
    scores = read_run_scores(path, "matrix") if path.is_dir() else read_scores(path)
    dims = scores["score"].dims
    if set(dims) != {"region", "time_step", "time_bin"}:
        raise FileFormatError(f"{path}: expected step × bin scores on dims (region, time_step, time_bin), found "
                              f"{dims}; score the model with the matrix time mode (scores_matrix.nc).")
    return scores


def read_step_scores(path: str | os.PathLike) -> xr.Dataset:
    """Scores against a brain RDM (``score`` on dims area, time_step) from a file or its folder."""
    path = Path(path)
    scores = read_run_scores(path, "per_step") if path.is_dir() else read_scores(path)
    dims = scores["score"].dims
    if set(dims) != {"area", "time_step"}:
        raise FileFormatError(f"{path}: expected scores against a brain RDM on dims (area, time_step), found {dims}; "
                              "score the model on a data set holding an RDM (scores_per_step.nc).")
    return scores


def is_feedforward(model: ScoredModel) -> bool:
    """Whether a scored model is feedforward: ``model.json`` says ``"recurrent": false``, or else
    every time bin was fitted from the same model step."""
    if "recurrent" in model.info:
        return not bool(model.info["recurrent"])
    steps = model.scores["step_for_bin"].values if "step_for_bin" in model.scores else None
    return steps is not None and np.unique(steps).size == 1


def _column(path: Path, cells: pd.Series, name: str, kind: ColumnKind) -> pd.Series:
    text = cells.astype(str).str.strip()
    empty = np.flatnonzero(text.values == "")
    if empty.size:
        raise FileFormatError(f"{path}: column {name!r} is empty on line {empty[0] + 2}; every row needs a value.")
    if kind == "text":
        return text
    values = pd.to_numeric(text, errors="coerce").values.astype(float)
    if kind == "integer":
        bad = np.flatnonzero(~np.isfinite(values) | (values != np.round(values)))
    else:
        bad = np.flatnonzero(np.isnan(values) & (text.str.lower().values != "nan"))
    if bad.size:
        wanted = "a whole number" if kind == "integer" else "a number (or nan)"
        raise FileFormatError(f"{path}: column {name!r} must hold {wanted} in every row; line {bad[0] + 2} has "
                              f"{text.iloc[bad[0]]!r}.")
    return pd.Series(values.astype(int) if kind == "integer" else values, index=cells.index)
