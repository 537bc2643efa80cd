"""NWB recordings and their stimuli as a benchmark folder that ``chronoscore score --benchmark FOLDER`` reads.

:func:`convert_nwb` bins the files' spikes into a raw-trial assembly
(:func:`chronoscore.neural_fit.read_nwb_assembly`), checks that the stimulus set
holds every stimulus the files name, adds the set's metadata (``object_name``,
...) as presentation coords, and writes

* the assembly as brainio netCDF (``FOLDER/assembly.nc``),
* the stimuli shown, in Brain-Score's format, in ``FOLDER/stimuli/``, and
* the split-half noise ceilings of the raw trials (``FOLDER/ceilings.nc``).

Files whose presentations index an ``Images`` container carry their stimuli;
:func:`nwb_stimulus_set` makes a stimulus set of them.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from chronoscore.analyses.datasets.folder import STIMULI_FOLDER
from chronoscore.analyses.neural_ceilings import save_noise_ceilings
from chronoscore.errors import DataFormatError
from chronoscore.neural_fit.netcdf_io import write_assembly
from chronoscore.neural_fit.nwb_assembly import read_nwb_assembly
from chronoscore.neural_fit.nwb_images import read_nwb_images
from chronoscore.neural_fit.stimulus_metadata import merge_stimulus_metadata
from chronoscore.stimuli.brainscore_format import StimulusFiles, write_stimulus_set
from chronoscore.stimuli.stimulus_set import StimulusSet

__all__ = ["NwbBenchmark", "convert_nwb", "nwb_recordings", "nwb_stimulus_set"]

_MISSING_STIMULI = (
    "the stimulus set must hold every stimulus the recordings show. Give the set the files' stimuli (image files "
    "named <stimulus_id>.<extension>, or a stimulus csv with these stimulus_id values), or read the identities from "
    "another column (--stimulus-column) or presentation table (--presentations)."
)


@dataclass(frozen=True)
class NwbBenchmark:
    """What :func:`convert_nwb` wrote.

    Attributes
    ----------
    assembly : xarray.DataArray, shape (presentation, neuroid, time_bin)
        As written, with the stimulus set's metadata on presentation.
    assembly_file : pathlib.Path
    stimulus_files : StimulusFiles
        The stimulus set's csv, zip and json.
    """

    assembly: xr.DataArray
    assembly_file: Path
    stimulus_files: StimulusFiles


def convert_nwb(paths: str | os.PathLike | Sequence[str | os.PathLike], stimulus_set: StimulusSet,
                out: str | os.PathLike, **reading: Any) -> NwbBenchmark:
    """Convert NWB recordings and their stimulus set into a benchmark folder.

    Parameters
    ----------
    paths : path-like or sequence of path-like
        One NWB file per session.
    stimulus_set : StimulusSet
        Holding (at least) every stimulus the files show; the ones they do not
        show are left out of the written set.
    out : path-like
        The assembly file to write (``FOLDER/assembly.nc`` for a folder that
        ``chronoscore score --benchmark FOLDER`` reads); the stimuli go into
        ``stimuli/`` beside it.
    **reading
        Options of :func:`~chronoscore.neural_fit.read_nwb_assembly` (``bins``,
        ``align``, ``units_filter``, ...).

    Returns
    -------
    NwbBenchmark

    Raises
    ------
    StimulusMismatchError
        If the files show stimuli the set lacks (naming some).
    ChronoscoreError
        As :func:`~chronoscore.neural_fit.read_nwb_assembly`.
    """
    assembly, shown = nwb_recordings(paths, stimulus_set, **reading)
    out = Path(out)
    assembly_file = write_assembly(assembly, out)
    save_noise_ceilings(assembly_file)
    return NwbBenchmark(assembly, assembly_file, write_stimulus_set(shown, out.parent / STIMULI_FOLDER))


def nwb_recordings(paths: str | os.PathLike | Sequence[str | os.PathLike], stimulus_set: StimulusSet,
                   **reading: Any) -> tuple[xr.DataArray, StimulusSet]:
    """Bin NWB recordings into an assembly with the stimulus set's metadata, and the stimuli they show.

    Parameters
    ----------
    paths, stimulus_set, **reading
        As :func:`convert_nwb`.

    Returns
    -------
    assembly : xarray.DataArray, shape (presentation, neuroid, time_bin)
        Raw trials, with the stimulus set's metadata on presentation.
    shown : StimulusSet
        The rows of ``stimulus_set`` that the recordings show, in its order.

    Raises
    ------
    StimulusMismatchError
        If the files show stimuli the set lacks (naming some).
    """
    assembly = read_nwb_assembly(paths, **reading)
    table = stimulus_set.table.drop(columns=["filename"], errors="ignore").assign(
        stimulus_id=stimulus_set.stimulus_ids)
    assembly = merge_stimulus_metadata(assembly, table, f"stimulus set {stimulus_set.identifier!r}",
                                       fix=_MISSING_STIMULI)
    shown = set(assembly["stimulus_id"].values.tolist())
    rows = np.asarray([stimulus in shown for stimulus in stimulus_set.stimulus_ids])
    subset = StimulusSet(stimulus_set.table[rows].reset_index(drop=True), stimulus_set.identifier,
                         stimulus_set.degrees, root=stimulus_set.root,
                         pixels=None if stimulus_set.pixels is None else stimulus_set.pixels[rows])
    return assembly, subset


def nwb_stimulus_set(paths: str | os.PathLike | Sequence[str | os.PathLike], presentations: str | None = None,
                     degrees: float = 8.0) -> StimulusSet:
    """The images the files show (their ``Images`` container) as an in-memory stimulus set.

    Parameters
    ----------
    paths : path-like or sequence of path-like
    presentations : str, optional
        The ``IndexSeries`` of the presentations, as for
        :func:`~chronoscore.neural_fit.read_nwb_assembly`.
    degrees : float
        Visual angle the images span.

    Returns
    -------
    StimulusSet
        Named after the first file's ``Images`` container; one row per image
        (``stimulus_id`` = the image's name), pixels (N, H, W, 3) uint8.

    Raises
    ------
    DataFormatError
        If the files hold no images for their presentations, or the images differ
        in size (see :func:`~chronoscore.neural_fit.nwb_images.read_nwb_images`).
    """
    name, images = read_nwb_images(paths, presentations)
    sizes = sorted({image.shape[:2] for image in images.values()})
    if len(sizes) != 1:
        raise DataFormatError(
            f"the files' images have {len(sizes)} sizes ({sizes[:5]}); an in-memory stimulus set holds images of "
            "one size. Save them as image files and give that folder (--stimuli IMAGES_DIR)."
        )
    table = pd.DataFrame({"stimulus_id": list(images)})
    return StimulusSet(table, name, degrees, pixels=np.stack(list(images.values())))
