"""Stimulus sets on disk: Brain-Score's csv + zip format, Brain-Score's own class, plain image folders.

Brain-Score (brainio) stores a stimulus set ``<identifier>`` as two files named
``stimulus_<identifier with '.' as '_'>``:

* ``.csv``: one row per stimulus with ``stimulus_id`` (legacy sets: ``image_id``),
  ``filename`` (the image's name inside the zip) and metadata columns;
* ``.zip``: the image files, flat, each named ``<stimulus_id><extension>``.

brainio unpacks the zip into a folder beside it named after it without ``.zip``
and requires the csv's files and the unpacked files to be the same. Its download
cache (``$BRAINIO_HOME``, default ``~/.brainio``) holds each file in a folder
named after the file's SHA-1.

chronoscore writes those two files plus ``stimulus_<...>.json`` with the set's
identifier and visual angle (``degrees``). The angle is kept out of the csv on
purpose: Brain-Score reads a ``degrees`` column as the stimuli's angle and then
refuses the angle its benchmarks pass to ``place_on_screen``.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import uuid
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, NamedTuple

import pandas as pd

from chronoscore.errors import ConfigError, DataFormatError, FileFormatError
from chronoscore.stimuli.images import IMAGE_SUFFIXES, check_images, encode_png
from chronoscore.optional import import_brainscore
from chronoscore.stimuli.stimulus_set import StimulusSet

if TYPE_CHECKING:
    from brainscore_core.supported_data_standards.brainio.stimuli import StimulusSet as BrainScoreStimulusSet

__all__ = [
    "StimulusFiles",
    "brainscore_filenames",
    "brainio_home",
    "write_stimulus_set",
    "read_stimulus_set",
    "load_brainio_stimulus_set",
    "to_brainscore_stimulus_set",
    "from_brainscore_stimulus_set",
    "read_image_folder",
]

_SAFE_FILE_NAME = re.compile(r"[^/\\\x00.][^/\\\x00]*")
_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_EXAMPLES = 5


class StimulusFiles(NamedTuple):
    """The files of one stimulus set in Brain-Score's format."""

    csv: Path
    zip: Path
    metadata: Path


def brainscore_filenames(identifier: str) -> tuple[str, str, str]:
    """Names of the csv, zip and chronoscore's json of set ``identifier``, e.g. ``stimulus_hvm-public.csv``."""
    stem = f"stimulus_{identifier.replace('.', '_')}"
    return f"{stem}.csv", f"{stem}.zip", f"{stem}.json"


def brainio_home() -> Path:
    """brainio's download folder: ``$BRAINIO_HOME``, else ``~/.brainio``."""
    return Path(os.path.expanduser(os.environ.get("BRAINIO_HOME", "~/.brainio")))


def write_stimulus_set(stimulus_set: StimulusSet, folder: str | os.PathLike) -> StimulusFiles:
    """Write a stimulus set in Brain-Score's format into ``folder`` (created if missing).

    Image files are copied byte for byte; in-memory images are written as PNG.
    In the zip, image ``i`` is named ``<stimulus_id><extension>``; the csv's
    ``filename`` column records that name (replacing any ``filename`` column of
    the table). Each file is written under a temporary name and then renamed.

    Returns
    -------
    StimulusFiles
        Paths of the csv, the zip and the json with identifier and degrees.

    Raises
    ------
    DataFormatError
        If the identifier or a stimulus id cannot be a file name (empty, starts
        with ``.``, holds ``/`` or ``\\``).
    FileFormatError
        If image files are missing or unreadable (all are listed), or ``folder``
        cannot be created or written.
    """
    _check_file_names([stimulus_set.identifier], "identifier")
    names = _zip_names(stimulus_set)
    check_images(stimulus_set, level="verify")
    folder = _writable_folder(folder)
    csv, archive, metadata = (folder / name for name in brainscore_filenames(stimulus_set.identifier))
    table = _csv_table(stimulus_set, names)
    _write_atomic(csv, lambda path: table.to_csv(path, index=False))
    _write_atomic(archive, lambda path: _write_zip(stimulus_set, names, path))
    description = {"identifier": stimulus_set.identifier, "degrees": float(stimulus_set.degrees)}
    _write_atomic(metadata, lambda path: path.write_text(json.dumps(description, indent=2) + "\n"))
    return StimulusFiles(csv, archive, metadata)


