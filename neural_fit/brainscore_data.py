"""Loading Brain-Score's MajajHong2015 recordings (V4 and IT) and their "hvm" stimuli.

Brain-Score stores each data set as three files, named from brainio identifiers:
``assy_<identifier with '.' as '_'>.nc`` for the assembly and
``stimulus_<stimulus set>.csv`` / ``.zip`` for the stimulus table and images. They
are found in

* a local folder holding all three (``folder=...``), or
* brainio's download cache, ``$BRAINIO_HOME`` (default ``~/.brainio``), where each
  file sits in a folder named after its SHA-1 hash; or
* through ``brainscore_vision.load_dataset`` (``source="brainscore"``), which
  downloads what is missing, the only path here that may use the network.

A stimulus zip is unpacked, as brainio does, into a folder beside it named after
it without ``.zip``, unless that folder exists already.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Literal, NamedTuple

import pandas as pd
import xarray as xr

from chronoscore.errors import ConfigError, FileFormatError
from chronoscore.neural_fit.brainscore_convert import from_brainscore
from chronoscore.neural_fit.netcdf_io import read_assembly
from chronoscore.neural_fit.stimulus_metadata import merge_stimulus_metadata
from chronoscore.optional import import_brainscore

__all__ = [
    "MajajHong2015Name",
    "MAJAJHONG2015",
    "HVM_STIMULUS_SETS",
    "brainio_cache_dir",
    "assembly_filename",
    "stimulus_filenames",
    "load_majajhong2015",
]

MajajHong2015Name = Literal[
    "MajajHong2015.public",
    "MajajHong2015.temporal.public",
    "MajajHong2015.private",
    "MajajHong2015.temporal.private",
    "MajajHong2015",
    "MajajHong2015.temporal",
    "MajajHong2015.temporal-10ms",
]


class _Entry(NamedTuple):
    identifier: str
    sha1: str
    stimulus_set: str


MAJAJHONG2015: dict[str, _Entry] = {
    "MajajHong2015.public": _Entry(
        "dicarlo.MajajHong2015.public", "13d28ca0ce88ee550b54db3004374ae19096e9b9", "hvm-public"
    ),
    "MajajHong2015.temporal.public": _Entry(
        "dicarlo.MajajHong2015.temporal.public", "093ac35b3e8464c676d24cf38238415d4d6a9448", "hvm-public"
    ),
    "MajajHong2015.private": _Entry(
        "dicarlo.MajajHong2015.private", "7a40d16148d6f82939155f0bd976d310857fb156", "hvm-private"
    ),
    "MajajHong2015.temporal.private": _Entry(
        "dicarlo.MajajHong2015.temporal.private", "804ea9e7c08ae9ab7a7d705c9c7e68582750e2ea", "hvm-private"
    ),
    "MajajHong2015": _Entry("dicarlo.MajajHong2015", "bf8f8d01010d727e3db3f85a9bd5f95f9456b7ec", "hvm"),
    "MajajHong2015.temporal": _Entry(
        "dicarlo.MajajHong2015.temporal", "4c5cfe25ad53162c5c716d64004de269162eff38", "hvm"
    ),
    "MajajHong2015.temporal-10ms": _Entry(
        "dicarlo.MajajHong2015.temporal-10ms", "3a43db05db722b456d156f53b7215413c994e5b5", "hvm"
    ),
}
"""Brain-Score data set name -> (brainio identifier, SHA-1 of the .nc file, stimulus set)."""

HVM_STIMULUS_SETS: dict[str, tuple[str, str]] = {
    "hvm-public": ("5ca7a3da00d8e9c694a9cd725df5ba0ad6d735af", "8aa44e038d7b551efa8077467622f9d48d72e473"),
    "hvm-private": ("6ff4981722fa05feb73a2bd26bbbba8b50dc29a6", "d7b1ca1876dad87e15b0242b4c82c0203ff3cbd3"),
    "hvm": ("a56f55205904d5fb5ead4d0dc7bfad5cc4083b94", "6fd5080deccfb061699909ffcb86a26209516811"),
}
"""Stimulus set -> (SHA-1 of its .csv, SHA-1 of its .zip), as registered in Brain-Score."""


def brainio_cache_dir() -> Path:
    """brainio's download folder: ``$BRAINIO_HOME``, else ``~/.brainio``."""
    return Path(os.path.expanduser(os.environ.get("BRAINIO_HOME", "~/.brainio")))


