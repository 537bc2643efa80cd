"""brainio netCDF files pass between the two environments ``make test`` builds.

chronoscore runs on a current stack (``.venv``: numpy 2, current xarray and
pandas) and Brain-Score on its pinned one (``.venv-brainscore``: numpy < 2,
xarray < 2022.6). These tests run in the Brain-Score environment and call the
current stack's Python in a subprocess: a file written there is read here by
Brain-Score's loader, and a file Brain-Score writes here is read there by
chronoscore. The assemblies compared on both sides come from the same builder
(``raw_assembly`` of ``test_netcdf_io``).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from chronoscore.neural_fit.assembly import DIMS
from chronoscore.neural_fit.brainscore_convert import to_brainscore
from tests.neural_fit.test_netcdf_io import one_presentation_coordinate_assembly, raw_assembly

pytestmark = pytest.mark.brainscore

REPOSITORY = Path(__file__).resolve().parents[2]
CURRENT_STACK_PYTHON = REPOSITORY / ".venv" / "bin" / "python"


def on_current_stack(code: str, *args: str) -> dict:
    """Run ``code`` (with ``args`` as ``sys.argv[1:]``) by ``.venv``'s Python in the repository.

    Returns the dict ``code`` leaves in ``result`` (empty if none), after checking
    that the interpreter ran numpy 2 without Brain-Score loaded.
    """
    if not CURRENT_STACK_PYTHON.exists():
        pytest.skip(f"the current-stack environment is absent ({CURRENT_STACK_PYTHON.relative_to(REPOSITORY)}); "
                    "`make install` creates it (`make test` does both)")
    done = subprocess.run([str(CURRENT_STACK_PYTHON), "-c", code + REPORT, *args], cwd=REPOSITORY,
                          capture_output=True, text=True, check=False, env=dict(os.environ, BS_INSTALL_DEPENDENCIES="no"))
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert int(report["numpy"].split(".")[0]) >= 2, f"{CURRENT_STACK_PYTHON} is not the current stack: {report}"
    assert not report["modules"], f"the current stack must run without Brain-Score; it loaded {report['modules']}"
    return report["result"]


REPORT = ("\nimport json as _json, sys as _sys, numpy as _numpy\n"
          "print(_json.dumps({'numpy': _numpy.__version__, 'result': globals().get('result', {}),"
          " 'modules': sorted(name for name in _sys.modules if name.split('.')[0] in ('brainscore_vision',"
          " 'brainscore_core', 'brainio'))}))\n")
"""Appended to the code run on the current stack: prints its ``result``, numpy's version, Brain-Score's modules."""


def test_this_environment_is_brainscores_pinned_stack():
    import brainscore_core  # noqa: F401

    assert int(np.__version__.split(".")[0]) < 2
    assert xr.__version__ < "2022.6"


def test_file_written_on_the_current_stack_loads_in_brainscore(tmp_path):
    from brainscore_core.supported_data_standards.brainio.assemblies import NeuronRecordingAssembly

    path = tmp_path / "current.nc"
    on_current_stack("from chronoscore.neural_fit.netcdf_io import write_assembly\n"
                     "from tests.neural_fit.test_netcdf_io import one_presentation_coordinate_assembly, raw_assembly\n"
                     f"write_assembly(raw_assembly().assign_attrs(stimulus_set_identifier='hvm-public'), {str(path)!r})\n")
    loaded = NeuronRecordingAssembly.from_files(path).load()
    expected = to_brainscore(raw_assembly().assign_attrs(stimulus_set_identifier="hvm-public"))
    xr.testing.assert_equal(loaded, expected)
    with xr.open_dataset(path) as stored:  # from_files sets its own stimulus_set attrs; the file keeps ours
        assert stored.attrs["stimulus_set_identifier"] == "hvm-public"
    for dim in DIMS:
        assert loaded.indexes[dim].equals(expected.indexes[dim])
        assert loaded.indexes[dim].names == expected.indexes[dim].names


@pytest.mark.parametrize("dims", [DIMS, ("neuroid", "presentation", "time_bin")])  # MajajHong's order too
def test_file_written_by_brainscore_loads_on_the_current_stack(tmp_path, dims):
    from brainscore_core.supported_data_standards.brainio.packaging import write_netcdf

    theirs = to_brainscore(raw_assembly()).transpose(*dims)
    theirs.attrs.update(stimulus_set_identifier="hvm-public", stimulus_set=pd.DataFrame({"a": [1]}))
    path = tmp_path / "brainscore.nc"
    write_netcdf(theirs, path)
    on_current_stack("import xarray as xr\n"
                     "from chronoscore.neural_fit.netcdf_io import read_assembly\n"
                     "from tests.neural_fit.test_netcdf_io import one_presentation_coordinate_assembly, raw_assembly\n"
                     f"loaded = read_assembly({str(path)!r})\n"
                     "xr.testing.assert_identical(loaded, raw_assembly().assign_attrs(stimulus_set_identifier='hvm-public'))\n")


@pytest.mark.parametrize("seed", [0, 1])
def test_a_brainscore_file_with_one_presentation_coordinate_loads_on_the_current_stack(tmp_path, seed):
    """brainio writes a dim with a single coordinate as ``presentation_``; the current stack reads it as stimulus_id."""
    from brainscore_core.supported_data_standards.brainio.packaging import write_netcdf

    theirs, ids = one_presentation_coordinate_assembly(seed)
    path = tmp_path / "one.nc"
    write_netcdf(theirs, path)
    np.save(tmp_path / "values.npy", theirs.values)
    on_current_stack("import numpy as np\n"
                     "from chronoscore.neural_fit.netcdf_io import read_assembly\n"
                     f"ours = read_assembly({str(path)!r})\n"
                     f"assert ours['stimulus_id'].values.tolist() == {ids!r}, ours['stimulus_id'].values\n"
                     f"np.testing.assert_array_equal(ours.values, np.load({str(tmp_path / 'values.npy')!r}))\n")