def read_stimulus_set(csv: str | os.PathLike, images: str | os.PathLike | None = None, *,
                      identifier: str | None = None, degrees: float | None = None) -> StimulusSet:
    """Read a stimulus set from Brain-Score's csv and its zip or image folder.

    Parameters
    ----------
    csv : path-like
        The stimulus table.
    images : path-like, optional
        The zip of images or a folder holding them. By default the zip beside the
        csv with the same name, else the folder of that name (an unpacked zip).
        A zip is unpacked, as brainio does, into a folder beside it named after
        it without ``.zip``; an existing folder there is used when it holds the
        zip's files and is not older than the zip, and unpacked again otherwise.
    identifier, degrees : optional
        The set's name and visual angle; by default from the json chronoscore
        writes beside the csv, else the csv's name and 8 degrees.

    Returns
    -------
    StimulusSet
        File-backed, ``root`` the image folder, rows in csv order.

    Raises
    ------
    FileFormatError
        If a file is missing or unreadable, the csv lacks ``stimulus_id`` or
        ``filename`` or repeats one, or the csv's files and the images differ.
    """
    csv = Path(csv)
    if not csv.is_file():
        raise FileFormatError(f"{csv}: no such file; give the path of a stimulus table (stimulus_<name>.csv).")
    images = _images_beside(csv) if images is None else Path(images)
    table = _read_table(csv)
    if images.is_file():
        _check_listing(table, _zip_listing(images), csv, images)
        root = _unpacked(images)
    elif images.is_dir():
        _check_listing(table, _folder_listing(images), csv, images)
        root = images
    else:
        raise FileFormatError(f"{images}: no such zip file or folder; give the zip or folder holding the images.")
    stored = _read_metadata(csv.with_suffix(".json"))
    identifier = identifier or stored.get("identifier") or csv.stem.removeprefix("stimulus_")
    degrees = stored.get("degrees", 8.0) if degrees is None else degrees
    return StimulusSet(table, identifier, degrees, root=root)


def load_brainio_stimulus_set(identifier: str, *, home: str | os.PathLike | None = None,
                              degrees: float | None = None) -> StimulusSet:
    """Load a stimulus set from files laid out as brainio leaves them, without network.

    Looks in ``home`` (default :func:`brainio_home`) and its subfolders (brainio's
    SHA-1 folders, or the ``stimulus_<name>`` folder of brainio's local
    packaging) for the csv and for the zip or its unpacked folder. ``degrees``
    defaults as in :func:`read_stimulus_set` (8 for Brain-Score's own sets).

    Raises
    ------
    FileFormatError
        If no csv or images, or more than one of either, are found (naming where
        it looked), or as :func:`read_stimulus_set`.
    """
    home = brainio_home() if home is None else Path(home)
    csv_name, zip_name, _ = brainscore_filenames(identifier)
    csv = _one_match(_found(home, csv_name, Path.is_file), csv_name, home)
    archives = _found(home, zip_name, Path.is_file) or _found(home, Path(zip_name).stem, Path.is_dir)
    images = _one_match(archives, f"{zip_name} (or its unpacked folder)", home)
    return read_stimulus_set(csv, images, identifier=identifier, degrees=degrees)


def to_brainscore_stimulus_set(stimulus_set: StimulusSet,
                               image_folder: str | os.PathLike | None = None) -> BrainScoreStimulusSet:
    """Convert to Brain-Score's ``StimulusSet`` (a pandas DataFrame with ``stimulus_paths``).

    Parameters
    ----------
    stimulus_set : StimulusSet
    image_folder : path-like, optional
        Needed for a set held in memory: its images are written there as
        ``<stimulus_id>.png``, since Brain-Score's class refers to files.

    Returns
    -------
    brainscore_core StimulusSet
        The table with ``filename`` (relative to the image folder),
        ``stimulus_paths`` (stimulus id -> absolute path) and ``identifier``, as
        Brain-Score's loader returns it. The angle is not carried: Brain-Score's
        benchmarks pass it to ``place_on_screen`` themselves. Brain-Score's
        packaging functions want no ``filename`` column; drop it before them.
    """
    brainio_stimuli = import_brainscore("brainscore_core.supported_data_standards.brainio.stimuli",
                                        "to_brainscore_stimulus_set")

    if stimulus_set.pixels is None:
        table = stimulus_set.table.copy()
        paths = [stimulus_set.image_path(index).absolute() for index in range(len(stimulus_set))]
    else:
        if image_folder is None:
            raise ConfigError(
                f"stimulus set {stimulus_set.identifier!r} holds its images in memory and Brain-Score's "
                "StimulusSet refers to files; pass image_folder=... to write them there as PNG."
            )
        names = _zip_names(stimulus_set)
        folder = _writable_folder(image_folder).absolute()
        for name, image in zip(names, stimulus_set.pixels, strict=True):
            _write_atomic(folder / name, lambda path, image=image: path.write_bytes(encode_png(image)))
        table = _csv_table(stimulus_set, names)
        paths = [folder / name for name in names]
    converted = brainio_stimuli.StimulusSet(table.reset_index(drop=True))
    converted.stimulus_paths = dict(zip(stimulus_set.stimulus_ids, paths, strict=True))
    converted.identifier = stimulus_set.identifier
    return converted