def assembly_filename(identifier: str) -> str:
    """brainio's file name of an assembly, e.g. ``assy_dicarlo_MajajHong2015_public.nc``."""
    return f"assy_{identifier.replace('.', '_')}.nc"


def stimulus_filenames(stimulus_set: str) -> tuple[str, str]:
    """brainio's (csv, zip) file names of a stimulus set, e.g. ``stimulus_hvm-public.csv``."""
    stem = f"stimulus_{stimulus_set.replace('.', '_')}"
    return f"{stem}.csv", f"{stem}.zip"


def load_majajhong2015(
    name: MajajHong2015Name = "MajajHong2015.public",
    *,
    folder: str | os.PathLike | None = None,
    source: Literal["local", "brainscore"] = "local",
    allow_nan: bool = False,
) -> tuple[xr.DataArray, pd.DataFrame]:
    """Load a MajajHong2015 assembly and its stimulus table.

    Parameters
    ----------
    name : str
        Brain-Score's data set name, one of :data:`MAJAJHONG2015`.
    folder : path-like, optional
        With ``source="local"``, a folder holding the three files; by default,
        brainio's cache (:func:`brainio_cache_dir`).
    source : {"local", "brainscore"}
        ``"local"`` reads files only; ``"brainscore"`` calls
        ``brainscore_vision.load_dataset(name)``, which may download.
    allow_nan : bool
        Accept NaN padding in raw trials.

    Returns
    -------
    assembly : xarray.DataArray, shape (presentation, neuroid, time_bin)
        Raw trials, with the stimulus table's columns merged in as presentation
        coords where the assembly lacks them (as Brain-Score does). The temporal
        files' overlapping 20 ms windows (every 10 ms) are re-binned into
        contiguous 10 ms bins from 0 ms, as Brain-Score's temporal benchmarks
        do (:mod:`chronoscore.neural_fit.time_alignment`); bins that do not
        overlap are kept.
    stimuli : pandas.DataFrame, one row per stimulus
        The stimulus table: ``stimulus_id``, ``filename`` (inside the zip), the
        image's ``path`` on disk and the stimulus metadata.

    Raises
    ------
    ConfigError
        If ``name`` or ``source`` is unknown, or ``folder`` is given with
        ``source="brainscore"``.
    FileFormatError
        If a file is missing or unreadable, naming every file looked for.
    StimulusMismatchError
        If the assembly holds stimuli the stimulus table lacks.
    """
    if name not in MAJAJHONG2015:
        raise ConfigError(f"unknown data set {name!r}; choose one of {sorted(MAJAJHONG2015)}.")
    if source == "brainscore":
        if folder is not None:
            raise ConfigError("folder is only read with source='local'; drop it or use source='local'.")
        return _load_through_brainscore(name, allow_nan)
    if source != "local":
        raise ConfigError(f"source={source!r}; choose 'local' or 'brainscore'.")
    netcdf, csv, archive = _local_paths(name, folder)
    _require_files(name, netcdf, csv, archive)
    stimuli = _read_stimulus_table(csv, _unpacked(archive))
    assembly = read_assembly(netcdf, allow_nan=allow_nan, overlapping_bins="align_10ms")
    return merge_stimulus_metadata(assembly, stimuli, netcdf), stimuli


def _local_paths(name: str, folder: str | os.PathLike | None) -> tuple[Path, Path, Path]:
    """Where the .nc, .csv and .zip of ``name`` should be, in ``folder`` or in brainio's cache."""
    entry = MAJAJHONG2015[name]
    csv_name, zip_name = stimulus_filenames(entry.stimulus_set)
    if folder is not None:
        folder = Path(folder)
        return folder / assembly_filename(entry.identifier), folder / csv_name, folder / zip_name
    cache = brainio_cache_dir()
    csv_sha1, zip_sha1 = HVM_STIMULUS_SETS[entry.stimulus_set]
    return (
        cache / entry.sha1 / assembly_filename(entry.identifier),
        cache / csv_sha1 / csv_name,
        cache / zip_sha1 / zip_name,
    )


