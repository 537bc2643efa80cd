"""The data set registry: loaders registered by name, looked up by :func:`load_dataset`.

A data set module registers its loader with :func:`dataset`; the loader takes a
:class:`DataRequest` and returns a :class:`~chronoscore.analyses.benchmark_data.Benchmark`.
The package's modules are imported (and so registered) the first time the
registry is read, so a new data set is one new module in
``chronoscore.analyses.datasets``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from chronoscore.analyses.benchmark_data import Benchmark
from chronoscore.errors import ConfigError, FileFormatError
from chronoscore.neural_fit.brainscore_convert import OverlappingBins
from chronoscore.plugins import import_submodules

__all__ = ["DataRequest", "DataSet", "Holds", "dataset", "list_datasets", "get_dataset", "load_dataset",
           "load_benchmark"]

Holds = Literal["responses", "rdm"]
"""What a data set gives: responses per presentation (an assembly, scored per time bin) or an RDM."""

Loader = Callable[["DataRequest"], Benchmark]


@dataclass(frozen=True)
class DataRequest:
    """What a loader is asked for.

    Attributes
    ----------
    name : str
        The name the data set was asked for by (its own or one of its aliases).
    folder : pathlib.Path or None
        The data set's files (``--data-folder``), when it reads a local folder.
    overlapping_bins : {"refuse", "align_10ms"}
        What to do with overlapping (sliding-window) time bins, for loaders that
        read an assembly file.
    """

    name: str
    folder: Path | None = None
    overlapping_bins: OverlappingBins = "refuse"

    def required_folder(self, contents: str) -> Path:
        """The folder, checked to exist.

        Raises
        ------
        ConfigError
            If no folder was given or it does not exist (the message names ``contents``).
        """
        if self.folder is None:
            raise ConfigError(f"the data set {self.name!r} reads a local folder; give it with --data-folder DIR "
                              f"(holding {contents}).")
        if not self.folder.is_dir():
            raise FileFormatError(f"{self.folder}: no such folder (the data set {self.name!r} reads {contents} "
                                  "from it); check the path given to --data-folder.")
        return self.folder


@dataclass(frozen=True)
class DataSet:
    """A registered data set.

    Attributes
    ----------
    name : str
    description : str
        One line: what was recorded, from what, by whom.
    regions : tuple of str
        The brain regions it holds.
    contents : str
        Its size as known without loading it: stimuli, neuroids, time bins.
    needs : str
        The arguments its loader needs ("" for none).
    holds : {"responses", "rdm"}
    aliases : tuple of str
        Other names it answers to.
    load : callable
        ``load(DataRequest) -> Benchmark``.
    """

    name: str
    description: str
    regions: tuple[str, ...]
    contents: str
    needs: str
    holds: Holds
    aliases: tuple[str, ...]
    load: Loader = field(repr=False)


_DATASETS: dict[str, DataSet] = {}


def dataset(name: str, *, description: str, regions: tuple[str, ...], contents: str, needs: str = "",
            holds: Holds = "responses", aliases: tuple[str, ...] = ()) -> Callable[[Loader], Loader]:
    """Register the decorated loader as the data set ``name`` (see :class:`DataSet` for the arguments).

    Raises
    ------
    ConfigError
        If the name or an alias is taken already.
    """
    def register(load: Loader) -> Loader:
        taken = [key for key in (name, *aliases) if key in _DATASETS]
        if taken:
            raise ConfigError(f"data set name(s) {taken} are registered already; choose another name.")
        entry = DataSet(name, description, tuple(regions), contents, needs, holds, tuple(aliases), load)
        for key in (name, *aliases):
            _DATASETS[key] = entry
        return load

    return register


def list_datasets() -> list[DataSet]:
    """Every registered data set once, sorted by name."""
    _load_modules()
    return sorted({entry.name: entry for entry in _DATASETS.values()}.values(), key=lambda entry: entry.name)


def get_dataset(name: str) -> DataSet:
    """The data set registered as ``name`` (or with ``name`` as an alias).

    Raises
    ------
    ConfigError
        For an unknown name, listing the known ones.
    """
    _load_modules()
    if name not in _DATASETS:
        known = ", ".join(entry.name for entry in list_datasets())
        raise ConfigError(f"no data set is named {name!r}; the known ones are {known} (chronoscore data list "
                          "describes them), or give a folder holding assembly.nc and a stimulus set.")
    return _DATASETS[name]


def load_dataset(name: str, *, folder: str | os.PathLike | None = None,
                 overlapping_bins: OverlappingBins = "refuse") -> Benchmark:
    """Load the registered data set ``name``.

    Parameters
    ----------
    name : str
        A registered name or alias (``chronoscore data list``).
    folder : path-like, optional
        The data set's local files, for those that read a folder.
    overlapping_bins : {"refuse", "align_10ms"}
        For assembly files with overlapping time bins: refuse them or re-bin
        them into contiguous 10 ms bins.

    Returns
    -------
    Benchmark
        Responses (``assembly``) or, for data sets holding an RDM, ``rdm``.

    Raises
    ------
    ConfigError
        For an unknown name, or a folder given to a data set that reads none.
    """
    entry = get_dataset(name)
    if folder is not None and not entry.needs:
        raise ConfigError(f"the data set {entry.name!r} reads no folder, but {folder} was given; leave out "
                          "--data-folder, or name the data set the folder holds (chronoscore data list).")
    return entry.load(DataRequest(name, None if folder is None else Path(folder), overlapping_bins))


def load_benchmark(name_or_path: str | os.PathLike, *, folder: str | os.PathLike | None = None,
                   overlapping_bins: OverlappingBins = "refuse") -> Benchmark:
    """Load a data set to score a model on: by name, or a folder of any assembly and stimulus set.

    A data set holding an RDM instead of responses (``kiani2007_it``) loads with
    ``assembly`` None; :func:`chronoscore.analyses.score.score_model` scores it
    with the ``rsa`` metric per model step and refuses metrics that need responses.

    Parameters
    ----------
    name_or_path : str or path-like
        A registered name (``simulated``, ``cowley2023_v4``, ``MajajHong2015.public``, ...),
        or a folder holding ``assembly.nc`` and a stimulus set (the ``folder`` data set).
    folder, overlapping_bins
        As :func:`load_dataset`.

    Raises
    ------
    ConfigError
        For an unknown name (listing the known ones) or a missing ``folder``.
    """
    name = str(name_or_path)
    _load_modules()
    if name not in _DATASETS and (Path(name).exists() or os.sep in name):
        if folder is not None:
            raise ConfigError(f"the benchmark {name} is a folder and --data-folder {folder} another; give the "
                              "folder once (--benchmark DIR, or --benchmark folder --data-folder DIR).")
        name, folder = "folder", name
    return load_dataset(name, folder=folder, overlapping_bins=overlapping_bins)


def _load_modules() -> None:
    """Import every data set module of this package, which registers its data sets."""
    import_submodules(__name__.rpartition(".")[0])
