"""Benchmarks a model is scored on: a neural assembly with the stimulus set it was recorded with.

``load_benchmark(name_or_path)`` knows

``simulated``
    the embedded simulated V4/IT benchmark (built once into the cache folder);
``MajajHong2015.public``, ``MajajHong2015.temporal.public``, ...
    Brain-Score's recordings, from a local folder of Brain-Score's files or from
    brainio's download cache (see :func:`chronoscore.neural_fit.load_majajhong2015`);
a folder
    holding ``assembly.nc`` (brainio netCDF) and a stimulus set in Brain-Score's
    format in ``stimuli/`` (or beside it): any user data.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import xarray as xr

from chronoscore.analyses.embedded_benchmark import EMBEDDED_NAME, load_embedded_benchmark
from chronoscore.errors import FileFormatError
from chronoscore.neural_fit.brainscore_convert import OverlappingBins
from chronoscore.neural_fit.brainscore_data import MAJAJHONG2015, load_majajhong2015
from chronoscore.neural_fit.netcdf_io import read_assembly
from chronoscore.neural_fit.settings import FitSettings
from chronoscore.stimuli.brainscore_format import read_stimulus_set
from chronoscore.stimuli.stimulus_set import StimulusSet

__all__ = ["Benchmark", "load_benchmark", "BENCHMARK_NAMES"]

BENCHMARK_NAMES = ("simulated", *MAJAJHONG2015)
SIMULATED_SETTINGS = FitSettings(stratify="category_name")
"""The simulated benchmark has 6 images per object: splits are stratified by category."""


@dataclass(frozen=True)
class Benchmark:
    """A neural assembly (raw trials or trial-averaged) and its stimuli.

    Attributes
    ----------
    name : str
    assembly : xarray.DataArray, (presentation, neuroid, time_bin)
    stimulus_set : StimulusSet
    settings : FitSettings
        The metric's defaults for this data (Brain-Score's pls metric, stratified
        by ``object_name``; the simulated set, with few images per object,
        stratifies by ``category_name``).
    """

    name: str
    assembly: xr.DataArray
    stimulus_set: StimulusSet
    settings: FitSettings = field(default_factory=FitSettings)


def load_benchmark(name_or_path: str | os.PathLike, *, folder: str | os.PathLike | None = None,
                   overlapping_bins: OverlappingBins = "refuse") -> Benchmark:
    """Load a benchmark by name (see the module docstring) or from a folder.

    Parameters
    ----------
    name_or_path : str or path-like
    folder : path-like, optional
        Where Brain-Score's files are, for the MajajHong2015 names (default:
        brainio's cache folder).
    overlapping_bins : {"refuse", "align_10ms"}
        For a folder's assembly: refuse overlapping (sliding-window) time bins,
        or re-bin them into Brain-Score's contiguous 10 ms bins (see
        :mod:`chronoscore.neural_fit.time_alignment`). MajajHong2015's temporal
        files are always re-binned, as Brain-Score does.
    """
    name = str(name_or_path)
    if name in ("simulated", EMBEDDED_NAME):
        assembly, stimulus_set = load_embedded_benchmark()
        return Benchmark("simulated", assembly, stimulus_set, SIMULATED_SETTINGS)
    if name in MAJAJHONG2015:
        assembly, table = load_majajhong2015(name, folder=folder)
        table = table.drop(columns=["filename"]).rename(columns={"path": "filename"})
        stimulus_set = StimulusSet(table, identifier=MAJAJHONG2015[name].stimulus_set, degrees=8.0)
        return Benchmark(name, assembly, stimulus_set)
    path = Path(name)
    if path.is_dir():
        return _from_folder(path, overlapping_bins)
    raise FileFormatError(f"{name!r} is neither a known benchmark ({', '.join(BENCHMARK_NAMES)}) nor a folder "
                          "holding assembly.nc and a stimulus set.")


def _from_folder(path: Path, overlapping_bins: OverlappingBins) -> Benchmark:
    assembly_file = path / "assembly.nc"
    tables = sorted((path / "stimuli").glob("stimulus_*.csv")) or sorted(path.glob("stimulus_*.csv"))
    if not assembly_file.is_file() or len(tables) != 1:
        raise FileFormatError(
            f"{path}: a benchmark folder holds assembly.nc and one stimulus_<name>.csv (with its zip) in "
            f"stimuli/ or beside it; found assembly.nc: {assembly_file.is_file()}, stimulus tables: "
            f"{[table.name for table in tables]}.")
    assembly = read_assembly(assembly_file, allow_nan=True, overlapping_bins=overlapping_bins)
    return Benchmark(path.name, assembly, read_stimulus_set(tables[0]))