def _require_files(name: str, netcdf: Path, csv: Path, archive: Path) -> None:
    """Raise, listing every expected file, if one is missing (an unpacked zip may stand in for the zip)."""
    present = {
        netcdf: netcdf.is_file(),
        csv: csv.is_file(),
        archive: archive.is_file() or _unpacked_dir(archive).is_dir(),
    }
    if all(present.values()):
        return
    listing = "\n".join(f"  {'found  ' if found else 'MISSING'} {path}" for path, found in present.items())
    raise FileFormatError(
        f"{name}: files missing. Looked for:\n{listing}\n"
        "Copy Brain-Score's files there under these names, point BRAINIO_HOME (or folder=...) at the folder "
        "holding them, or load with source='brainscore' to download them."
    )


def _unpacked_dir(archive: Path) -> Path:
    return archive.with_suffix("")


def _unpacked(archive: Path) -> Path:
    """The folder ``archive`` unpacks into, unpacking it first (atomically) if needed."""
    target = _unpacked_dir(archive)
    if target.is_dir():
        return target
    staging = Path(tempfile.mkdtemp(dir=archive.parent, prefix=f".{target.name}."))
    try:
        with zipfile.ZipFile(archive) as opened:
            opened.extractall(staging)
        os.replace(staging, target)
    except (zipfile.BadZipFile, OSError) as error:
        raise FileFormatError(
            f"{archive}: cannot be unpacked ({error}); the zip is truncated or corrupt. Download it again."
        ) from error
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _read_stimulus_table(csv: Path, images: Path) -> pd.DataFrame:
    """Read brainio's stimulus csv and add each image's ``path`` under ``images``."""
    try:
        stimuli = pd.read_csv(csv)
    except (OSError, ValueError, pd.errors.ParserError) as error:
        raise FileFormatError(f"{csv}: cannot be read as a csv table ({error}); download it again.") from error
    if "stimulus_id" not in stimuli and "image_id" in stimuli:
        stimuli["stimulus_id"] = stimuli["image_id"]
    lacking = [column for column in ("stimulus_id", "filename") if column not in stimuli]
    if lacking:
        raise FileFormatError(f"{csv}: lacks the column(s) {lacking} of a brainio stimulus table; download it again.")
    stimuli["stimulus_id"] = stimuli["stimulus_id"].astype(str)
    if stimuli["stimulus_id"].duplicated().any():
        repeated = stimuli.loc[stimuli["stimulus_id"].duplicated(), "stimulus_id"].tolist()
        raise FileFormatError(f"{csv}: stimulus ids occur more than once, e.g. {repeated[:5]}; download it again.")
    stimuli["path"] = [str(images / filename) for filename in stimuli["filename"]]
    absent = [path for path in stimuli["path"] if not os.path.isfile(path)]
    if absent:
        raise FileFormatError(
            f"{len(absent)} stimulus image(s) listed in {csv} are missing, e.g. {absent[:3]}; "
            f"delete {images} so that the zip is unpacked again, or download the stimuli again."
        )
    return stimuli


def _load_through_brainscore(name: str, allow_nan: bool) -> tuple[xr.DataArray, pd.DataFrame]:
    """Load with ``brainscore_vision.load_dataset`` (may download) and convert."""
    os.environ.setdefault("BS_INSTALL_DEPENDENCIES", "no")
    brainscore_vision = import_brainscore("brainscore_vision", f"loading {name!r} through Brain-Score")

    loaded = brainscore_vision.load_dataset(name)
    stimulus_set = loaded.attrs.get("stimulus_set")
    if stimulus_set is None:
        raise FileFormatError(f"brainscore_vision.load_dataset({name!r}) returned no stimulus_set attr.")
    stimuli = pd.DataFrame(stimulus_set).reset_index(drop=True)
    stimuli["stimulus_id"] = stimuli["stimulus_id"].astype(str)
    paths = {str(key): str(path) for key, path in stimulus_set.stimulus_paths.items()}
    stimuli["path"] = stimuli["stimulus_id"].map(paths)
    loaded = loaded.copy(deep=False)
    loaded.attrs = {key: value for key, value in loaded.attrs.items() if key != "stimulus_set"}
    return from_brainscore(loaded, allow_nan=allow_nan, overlapping_bins="align_10ms"), stimuli