def from_brainscore_stimulus_set(stimulus_set: BrainScoreStimulusSet, *, identifier: str | None = None,
                                 degrees: float | None = None) -> StimulusSet:
    """Convert Brain-Score's ``StimulusSet`` to a file-backed chronoscore one.

    ``root`` becomes the deepest folder holding all images and ``filename`` each
    image's path below it. ``identifier`` defaults to Brain-Score's; ``degrees``
    to a ``degrees`` column holding one value, else 8.

    Raises
    ------
    DataFormatError
        If ``stimulus_paths`` or ``stimulus_id``/``image_id`` is missing, a
        stimulus has no path, or a ``degrees`` column holds several angles.
    ConfigError
        If the set has no identifier and none is given.
    """
    paths_by_id = getattr(stimulus_set, "stimulus_paths", None)
    if paths_by_id is None:
        raise DataFormatError("Brain-Score stimulus set has no stimulus_paths; load it with Brain-Score's loader.")
    table = pd.DataFrame(stimulus_set).reset_index(drop=True)
    if "stimulus_id" not in table and "image_id" in table:
        table["stimulus_id"] = table["image_id"]
    if "stimulus_id" not in table:
        raise DataFormatError("Brain-Score stimulus set has neither a stimulus_id nor an image_id column.")
    ids = table["stimulus_id"].astype(str)
    paths_by_id = {str(key): Path(path).absolute() for key, path in paths_by_id.items()}
    lacking = [stimulus for stimulus in ids if stimulus not in paths_by_id]
    if lacking:
        raise DataFormatError(f"{len(lacking)} stimuli have no entry in stimulus_paths, e.g. {lacking[:_EXAMPLES]}.")
    paths = [paths_by_id[stimulus] for stimulus in ids]
    root = Path(os.path.commonpath([path.parent for path in paths]))
    table["stimulus_id"] = ids
    table["filename"] = [path.relative_to(root).as_posix() for path in paths]
    identifier = identifier or getattr(stimulus_set, "identifier", None)
    if not identifier:
        raise ConfigError("the Brain-Score stimulus set has no identifier; pass identifier=....")
    return StimulusSet(table, identifier, _angle(table) if degrees is None else degrees, root=root)


