"""chronoscore on the current stack (``.venv``) scores as Brain-Score does on its pinned stack (``.venv-brainscore``).

The data are made here, in the Brain-Score environment, scored by Brain-Score's
``pls`` metric, and handed to the current stack as netCDF files; its Python
(a subprocess, see ``test_netcdf_across_stacks``) scores them with chronoscore
and returns per-split, per-neuroid r, the score and its error. The tolerances are
those of ``test_brainscore_parity``, where both run in one environment.
"""

import numpy as np
import pytest

from chronoscore.neural_fit.assembly import average_repetitions
from chronoscore.neural_fit.brainscore_convert import to_brainscore
from chronoscore.neural_fit.netcdf_io import write_assembly
from chronoscore.neural_fit.results_io import write_features

from .synthetic import recording
from .test_brainscore_parity import SHAPES, brainscore_features, brainscore_pls, per_neuroid
from .test_netcdf_across_stacks import on_current_stack

pytestmark = pytest.mark.brainscore

SCORE_ON_CURRENT_STACK = """\
import sys
from chronoscore.neural_fit.netcdf_io import read_assembly
from chronoscore.neural_fit.results_io import read_features
from chronoscore.neural_fit.scoring import neural_predictivity
from chronoscore.neural_fit.settings import FitSettings
ours = neural_predictivity(read_features(sys.argv[1]), read_assembly(sys.argv[2]), FitSettings(), progress=False)
result = {"r": ours["r"].values[:, :, 0].tolist(), "score": ours["score"].item(), "error": ours["error"].item()}
"""


@pytest.mark.parametrize("seed,objects,per_object,n_features,n_neuroids,reps", SHAPES)
def test_pls_score_on_the_current_stack_matches_brainscore_on_its_own(
        tmp_path, seed, objects, per_object, n_features, n_neuroids, reps):
    model, raw = recording(seed, n_objects=objects, per_object=per_object, n_features=n_features,
                           n_neuroids=n_neuroids, n_repetitions=reps)
    expected = brainscore_pls()(brainscore_features(model), to_brainscore(average_repetitions(raw)).squeeze("time_bin"))
    write_features(model, tmp_path / "features.nc")
    write_assembly(raw, tmp_path / "neural.nc")

    ours = on_current_stack(SCORE_ON_CURRENT_STACK, str(tmp_path / "features.nc"), str(tmp_path / "neural.nc"))

    np.testing.assert_allclose(np.array(ours["r"]), per_neuroid(expected, raw["neuroid_id"].values), atol=1e-4, rtol=0)
    assert abs(ours["score"] - float(expected.values)) <= 1e-5
    assert abs(ours["error"] - float(expected.attrs["error"])) <= 1e-5
