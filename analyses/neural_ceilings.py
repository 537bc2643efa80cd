"""The noise ceilings of a data set's raw trials, computed once and saved beside its assembly.

Figures read them from there (:func:`chronoscore.analyses.run_folder.read_ceilings`)
and never compute them. The data sets' builders (``chronoscore data synth``,
``chronoscore data nwb``) save them; ``chronoscore data ceilings FILE_OR_FOLDER``
saves them for any other assembly.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from chronoscore.analyses.datasets.folder import ASSEMBLY_FILE
from chronoscore.analyses.run_folder import write_ceilings
from chronoscore.neural_fit.netcdf_io import read_assembly
from chronoscore.neural_fit.scoring import noise_ceiling

__all__ = ["save_noise_ceilings"]


def save_noise_ceilings(assembly: str | os.PathLike) -> Path | None:
    """Compute the split-half ceilings of an assembly's raw trials and save them beside it.

    Parameters
    ----------
    assembly : path-like
        An assembly netCDF file, or a data set folder holding ``assembly.nc``.

    Returns
    -------
    pathlib.Path or None
        The ceilings file (see :func:`~chronoscore.analyses.run_folder.ceilings_file`),
        or None for trial-averaged data (fewer than two repetitions), which has none.
    """
    path = Path(assembly)
    path = path / ASSEMBLY_FILE if path.is_dir() else path
    neural = read_assembly(path, allow_nan=True)
    if "repetition" not in neural.coords or np.unique(neural["repetition"].values).size < 2:
        return None
    return write_ceilings(path, noise_ceiling(neural))
