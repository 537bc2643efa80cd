"""``chronoscore sweep``'s errors a user can make: one line each, exit code 2, before anything runs."""

import pytest

from chronoscore.cli import ERROR_PREFIX, main


@pytest.mark.parametrize(("argv", "message"), [
    (["sweep", "status"], "chronoscore sweep status DIR"),
    (["sweep", "grid.yaml"], "--out DIR"),
    (["sweep", "status", "{tmp}"], "not a sweep folder"),
    (["sweep", "{tmp}/missing.yaml", "--out", "{tmp}/out"], "cannot read the sweep file"),
    (["sweep", "{tmp}/bad.yaml", "--out", "{tmp}/out"], "refuses its arguments"),
])
def test_sweep_errors_are_one_line_naming_the_fix(tmp_path, capsys, argv, message):
    (tmp_path / "bad.yaml").write_text("models: [-ff_shallow]\nbenchmarks: [simulated]\n")  # read as an option
    assert main([word.format(tmp=tmp_path) for word in argv]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert error[-1].startswith(ERROR_PREFIX) and message in error[-1]
