"""What a model is scored on: a neural data set with the stimulus set it was recorded with.

The data sets are loaded by name through the registry in
:mod:`chronoscore.analyses.datasets` (``load_benchmark("simulated")``, ...).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import xarray as xr

from chronoscore.errors import DataFormatError
from chronoscore.neural_fit.settings import FitSettings
from chronoscore.stimuli.stimulus_set import StimulusSet

__all__ = ["Benchmark"]


@dataclass(frozen=True)
class Benchmark:
    """A neural assembly (raw trials or trial-averaged), or an RDM, and its stimuli.

    Attributes
    ----------
    name : str
    assembly : xarray.DataArray, (presentation, neuroid, time_bin), or None
        None for a data set that holds only an RDM.
    stimulus_set : StimulusSet
    settings : FitSettings
        The metric's defaults for this data (Brain-Score's pls metric, stratified
        by ``object_name``; the simulated set, with few images per object,
        stratifies by ``category_name``).
    rdm : (N, N) float64 array or None
        A representational dissimilarity matrix over the stimulus set's N
        stimuli, in its order, for data sets that hold one.
    """

    name: str
    assembly: xr.DataArray | None
    stimulus_set: StimulusSet
    settings: FitSettings = field(default_factory=FitSettings)
    rdm: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.assembly is None and self.rdm is None:
            raise DataFormatError(f"benchmark {self.name!r} holds neither an assembly nor an RDM; give one.")
