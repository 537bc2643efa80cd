"""Running cells: atomic folders, skipping by provenance, failures recorded and retried, parallel local jobs."""

import json

import cloudpickle
import pytest

from chronoscore.analyses.sweeps.cell_run import read_failure, run_cell
from chronoscore.analyses.sweeps.executors import local_parallelism, run_cells
from chronoscore.analyses.sweeps.grid import Cell
from chronoscore.errors import ConfigError
from tests.analyses.sweeps import runners

cloudpickle.register_pickle_by_value(runners)  # the local workers get the runners without importing tests


def runs(log):
    return len(log.read_text().splitlines()) if log.exists() else 0


def test_a_cell_is_written_whole_with_its_provenance_and_skipped_while_it_is_unchanged(tmp_path):
    log = tmp_path / "log"
    cell = Cell("a", (str(log),), labels={"model": "m"})
    assert run_cell(cell, "hash1", tmp_path, runners.writes_result)["state"] == "done"
    record = json.loads((tmp_path / "a" / "cell.json").read_text())
    assert record["provenance_hash"] == "hash1" and record["argv"] == [str(log)] and record["labels"] == {"model": "m"}
    assert json.loads((tmp_path / "a" / "result.json").read_text()) == [str(log)]
    assert run_cell(cell, "hash1", tmp_path, runners.writes_result)["state"] == "skipped" and runs(log) == 1
    assert run_cell(cell, "hash2", tmp_path, runners.writes_result)["state"] == "done" and runs(log) == 2
    assert json.loads((tmp_path / "a" / "cell.json").read_text())["provenance_hash"] == "hash2"
    assert list((tmp_path / ".sweep" / "partial").iterdir()) == []


def test_an_interrupted_cell_leaves_only_a_partial_folder_which_the_next_run_removes(tmp_path):
    def interrupted(argv, folder):
        (folder / "scores_per_bin.nc").write_text("half")
        raise SystemExit(-1)  # what submitit does on preemption; a SIGKILL stops at the same point

    log = tmp_path / "log"
    cell = Cell("a", (str(log),))
    with pytest.raises(SystemExit):
        run_cell(cell, "h", tmp_path, interrupted)
    assert not (tmp_path / "a").exists()
    [partial] = (tmp_path / ".sweep" / "partial").iterdir()
    assert (partial / "scores_per_bin.nc").is_file()
    assert run_cell(cell, "h", tmp_path, runners.writes_result)["state"] == "done"
    assert list((tmp_path / ".sweep" / "partial").iterdir()) == []
    assert sorted(path.name for path in (tmp_path / "a").iterdir()) == ["cell.json", "result.json"]


def test_a_failure_is_recorded_with_its_attempts_and_cleared_by_a_success(tmp_path):
    log = tmp_path / "log"
    cell = Cell("a", (str(log), "2"))
    for attempt in (1, 2):
        outcome = run_cell(cell, "h", tmp_path, runners.fails_first)
        assert outcome["state"] == "failed" and outcome["retry"] and "transient" in outcome["error"]
        assert read_failure(tmp_path, "a")["attempts"] == attempt
    assert not (tmp_path / "a").exists() and list((tmp_path / ".sweep" / "partial").iterdir()) == []
    assert run_cell(cell, "h", tmp_path, runners.fails_first)["state"] == "done"
    assert read_failure(tmp_path, "a") is None


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(("runner", "failures", "retries", "state", "expected_runs"), [
    (runners.fails_first, 2, 2, "done", 3),
    (runners.fails_first, 5, 2, "failed", 3),
    (runners.fails_first, 5, 0, "failed", 1),
    (runners.refuses_settings, None, 2, "failed", 1),   # a chronoscore error would come back: not retried
])
def test_local_jobs_retry_failed_cells_up_to_the_limit(in_tmp, runner, failures, retries, state, expected_runs):
    log = in_tmp / "log"
    cell = Cell("a", (str(log),) + ((str(failures),) if failures is not None else ()))
    [outcome] = run_cells([cell], {"a": "h"}, in_tmp / "sweep", runner, parallel=1, retries=retries)
    assert outcome["state"] == state and runs(log) == expected_runs
    if state == "failed":
        assert read_failure(in_tmp / "sweep", "a")["attempts"] == expected_runs


def test_local_jobs_run_at_most_the_parallel_bound_at_once(in_tmp):
    running = in_tmp / "running"
    running.mkdir()
    cells = [Cell(f"c{index}", (str(running), "8")) for index in range(3)]
    outcomes = run_cells(cells, {cell.name: "h" for cell in cells}, in_tmp / "sweep", runners.counts_neighbours,
                         parallel=2)
    assert [outcome["state"] for outcome in outcomes] == ["done"] * 3
    most = [json.loads((in_tmp / "sweep" / cell.name / "most.json").read_text()) for cell in cells]
    assert max(most) == 2  # the first two ran together; the third never joined them


@pytest.mark.parametrize(("arguments", "expected"), [
    ({"cores": 4}, (4, 1)),
    ({"cores": 4, "max_parallel": 2}, (2, 2)),
    ({"cores": 4, "memory_gb": 5.0, "cell_memory_gb": 2.0}, (2, 2)),
    ({"cores": 2, "max_parallel": 8, "memory_gb": 64.0}, (8, 1)),
])
def test_the_local_bound_takes_the_cores_and_the_memory_budget(arguments, expected):
    plan = local_parallelism(**arguments)
    assert (plan.parallel, plan.threads) == expected


@pytest.mark.parametrize("arguments", [{"max_parallel": 0}, {"memory_gb": 1.0, "cell_memory_gb": 2.0},
                                       {"cell_memory_gb": 0.0}])
def test_impossible_bounds_are_refused(arguments):
    with pytest.raises(ConfigError):
        local_parallelism(cores=2, **arguments)
