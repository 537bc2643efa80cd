"""The layout of results folders: each file's name, and its reader and writer.

Every part of chronoscore that writes or reads a result goes through this module,
so each name below is spelled once::

    RUN/                        a scoring run (chronoscore score, write_results)
        scores_<mode>.nc        Scores per time mode (per_bin, shared, matrix), with
                                ceilings, ceiled scores and provenance
        model.json              the model's name, parameter count, weights hash, ...
        summary.md              the tables of every mode
    RUN/scores.nc               a single Scores file (chronoscore fit --out RUN/scores.nc)
    DIR/comparison.nc           a comparison (chronoscore compare), with
    DIR/comparison.md           its summary table
    DIR/summary.md              the demo's summary; DIR/report.html, the HTML report
    SWEEP/sweep.json            a sweep (chronoscore sweep): its cells, their score
                                arguments and provenance hashes
    SWEEP/leaderboard.md        per region, the cells' ceiled scores per time bin
    SWEEP/<cell>/               one cell: a scoring run (as RUN above) with
        cell.json               its provenance (arguments, input files' SHA-256,
                                version, chronoscore's own files' SHA-256, hash),
                                written last, moved in whole
    SWEEP/.sweep/               the sweep's work: locks/<cell>.lock (held while a
                                cell runs), partial/<cell>.<id>/ (a cell being
                                written), failed/<cell>.json (its last error and
                                attempts), jobs/ (submitit's job files and logs)
    DATA/ceilings.nc            beside DATA/assembly.nc: the split-half noise
                                ceilings of the raw trials (per region and time bin,
                                written by the data set's builder or
                                ``chronoscore data ceilings``); X_assembly.nc has X_ceilings.nc

The names and paths are importable without numpy or xarray (commands build
their help from them); the netCDF readers and writers are imported when a file
is read or written.

``model.json`` is small and optional. Its keys: ``model`` (str, the name tables
show; it overrides the Scores' ``model`` attribute), ``parameters`` (int,
trainable scalar parameters); any other keys (``weights_hash``, ``n_steps``,
``recurrent``, ...) are kept as they are.
"""

from __future__ import annotations

import json
import numbers
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chronoscore.errors import FileFormatError

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["SCORES_FILE", "PER_BIN_SCORES_FILE", "MODEL_INFO_FILE", "SUMMARY_FILE", "COMPARISON_FILE",
           "COMPARISON_SUMMARY_FILE", "REPORT_FILE", "CEILINGS_FILE", "scores_file", "run_scores_file",
           "is_scored_model", "scoring_modes", "is_scores_file", "write_run_scores", "read_run_scores",
           "write_model_info", "read_model_info", "is_count", "write_summary", "read_summary", "comparison_files",
           "write_comparison", "read_comparison", "ceilings_file", "write_ceilings", "read_ceilings", "SWEEP_PLAN_FILE",
           "CELL_FILE", "SWEEP_WORK_FOLDER", "sweep_work_folder", "LEADERBOARD_FILE"]

SCORES_FILE = "scores.nc"
"""A run folder's single Scores file (``chronoscore fit``)."""

MODEL_INFO_FILE = "model.json"
SUMMARY_FILE = "summary.md"
COMPARISON_FILE = "comparison.nc"
COMPARISON_SUMMARY_FILE = "comparison.md"
REPORT_FILE = "report.html"
CEILINGS_FILE = "ceilings.nc"
"""The noise ceilings beside ``assembly.nc``."""

SWEEP_PLAN_FILE = "sweep.json"
LEADERBOARD_FILE = "leaderboard.md"
CELL_FILE = "cell.json"
SWEEP_WORK_FOLDER = ".sweep"
"""The hidden folder of a sweep's locks, partial cells, failures and job files."""

_SCORES_PREFIX = "scores_"
_ASSEMBLY_SUFFIX = "assembly.nc"

PER_BIN_SCORES_FILE = f"{_SCORES_PREFIX}per_bin.nc"
"""The Scores a run folder is read through when it has no ``scores.nc`` (the per-bin time mode)."""


def sweep_work_folder(sweep: str | os.PathLike, kind: str) -> Path:
    """``SWEEP/.sweep/<kind>``: ``locks``, ``partial``, ``failed`` or ``jobs`` (not created here)."""
    return Path(sweep) / SWEEP_WORK_FOLDER / kind