def read_image_folder(folder: str | os.PathLike, *, degrees: float = 8.0,
                      identifier: str | None = None) -> StimulusSet:
    """A stimulus set of the image files in one folder.

    Files ending in one of :data:`~chronoscore.stimuli.images.IMAGE_SUFFIXES`
    (any case), not hidden, sorted by name; each file's name without extension is
    its ``stimulus_id``. ``identifier`` defaults to the folder's name.

    Raises
    ------
    FileFormatError
        If the folder is missing, cannot be listed or holds no images.
    DataFormatError
        If two files share a stem (``a.png`` and ``a.jpg``).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileFormatError(f"{folder}: no such folder; give the folder holding the images.")
    try:
        names = sorted(path.name for path in folder.iterdir() if path.is_file() and not path.name.startswith(".")
                       and path.suffix.lower() in IMAGE_SUFFIXES)
    except OSError as error:
        raise FileFormatError(f"{folder}: cannot be listed ({error}); check its permissions.") from error
    if not names:
        raise FileFormatError(f"{folder}: holds no image files ({', '.join(IMAGE_SUFFIXES)}); check the folder.")
    stems = pd.Series([Path(name).stem for name in names])
    if stems.duplicated().any():
        shared = stems[stems.duplicated()].tolist()[:_EXAMPLES]
        raise DataFormatError(f"{folder}: several images share the names {shared}; keep one file per name.")
    table = pd.DataFrame({"stimulus_id": stems, "filename": names})
    return StimulusSet(table, identifier or folder.absolute().name, degrees, root=folder)


def _check_file_names(names: Iterable[str], what: str) -> None:
    """Raise if any of ``names`` (an identifier or stimulus ids) cannot be a flat file name."""
    bad = [name for name in names if not _SAFE_FILE_NAME.fullmatch(name)]
    if bad:
        raise DataFormatError(
            f"{len(bad)} {what}(s) cannot be file names, e.g. {bad[:_EXAMPLES]}; use names that are not empty, "
            "do not start with '.' and hold no '/' or '\\'."
        )


def _zip_names(stimulus_set: StimulusSet) -> list[str]:
    """Each stimulus's file name in the zip: its id plus its file's extension (``.png`` in memory)."""
    ids = stimulus_set.stimulus_ids.tolist()
    _check_file_names(ids, "stimulus id")
    if stimulus_set.pixels is not None:
        return [f"{stimulus}.png" for stimulus in ids]
    return [f"{stimulus}{stimulus_set.image_path(index).suffix}" for index, stimulus in enumerate(ids)]


def _csv_table(stimulus_set: StimulusSet, names: list[str]) -> pd.DataFrame:
    """The table with ``stimulus_id`` and ``filename`` first, then the metadata columns."""
    metadata = stimulus_set.table.drop(columns=["stimulus_id", "filename"], errors="ignore").reset_index(drop=True)
    files = pd.DataFrame({"stimulus_id": stimulus_set.stimulus_ids, "filename": names})
    return pd.concat([files, metadata], axis=1)


def _write_zip(stimulus_set: StimulusSet, names: list[str], path: Path) -> None:
    """Store every image in a flat zip with fixed time stamps (same set, same bytes)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        for index, name in enumerate(names):
            if stimulus_set.pixels is None:
                contents = stimulus_set.image_path(index).read_bytes()
            else:
                contents = encode_png(stimulus_set.pixels[index])
            archive.writestr(zipfile.ZipInfo(name, date_time=_FIXED_ZIP_TIME), contents)


def _writable_folder(folder: str | os.PathLike) -> Path:
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise FileFormatError(f"{folder}: cannot be created as a folder ({error}); choose another folder.") from error
    return folder


def _write_atomic(path: Path, write: Callable[[Path], object]) -> None:
    """Call ``write`` on a temporary name beside ``path``, then rename it to ``path``."""
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        write(temporary)
        os.replace(temporary, path)
    except OSError as error:
        raise FileFormatError(f"{path}: cannot be written ({error}); choose a writable folder.") from error
    finally:
        temporary.unlink(missing_ok=True)


def _images_beside(csv: Path) -> Path:
    """The zip beside ``csv`` with its name, else the folder of that name."""
    archive, folder = csv.with_suffix(".zip"), csv.with_suffix("")
    if archive.is_file():
        return archive
    if folder.is_dir():
        return folder
    raise FileFormatError(
        f"{csv}: found neither {archive.name} nor a folder {folder.name} beside it; "
        "put the images there or pass images=... (a zip or folder)."
    )


_EXACT_FLOATS = {} if int(pd.__version__.split(".")[0]) >= 3 else {"float_precision": "round_trip"}
"""``read_csv`` options that read floats back exactly: pandas 3's default parser does, pandas 2 needs round_trip."""


def _read_table(csv: Path) -> pd.DataFrame:
    """Read and check a stimulus csv: ids and file names present, text, unique."""
    try:
        table = pd.read_csv(csv, dtype={"stimulus_id": str, "image_id": str, "filename": str}, **_EXACT_FLOATS)
    except (OSError, ValueError) as error:
        raise FileFormatError(f"{csv}: cannot be read as a csv table ({error}); check the file.") from error
    if "stimulus_id" not in table and "image_id" in table:
        table["stimulus_id"] = table["image_id"]
    for column in ("stimulus_id", "filename"):
        if column not in table:
            raise FileFormatError(f"{csv}: has no {column} column; a stimulus table needs stimulus_id and filename.")
        if table[column].isna().any():
            rows = (table.index[table[column].isna()] + 2).tolist()[:_EXAMPLES]
            raise FileFormatError(f"{csv}: the {column} column is empty on lines {rows}; fill them in.")
        repeated = table.loc[table[column].duplicated(), column].tolist()
        if repeated:
            raise FileFormatError(f"{csv}: repeats {column} values, e.g. {repeated[:_EXAMPLES]}; make them unique.")
    return table


