"""``cowley2023_v4``: macaque V4 spike counts to 640 natural images (Cowley et al. 2023, session 210325).

The files live outside the repository, in a local folder given with
``--data-folder``: ``images_210325.zip`` (the images, ``image0001.jpg`` ... in
the responses' order) and ``responses_raw_210325.npy`` (50 neurons × 640 images
× 10 repeat slots, NaN-padded). The images become an in-memory stimulus set; the
repeats a raw-trial assembly (one 100 ms bin), so ceilings come from them.
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
from PIL import Image, UnidentifiedImageError

from chronoscore.analyses.benchmark_data import Benchmark
from chronoscore.analyses.datasets._registry import DataRequest, dataset
from chronoscore.errors import DataFormatError, FileFormatError
from chronoscore.neural_fit.assembly import make_assembly
from chronoscore.neural_fit.settings import FitSettings
from chronoscore.stimuli.stimulus_set import StimulusSet

__all__ = ["COWLEY_SESSION", "COWLEY_SETTINGS", "read_zip_images", "cowley_v4_assembly",
           "cowley_v4_stimulus_set", "cowley_v4_benchmark", "cowley2023_v4"]

COWLEY_SESSION = "210325"
COWLEY_SETTINGS = FitSettings(stratify=None)
"""Brain-Score's pls metric without stratification: the Cowley images carry no object labels."""

_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
_FILES = f"images_{COWLEY_SESSION}.zip and responses_raw_{COWLEY_SESSION}.npy"


@dataset("cowley2023_v4", regions=("V4",),
         description=f"macaque V4 spike counts to natural images (Cowley et al. 2023, session {COWLEY_SESSION})",
         contents="640 images x 50 neuroids x 1 time bin (0-100 ms), 6-10 repetitions",
         needs=f"--data-folder DIR holding {_FILES}")
def cowley2023_v4(request: DataRequest) -> Benchmark:
    """The whole session from the request's folder (see :func:`cowley_v4_benchmark`)."""
    return cowley_v4_benchmark(request.required_folder(_FILES))


def read_zip_images(zip_file: str | os.PathLike) -> tuple[list[str], np.ndarray]:
    """The images of a zip archive, sorted by file name.

    Returns
    -------
    names : list of str
        File names without folder or extension.
    pixels : (N, H, W, 3) uint8 array
        All images must share one size.

    Raises
    ------
    FileFormatError
        If the archive is missing or unreadable, holds no images, or an image is corrupt.
    DataFormatError
        If the images differ in size.
    """
    path = Path(zip_file)
    try:
        with zipfile.ZipFile(path) as archive:
            members = sorted((name for name in archive.namelist()
                              if Path(name).suffix.lower() in _IMAGE_SUFFIXES and not Path(name).name.startswith(".")),
                             key=lambda name: Path(name).name)
            images = [_decode(archive.read(name), f"{path}:{name}") for name in members]
    except (OSError, zipfile.BadZipFile) as error:
        raise FileFormatError(f"{path}: cannot read the image archive ({error}); check the file.") from error
    if not images:
        raise FileFormatError(f"{path}: the archive holds no images ({', '.join(_IMAGE_SUFFIXES)}).")
    sizes = sorted({image.shape for image in images})
    if len(sizes) > 1:
        raise DataFormatError(f"{path}: the images differ in size ({sizes[:3]}); resize them to one size.")
    return [Path(name).stem for name in members], np.stack(images)


def cowley_v4_stimulus_set(folder: str | os.PathLike, *, n_images: int | None = None,
                           degrees: float = 8.0) -> StimulusSet:
    """The Cowley V4 images (``image0001`` ...) as an in-memory stimulus set.

    Parameters
    ----------
    folder : path-like
        The ``cowley_v4`` folder.
    n_images : int, optional
        Keep the first ``n_images`` (all 640 by default).
    degrees : float
        Visual angle the images span; the default makes them fill the model's input.
    """
    names, pixels = read_zip_images(Path(folder) / f"images_{COWLEY_SESSION}.zip")
    keep = slice(None) if n_images is None else slice(0, n_images)
    table = pd.DataFrame({"stimulus_id": names[keep]})
    return StimulusSet(table, identifier=f"cowley_v4_{COWLEY_SESSION}", degrees=degrees,
                       pixels=np.ascontiguousarray(pixels[keep]))


def cowley_v4_assembly(folder: str | os.PathLike, *, n_images: int | None = None,
                       window_ms: Sequence[float] = (0.0, 100.0)) -> xr.DataArray:
    """Raw V4 spike counts as a raw-trial assembly (presentation, neuroid, time_bin=1).

    ``responses_raw_210325.npy`` holds (50 neurons, 640 images, 10 repeat slots),
    NaN where an image had fewer repeats; each slot becomes one repetition and
    the NaN stays (the fit averages with ``nanmean``, the ceiling splits the
    valid repeats).

    Parameters
    ----------
    folder : path-like
        The ``cowley_v4`` folder.
    n_images : int, optional
        Keep the first ``n_images``.
    window_ms : (start, end)
        The counting window, recorded as the single time bin.
    """
    path = Path(folder) / f"responses_raw_{COWLEY_SESSION}.npy"
    try:
        counts = np.load(path)
    except (OSError, ValueError) as error:
        raise FileFormatError(f"{path}: cannot read the responses ({error}); check the file.") from error
    if counts.ndim != 3:
        raise DataFormatError(f"{path}: expected (neurons, images, repeats) counts, got shape {counts.shape}.")
    counts = counts[:, :n_images]
    n_neurons, n_kept, n_slots = counts.shape
    trials = counts.transpose(2, 1, 0).reshape(n_slots * n_kept, n_neurons)  # slot-major presentations
    return make_assembly(
        trials[:, :, None],
        stimulus_id=np.tile([f"image{index + 1:04d}" for index in range(n_kept)], n_slots),
        repetition=np.repeat(np.arange(n_slots), n_kept),
        neuroid_id=[f"neuron{index:02d}" for index in range(n_neurons)],
        region="V4", animal=f"monkey_{COWLEY_SESSION}",
        time_bin_start=[window_ms[0]], time_bin_end=[window_ms[1]],
        allow_nan=True,
    )


def cowley_v4_benchmark(folder: str | os.PathLike, *, n_images: int | None = None,
                        settings: FitSettings = COWLEY_SETTINGS) -> Benchmark:
    """The Cowley V4 session as a benchmark (first ``n_images`` images, all by default).

    Raises
    ------
    DataFormatError
        If the image names and the response order disagree.
    """
    stimulus_set = cowley_v4_stimulus_set(folder, n_images=n_images)
    assembly = cowley_v4_assembly(folder, n_images=n_images)
    recorded = list(dict.fromkeys(assembly["stimulus_id"].values.astype(str)))
    if recorded != list(stimulus_set.stimulus_ids):
        raise DataFormatError(f"{folder}: the zip's images ({len(stimulus_set)}) do not match the responses' "
                              f"image axis ({len(recorded)}, image0001 ...); check the session's files.")
    return Benchmark(f"cowley_v4_{COWLEY_SESSION}", assembly, stimulus_set, settings)


def _decode(data: bytes, name: str) -> np.ndarray:
    try:
        with Image.open(io.BytesIO(data)) as image:
            return np.asarray(image.convert("RGB"), dtype=np.uint8)
    except (UnidentifiedImageError, OSError) as error:
        raise FileFormatError(f"{name}: not a readable image ({error}); replace the file.") from error