def scores_file(folder: str | os.PathLike, mode: str | None = None) -> Path:
    """``folder/scores_<mode>.nc``, or ``folder/scores.nc`` for no mode."""
    return Path(folder) / (SCORES_FILE if mode is None else f"{_SCORES_PREFIX}{mode}.nc")


def run_scores_file(folder: str | os.PathLike) -> Path:
    """The Scores file a scored model's folder is read through: ``scores.nc``, else ``scores_per_bin.nc``.

    Raises
    ------
    FileFormatError
        If the folder holds neither.
    """
    for path in (scores_file(folder), scores_file(folder, "per_bin")):
        if path.is_file():
            return path
    raise FileFormatError(f"{folder}: the folder holds neither {SCORES_FILE} nor {PER_BIN_SCORES_FILE}; give a "
                          "scoring run's output folder or a scores file.")


def is_scored_model(names: list[str] | set[str]) -> bool:
    """Whether a folder holding the files ``names`` is a scored model (see :func:`run_scores_file`)."""
    return SCORES_FILE in names or PER_BIN_SCORES_FILE in names


def scoring_modes(names: list[str] | set[str]) -> list[str]:
    """The time modes whose Scores files are among the file ``names`` of a folder, sorted."""
    return sorted(name[len(_SCORES_PREFIX):-3] for name in names
                  if name.startswith(_SCORES_PREFIX) and name.endswith(".nc"))


def is_scores_file(path: str | os.PathLike) -> bool:
    """Whether ``path`` is named as a run names its Scores (so its folder's ``model.json`` describes it)."""
    path = Path(path)
    return path.name == SCORES_FILE or path.name.startswith(_SCORES_PREFIX) and path.suffix == ".nc"


def write_run_scores(folder: str | os.PathLike, mode: str, scores: xr.Dataset) -> Path:
    """Write one time mode's Scores into a run folder (created if missing)."""
    from chronoscore.neural_fit.results_io import write_scores

    path = scores_file(folder, mode)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_scores(scores, path)


def read_run_scores(folder: str | os.PathLike, mode: str | None = None) -> xr.Dataset:
    """One time mode's Scores of a run folder (``scores.nc`` for no mode).

    Raises
    ------
    FileFormatError
        If the file is missing (naming the modes the folder holds) or is not a Scores file.
    """
    from chronoscore.neural_fit.results_io import read_scores

    path = scores_file(folder, mode)
    if not path.is_file():
        held = scoring_modes(os.listdir(folder)) if Path(folder).is_dir() else []
        raise FileFormatError(f"{path}: no such file; the folder holds Scores of the time modes {held or 'none'}. "
                              f"Score the model with that time mode (chronoscore score --time {mode or 'per_bin'}).")
    return read_scores(path)


def write_model_info(folder: str | os.PathLike, *, model: str, parameters: int, **extra: Any) -> Path:
    """Write ``model.json`` (name, parameter count and any ``extra`` JSON values) into ``folder``."""
    path = Path(folder) / MODEL_INFO_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"model": model, "parameters": int(parameters), **extra}, indent=2, sort_keys=True))
    return path


def read_model_info(folder: str | os.PathLike) -> dict[str, Any]:
    """The folder's ``model.json`` as a dict (empty when there is none).

    Raises
    ------
    FileFormatError
        If the file is not a JSON object, or ``model``/``parameters`` have the wrong type.
    """
    path = Path(folder) / MODEL_INFO_FILE
    if not path.is_file():
        return {}
    try:
        info = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        message = f"{path}: not readable as JSON ({error}); write it with write_model_info(...)."
        raise FileFormatError(message) from error
    if not isinstance(info, dict):
        raise FileFormatError(f"{path}: expected a JSON object such as {{\"model\": ..., \"parameters\": ...}}.")
    if "model" in info and not isinstance(info["model"], str):
        raise FileFormatError(f"{path}: 'model' must be a string, got {info['model']!r}.")
    if "parameters" in info and not is_count(info["parameters"]):
        raise FileFormatError(f"{path}: 'parameters' must be a non-negative integer, got {info['parameters']!r}.")
    return info