def _read_metadata(path: Path) -> dict:
    """chronoscore's json beside a csv (identifier, degrees), or ``{}`` when absent."""
    if not path.is_file():
        return {}
    try:
        stored = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise FileFormatError(f"{path}: cannot be read as JSON ({error}); delete it or write the set again.") from error
    if not isinstance(stored, dict) or not isinstance(stored.get("degrees", 8.0), (int, float)):
        raise FileFormatError(f"{path}: holds no object with a numeric degrees; delete it or write the set again.")
    return stored


def _zip_listing(archive: Path) -> dict[str, int]:
    """Image files in a zip (name -> size), leaving out folders and hidden files."""
    try:
        with zipfile.ZipFile(archive) as opened:
            entries = opened.infolist()
    except (zipfile.BadZipFile, OSError) as error:
        raise FileFormatError(f"{archive}: cannot be read as a zip ({error}); it is truncated or corrupt.") from error
    return {entry.filename: entry.file_size for entry in entries if not entry.is_dir() and _listed(entry.filename)}


def _folder_listing(folder: Path) -> dict[str, int]:
    """Image files below a folder (relative name -> size), leaving out hidden files and csv/zip/json files."""
    try:
        files = [path for path in folder.rglob("*") if path.is_file()]
        return {path.relative_to(folder).as_posix(): path.stat().st_size for path in files
                if _listed(path.relative_to(folder).as_posix())
                and path.suffix.lower() not in (".csv", ".zip", ".json")}
    except OSError as error:
        raise FileFormatError(f"{folder}: cannot be listed ({error}); check its permissions.") from error


def _listed(name: str) -> bool:
    """Whether a relative file name counts as a stimulus (not hidden, not macOS zip residue)."""
    return not any(part.startswith(".") or part == "__MACOSX" for part in PurePosixPath(name).parts)


def _check_listing(table: pd.DataFrame, present: dict[str, int], csv: Path, images: Path) -> None:
    """Raise if the csv names files the images lack, or the images hold files the csv does not name."""
    listed = set(table["filename"])
    missing = sorted(listed - set(present))
    extra = sorted(set(present) - listed)
    if missing or extra:
        problems = []
        if missing:
            problems.append(f"{len(missing)} file(s) named in the csv are not in {images.name}, e.g. "
                            f"{missing[:_EXAMPLES]}")
        if extra:
            problems.append(f"{len(extra)} file(s) in {images.name} are not named in the csv, e.g. "
                            f"{extra[:_EXAMPLES]}")
        raise FileFormatError(
            f"{csv} and {images} do not match: {'; '.join(problems)}. They come from different versions of the "
            "set; use a matching pair."
        )


def _unpacked(archive: Path) -> Path:
    """The folder ``archive`` unpacks into, unpacked (again) if missing, different or older than the zip."""
    target = archive.with_suffix("")
    if target.is_dir() and target.stat().st_mtime >= archive.stat().st_mtime \
            and _folder_listing(target) == _zip_listing(archive):
        return target
    staging = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        with zipfile.ZipFile(archive) as opened:
            opened.extractall(staging)
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    except (zipfile.BadZipFile, OSError) as error:
        raise FileFormatError(
            f"{archive}: cannot be unpacked into {target} ({error}); make the folder writable, or unzip it "
            "elsewhere and pass that folder as images=...."
        ) from error
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _found(home: Path, name: str, kind: Callable[[Path], bool]) -> list[Path]:
    """Paths named ``name`` of the given kind in ``home`` or one folder below it."""
    return sorted(path for path in [home / name, *home.glob(f"*/{glob.escape(name)}")] if kind(path))


def _one_match(paths: list[Path], name: str, home: Path) -> Path:
    if len(paths) == 1:
        return paths[0]
    if not paths:
        raise FileFormatError(
            f"{name}: not found in {home} or its subfolders; copy Brain-Score's files there or set BRAINIO_HOME."
        )
    raise FileFormatError(
        f"{name}: found {len(paths)} copies ({', '.join(map(str, paths))}); keep one, or read the one you want "
        "with read_stimulus_set(csv, images)."
    )


def _angle(table: pd.DataFrame) -> float:
    """The one angle of a Brain-Score ``degrees`` column, else Brain-Score's default 8."""
    if "degrees" not in table:
        return 8.0
    angles = pd.unique(table["degrees"])
    if len(angles) != 1:
        raise DataFormatError(
            f"the degrees column holds {len(angles)} angles ({angles[:_EXAMPLES].tolist()}); a chronoscore stimulus "
            "set has one angle. Split the set by angle or pass degrees=...."
        )
    return float(angles[0])
