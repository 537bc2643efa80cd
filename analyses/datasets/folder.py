"""``folder``: any user data, an assembly netCDF with its stimulus set in Brain-Score's format.

The folder holds ``assembly.nc`` (brainio's netCDF, as
:func:`chronoscore.neural_fit.write_assembly` writes it) and one
``stimulus_<name>.csv`` with its zip, in ``stimuli/`` or beside the assembly
(``chronoscore data nwb`` and ``chronoscore data synth`` write such folders).
``chronoscore score --benchmark DIR`` is short for ``--benchmark folder --data-folder DIR``.
"""

from __future__ import annotations

from chronoscore.analyses.benchmark_data import Benchmark
from chronoscore.analyses.datasets._registry import DataRequest, dataset
from chronoscore.errors import FileFormatError
from chronoscore.neural_fit.netcdf_io import read_assembly
from chronoscore.stimuli.brainscore_format import read_stimulus_set

__all__ = ["ASSEMBLY_FILE", "STIMULI_FOLDER", "assembly_folder"]

ASSEMBLY_FILE = "assembly.nc"
"""The assembly's name in a data set folder."""

STIMULI_FOLDER = "stimuli"
"""The stimulus set's folder beside the assembly."""

_CONTENTS = f"{ASSEMBLY_FILE} and one stimulus_<name>.csv with its zip (in {STIMULI_FOLDER}/ or beside it)"


@dataset("folder", regions=(), contents="whatever the folder's assembly holds",
         description="any assembly netCDF (brainio format) with its stimulus set in Brain-Score's format",
         needs=f"--data-folder DIR holding {_CONTENTS} (or --benchmark DIR)")
def assembly_folder(request: DataRequest) -> Benchmark:
    """The folder's assembly and stimulus set, named after the folder.

    Raises
    ------
    FileFormatError
        If the folder lacks ``assembly.nc`` or holds no or several stimulus tables.
    """
    path = request.required_folder(_CONTENTS)
    assembly_file = path / ASSEMBLY_FILE
    tables = sorted((path / STIMULI_FOLDER).glob("stimulus_*.csv")) or sorted(path.glob("stimulus_*.csv"))
    if not assembly_file.is_file() or len(tables) != 1:
        raise FileFormatError(
            f"{path}: a benchmark folder holds {_CONTENTS}; found {ASSEMBLY_FILE}: {assembly_file.is_file()}, "
            f"stimulus tables: {[table.name for table in tables]}.")
    assembly = read_assembly(assembly_file, allow_nan=True, overlapping_bins=request.overlapping_bins)
    return Benchmark(path.name, assembly, read_stimulus_set(tables[0]))