def is_count(value: Any) -> bool:
    """Whether ``value`` is a non-negative integer (not a bool)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= 0


def write_summary(folder: str | os.PathLike, text: str) -> Path:
    """Write a run's or the demo's ``summary.md``."""
    path = Path(folder) / SUMMARY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def read_summary(folder: str | os.PathLike) -> str:
    """The folder's ``summary.md`` (FileFormatError if it has none)."""
    path = Path(folder) / SUMMARY_FILE
    if not path.is_file():
        raise FileFormatError(f"{path}: no such file; chronoscore score and chronoscore demo write it.")
    return path.read_text(encoding="utf-8")


def comparison_files(folder: str | os.PathLike) -> tuple[Path, Path]:
    """A comparison folder's netCDF file and its Markdown summary."""
    return Path(folder) / COMPARISON_FILE, Path(folder) / COMPARISON_SUMMARY_FILE


def write_comparison(comparison: xr.Dataset, out_dir: str | os.PathLike) -> tuple[Path, Path]:
    """Write ``comparison.nc`` (atomically) and ``comparison.md`` (the summary table) into ``out_dir``.

    Returns
    -------
    (Path, Path)
        The netCDF file and the Markdown file.
    """
    from chronoscore.analyses.comparison_summary import comparison_table
    from chronoscore.neural_fit.netcdf_files import netcdf_attrs, write_dataset_atomic

    netcdf_file, summary = comparison_files(out_dir)
    storable = comparison.copy(deep=False)
    storable.attrs = netcdf_attrs(comparison.attrs)
    encoding = {name: {"zlib": True, "complevel": 4} for name in comparison.data_vars}
    netcdf = write_dataset_atomic(storable, netcdf_file, encoding=encoding, what="comparison")
    summary.write_text(comparison_table(comparison) + "\n", encoding="utf-8")
    return netcdf, summary


def read_comparison(path: str | os.PathLike) -> xr.Dataset:
    """Read a comparison written by :func:`write_comparison` (its folder or its netCDF file)."""
    from chronoscore.neural_fit.netcdf_files import open_dataset_checked

    path = Path(path)
    file = comparison_files(path)[0] if path.is_dir() else path
    comparison = open_dataset_checked(file, "comparison")
    if "difference_r" not in comparison.data_vars:
        raise FileFormatError(f"{file}: not a chronoscore comparison (no difference_r); write it with "
                              "chronoscore compare or write_comparison(...).")
    return comparison


def ceilings_file(assembly_file: str | os.PathLike) -> Path:
    """Where the ceilings of an assembly file are kept: ``ceilings.nc`` beside ``assembly.nc``,
    ``X_ceilings.nc`` beside ``X_assembly.nc``, ``X_ceilings.nc`` beside any other ``X.nc``."""
    path = Path(assembly_file)
    if path.name.endswith(_ASSEMBLY_SUFFIX):
        return path.with_name(path.name[:-len(_ASSEMBLY_SUFFIX)] + CEILINGS_FILE)
    return path.with_name(f"{path.stem}_{CEILINGS_FILE}")


def write_ceilings(assembly_file: str | os.PathLike, ceilings: xr.Dataset) -> Path:
    """Write the noise ceilings of ``assembly_file`` beside it (see :func:`ceilings_file`).

    Parameters
    ----------
    ceilings : xarray.Dataset
        As :func:`chronoscore.neural_fit.scoring.noise_ceiling` returns them:
        ``ceiling`` and ``ceiling_error`` (region, time_bin), ``ceiling_neuroid``.
    """
    from chronoscore.neural_fit.netcdf_files import write_dataset_atomic

    return write_dataset_atomic(ceilings, ceilings_file(assembly_file), what="ceilings")


def read_ceilings(assembly_file: str | os.PathLike) -> xr.Dataset | None:
    """The saved ceilings of ``assembly_file``, None when none were saved.

    Raises
    ------
    FileFormatError
        If the file is there but holds no ``ceiling`` and ``ceiling_error``.
    """
    from chronoscore.neural_fit.netcdf_files import open_dataset_checked

    path = ceilings_file(assembly_file)
    if not path.is_file():
        return None
    ceilings = open_dataset_checked(path, "ceilings")
    if not {"ceiling", "ceiling_error"} <= set(ceilings.data_vars):
        raise FileFormatError(f"{path}: not a ceilings file (no ceiling and ceiling_error); write it again with "
                              "chronoscore data ceilings.")
    return ceilings
