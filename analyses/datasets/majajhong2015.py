"""``majajhong2015``: Brain-Score's V4/IT multi-unit recordings to the HVM images (Majaj, Hong et al. 2015).

Read from a local folder of Brain-Score's files (``--data-folder``) or from
brainio's download cache (see :func:`chronoscore.neural_fit.load_majajhong2015`).
Each of Brain-Score's assembly names (``MajajHong2015.public``,
``MajajHong2015.temporal.public``, ...) is an alias; ``majajhong2015`` itself is
the time-resolved public assembly. The temporal files are re-binned into
contiguous 10 ms bins, as Brain-Score does.
"""

from __future__ import annotations

from chronoscore.analyses.benchmark_data import Benchmark
from chronoscore.analyses.datasets._registry import DataRequest, dataset
from chronoscore.neural_fit.brainscore_data import MAJAJHONG2015, load_majajhong2015
from chronoscore.stimuli.stimulus_set import StimulusSet

__all__ = ["DEFAULT_ASSEMBLY", "majajhong2015"]

DEFAULT_ASSEMBLY = "MajajHong2015.temporal.public"
"""The assembly the name ``majajhong2015`` stands for."""


@dataset("majajhong2015", aliases=tuple(MAJAJHONG2015), regions=("V4", "IT"),
         description="Brain-Score's V4/IT multi-unit recordings to the HVM images (Majaj, Hong et al. 2015)",
         contents=f"HVM images x V4 and IT sites; by this name {DEFAULT_ASSEMBLY}, re-binned into 10 ms bins",
         needs="--data-folder DIR of Brain-Score's files (default: brainio's download cache)")
def majajhong2015(request: DataRequest) -> Benchmark:
    """One of Brain-Score's MajajHong2015 assemblies (the one ``request.name`` names) with its HVM images."""
    name = DEFAULT_ASSEMBLY if request.name == "majajhong2015" else request.name
    assembly, table = load_majajhong2015(name, folder=request.folder)
    table = table.drop(columns=["filename"]).rename(columns={"path": "filename"})
    stimulus_set = StimulusSet(table, identifier=MAJAJHONG2015[name].stimulus_set, degrees=8.0)
    return Benchmark(name, assembly, stimulus_set)
