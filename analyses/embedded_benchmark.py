"""The embedded benchmark: generated object images and a simulated V4/IT data set.

It lets every part of chronoscore run offline. The images are the ``objects``
generator's test split; the neural data are
:func:`chronoscore.neural_fit.synthetic.simulate_ventral_stream` raw trials. Both
are written once per machine in Brain-Score's formats (a brainio netCDF
assembly; a stimulus CSV + zip) under the cache folder, and read from there
afterwards.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path

import xarray as xr

import chronoscore
from chronoscore.analyses.datasets.folder import ASSEMBLY_FILE, STIMULI_FOLDER
from chronoscore.analyses.neural_ceilings import save_noise_ceilings
from chronoscore.analyses.run_folder import ceilings_file
from chronoscore.neural_fit.netcdf_io import read_assembly, write_assembly
from chronoscore.neural_fit.synthetic import VentralStreamParameters, simulate_ventral_stream
from chronoscore.paths import cache_dir
from chronoscore.stimuli.brainscore_format import read_stimulus_set, write_stimulus_set
from chronoscore.stimuli.generators import generate
from chronoscore.stimuli.stimulus_set import StimulusSet

__all__ = ["EMBEDDED_NAME", "build_embedded_benchmark", "load_embedded_benchmark", "embedded_benchmark_dir"]

EMBEDDED_NAME = "simulated_ventral_stream_v1"
DESCRIPTION_FILE = "benchmark.json"


def embedded_benchmark_dir() -> Path:
    """Folder of the default embedded benchmark under the cache folder."""
    return cache_dir() / "benchmarks" / EMBEDDED_NAME


def build_embedded_benchmark(folder: str | os.PathLike | None = None, *, n_images: int = 384, image_size: int = 64,
                             seed: int = 0, parameters: VentralStreamParameters = VentralStreamParameters()
                             ) -> Path:
    """Generate the stimuli, simulate the recordings and write both into ``folder``.

    Parameters
    ----------
    folder : path-like, optional
        Destination (default :func:`embedded_benchmark_dir`).
    n_images : int
        Test-split object images (8 categories × 8 objects × 3 variation levels
        are cycled through).
    image_size : int
        Pixels per side.
    seed : int
        Seed of both the images and the simulation.

    Returns
    -------
    pathlib.Path
        The folder, holding ``assembly.nc``, its ``ceilings.nc``, ``stimuli/`` and ``benchmark.json``.
    """
    folder = Path(folder) if folder is not None else embedded_benchmark_dir()
    stimulus_set = generate("objects", n=n_images, size=image_size, seed=seed, split="test")
    assembly = simulate_ventral_stream(stimulus_set.pixels, stimulus_set.table, parameters, seed=seed)
    assembly.attrs["stimulus_set_identifier"] = stimulus_set.identifier
    files = write_stimulus_set(stimulus_set, folder / STIMULI_FOLDER)
    write_assembly(assembly, folder / ASSEMBLY_FILE)
    save_noise_ceilings(folder / ASSEMBLY_FILE)
    description = {"name": EMBEDDED_NAME, "n_images": n_images, "image_size": image_size, "seed": seed,
                   "stimulus_set": stimulus_set.identifier,
                   "stimulus_csv": str(files.csv.relative_to(folder)), "stimulus_hash": stimulus_set.content_hash(),
                   "simulation": asdict(parameters), "chronoscore_version": chronoscore.__version__}
    (folder / DESCRIPTION_FILE).write_text(json.dumps(description, indent=2))
    return folder


def load_embedded_benchmark(folder: str | os.PathLike | None = None) -> tuple[xr.DataArray, StimulusSet]:
    """The embedded benchmark's raw-trial assembly and stimulus set, built first if missing.

    A folder built before the ceilings were saved with the data gets its ceilings file now.
    """
    folder = Path(folder) if folder is not None else embedded_benchmark_dir()
    if not (folder / DESCRIPTION_FILE).is_file():
        build_embedded_benchmark(folder)
    elif not ceilings_file(folder / ASSEMBLY_FILE).is_file():
        save_noise_ceilings(folder / ASSEMBLY_FILE)
    description = json.loads((folder / DESCRIPTION_FILE).read_text())
    stimulus_set = read_stimulus_set(folder / description["stimulus_csv"], identifier=description["stimulus_set"],
                                     degrees=8.0)
    return read_assembly(folder / ASSEMBLY_FILE), stimulus_set
