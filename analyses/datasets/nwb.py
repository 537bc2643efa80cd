"""``nwb``: NWB recordings (e.g. from DANDI) in a local folder, binned with the images they show.

Every ``*.nwb`` file of the folder is one session; the spikes of their units are
binned into 10 ms bins from 0 to 300 ms after each presentation's onset, and the
stimuli are the images of the files' ``IndexSeries`` (their ``Images``
container). For other bins, units, stimuli or presentation tables, convert the
files with ``chronoscore data nwb`` and score the folder it writes
(:mod:`chronoscore.analyses.datasets.folder`).
"""

from __future__ import annotations

from chronoscore.analyses.benchmark_data import Benchmark
from chronoscore.analyses.datasets._registry import DataRequest, dataset
from chronoscore.analyses.nwb_benchmark import nwb_recordings, nwb_stimulus_set
from chronoscore.errors import FileFormatError

__all__ = ["nwb_folder"]


@dataset("nwb", regions=(), contents="the files' images x units x 30 time bins (0-300 ms)",
         description="NWB recordings whose presentations index the images they show, binned in 10 ms",
         needs="--data-folder DIR holding *.nwb files (one per session)")
def nwb_folder(request: DataRequest) -> Benchmark:
    """The folder's NWB files as one raw-trial assembly with the images they show.

    Raises
    ------
    FileFormatError
        If the folder holds no ``*.nwb`` file.
    """
    folder = request.required_folder("*.nwb files")
    files = sorted(folder.glob("*.nwb"))
    if not files:
        raise FileFormatError(f"{folder}: the folder holds no *.nwb file; give the folder of the sessions' files.")
    assembly, shown = nwb_recordings(files, nwb_stimulus_set(files))
    return Benchmark(folder.name, assembly, shown)
