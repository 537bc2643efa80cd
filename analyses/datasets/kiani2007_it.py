"""``kiani2007_it``: the monkey IT RDM of 92 images (Kiani et al. 2007, as in Kriegeskorte et al. 2008).

The file lives outside the repository, in a local folder given with
``--data-folder``: ``Kriegeskorte_Neuron2008_supplementalData.mat`` (the 92
images and the RDMs of monkey and human IT). The data set holds an RDM, not
responses per presentation: ``chronoscore score MODEL --benchmark kiani2007_it
--data-folder DIR --metric rsa`` compares each model area's RDM at each model
step with it (:mod:`chronoscore.analyses.rdm_scoring`).
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from chronoscore.analyses.benchmark_data import Benchmark
from chronoscore.analyses.datasets._registry import DataRequest, dataset
from chronoscore.errors import FileFormatError
from chronoscore.stimuli.stimulus_set import StimulusSet

__all__ = ["KIANI_FILE", "kiani_it_92", "kiani2007_it"]

KIANI_FILE = "Kriegeskorte_Neuron2008_supplementalData.mat"
"""The file the data set reads from its folder."""


@dataset("kiani2007_it", regions=("IT",), holds="rdm",
         description="the monkey IT RDM of 92 object images (Kiani et al. 2007; Kriegeskorte et al. 2008)",
         contents="92 images; a 92 x 92 RDM from 674 IT neurons",
         needs=f"--data-folder DIR holding {KIANI_FILE}")
def kiani2007_it(request: DataRequest) -> Benchmark:
    """The 92 images and the monkey IT RDM (no assembly) from the request's folder."""
    stimulus_set, rdm = kiani_it_92(request.required_folder(KIANI_FILE) / KIANI_FILE)
    return Benchmark("kiani2007_it", None, stimulus_set, rdm=rdm)


def kiani_it_92(mat_file: str | os.PathLike, *, degrees: float = 8.0) -> tuple[StimulusSet, np.ndarray]:
    """The 92 images and the monkey IT RDM of Kriegeskorte et al. (2008).

    Parameters
    ----------
    mat_file : path-like
        ``Kriegeskorte_Neuron2008_supplementalData.mat``.
    degrees : float
        Visual angle the images span.

    Returns
    -------
    stimulus_set : StimulusSet
        ``stimulus_id`` ``obj00`` ... ``obj91``, with the flags ``human``, ``face``,
        ``animal``, ``natural`` and the ``category`` name; pixels (92, 175, 175, 3).
    rdm : (92, 92) float64 array
        The monkey IT dissimilarities (Kiani et al. 2007, 674 neurons), symmetric, zero diagonal.
    """
    from scipy.io import loadmat
    from scipy.spatial.distance import squareform

    try:
        contents = loadmat(mat_file, squeeze_me=True, struct_as_record=False)
        stimuli, rdms = contents["stimuli_92objs"], contents["RDMs_mIT_hIT_fig1"]
    except (OSError, ValueError, KeyError) as error:
        raise FileFormatError(f"{mat_file}: not the Kriegeskorte 2008 supplemental data ({error}).") from error
    flags = ("human", "face", "animal", "natural")
    table = pd.DataFrame({"stimulus_id": [f"obj{index:02d}" for index in range(len(stimuli))],
                          "category": [str(stimulus.category) for stimulus in stimuli],
                          **{flag: [int(getattr(stimulus, flag)) for stimulus in stimuli] for flag in flags}})
    pixels = np.stack([np.asarray(stimulus.image, dtype=np.uint8) for stimulus in stimuli])
    monkey = next((entry for entry in np.atleast_1d(rdms) if str(entry.name).startswith("mIT")), None)
    if monkey is None:
        raise FileFormatError(f"{mat_file}: RDMs_mIT_hIT_fig1 holds no monkey IT RDM (a name starting 'mIT').")
    rdm = np.asarray(monkey.RDM, dtype=np.float64)
    return (StimulusSet(table, identifier="kriegeskorte2008_92objs", degrees=degrees, pixels=pixels),
            squareform(rdm) if rdm.ndim == 1 else rdm)
