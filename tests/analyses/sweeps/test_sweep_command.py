"""``chronoscore sweep`` on the local executor with real (tiny) score runs: results, resuming, a shared cache."""

import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from chronoscore.analyses.extraction.cache import entry_lock, read_entry
from chronoscore.analyses.sweeps.grid import load_sweep
from chronoscore.analyses.sweeps.status import sweep_status
from chronoscore.cli import main
from chronoscore.neural_fit import read_scores
from tests.analyses.sweeps.conftest import TINY_CONVRNN, TINY_FEEDFORWARD, write_sweep

def cell_folders(sweep):
    return sorted(path.name for path in sweep.iterdir() if path.is_dir() and not path.name.startswith(".")) \
        if sweep.is_dir() else []


def wait_for(condition, seconds=240.0, what="the condition"):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


@pytest.fixture(scope="module")
def first_sweep(benchmark_folder, tmp_path_factory):
    """Two tiny models scored per bin by ``chronoscore sweep`` (two local workers); the folder and its sweep file."""
    folder = tmp_path_factory.mktemp("sweeps")
    sweep_file = write_sweep(folder / "sweep.yaml", benchmark_folder, [TINY_CONVRNN, TINY_FEEDFORWARD])
    assert main(["sweep", str(sweep_file), "--out", str(folder / "first"), "--max-parallel", "2"]) == 0
    return folder / "first", sweep_file


def test_each_cell_holds_what_chronoscore_score_writes_with_the_same_arguments(first_sweep, tmp_path):
    sweep, sweep_file = first_sweep
    cells = load_sweep(sweep_file)
    assert cell_folders(sweep) == sorted(cell.name for cell in cells)
    cell = next(cell for cell in cells if cell.labels["model"] == "convrnn_shallow_time_decay")
    assert main(["score", *cell.argv, "--out", str(tmp_path / "direct")]) == 0
    direct, swept = (read_scores(folder / "scores_per_bin.nc") for folder in (tmp_path / "direct", sweep / cell.name))
    np.testing.assert_array_equal(swept["r"].values, direct["r"].values)
    assert swept.attrs["model"] == direct.attrs["model"] == "convrnn_shallow_time_decay"


def test_running_the_sweep_again_skips_every_cell_and_status_counts_them(first_sweep, capsys):
    sweep, sweep_file = first_sweep
    records = {name: (sweep / name / "cell.json").stat().st_mtime_ns for name in cell_folders(sweep)}
    capsys.readouterr()
    assert main(["sweep", str(sweep_file), "--out", str(sweep)]) == 0
    assert "2 cell(s) already done with the same provenance: skipped" in capsys.readouterr().out
    assert {name: (sweep / name / "cell.json").stat().st_mtime_ns for name in cell_folders(sweep)} == records
    assert main(["sweep", "status", str(sweep)]) == 0
    assert "2 done, 0 running, 0 failed, 0 pending (of 2 cells)" in capsys.readouterr().out


def test_a_sweep_killed_with_its_workers_resumes_without_losing_or_half_writing_a_cell(first_sweep, benchmark_folder,
                                                                                        tmp_path):
    _, first_file = first_sweep
    sweep_file = write_sweep(tmp_path / "sweep.yaml", benchmark_folder,
                             [TINY_CONVRNN], time=["per_bin", "shared", "matrix"],
                             cache_dir=str(first_file.parent / "cache"))
    sweep = tmp_path / "killed"
    driver = subprocess.Popen([sys.executable, "-m", "chronoscore", "sweep", str(sweep_file), "--out", str(sweep),
                               "--max-parallel", "1"], start_new_session=True,
                              stdout=open(tmp_path / "driver.log", "w"), stderr=subprocess.STDOUT)
    partial = sweep / ".sweep" / "partial"
    try:
        wait_for(lambda: len(cell_folders(sweep)) >= 1 and partial.is_dir() and any(partial.iterdir()),
                 what="one finished cell and one being written")
    finally:
        os.killpg(driver.pid, signal.SIGKILL)  # the driver, submitit's job controllers and the workers
        driver.wait()
    finished = cell_folders(sweep)
    assert all((sweep / name / "cell.json").is_file() and read_scores(next((sweep / name).glob("scores_*.nc")))
               for name in finished)
    kept = {name: (sweep / name / "cell.json").stat().st_mtime_ns for name in finished}
    wait_for(lambda: "running" not in {state.state for state in sweep_status(sweep)}, 30, "the locks to go")
    assert {state.name: state.state for state in sweep_status(sweep) if state.name not in finished} == {
        name: "pending" for name in {cell.name for cell in load_sweep(sweep_file)} - set(finished)}

    assert main(["sweep", str(sweep_file), "--out", str(sweep), "--max-parallel", "1"]) == 0
    assert [state.state for state in sweep_status(sweep)] == ["done"] * 3
    assert {name: (sweep / name / "cell.json").stat().st_mtime_ns for name in finished} == kept
    assert list(partial.iterdir()) == []


@pytest.mark.skipif(not os.path.exists("/proc/locks"), reason="needs Linux's /proc/locks to see waiting workers")
def test_two_workers_on_one_activation_cache_entry_compute_it_once_and_both_score(first_sweep, benchmark_folder,
                                                                                   tmp_path):
    _, first_file = first_sweep
    cache = tmp_path / "cache"
    cache.mkdir()
    [entry] = (first_file.parent / "cache").glob("convrnn_shallow_time_decay-*.npz")  # the entry both cells need
    sweep_file = write_sweep(tmp_path / "sweep.yaml", benchmark_folder, [TINY_CONVRNN],
                             time=["shared", "matrix"], cache_dir=str(cache))
    sweep, codes = tmp_path / "shared", []
    lock_file = cache / f"{entry.name}.lock"

    def both_waiting():  # the kernel lists each process blocked on a lock as "-> FLOCK ... PID DEV:INODE ..."
        inode = f":{lock_file.stat().st_ino} "
        return sum("->" in line and inode in line for line in open("/proc/locks")) == 2

    with entry_lock(cache / entry.name, announce=False):  # held until both workers wait on it
        driver = threading.Thread(target=lambda: codes.append(
            main(["sweep", str(sweep_file), "--out", str(sweep), "--max-parallel", "2"])))
        driver.start()
        wait_for(both_waiting, what="both workers to wait on the entry")
    driver.join()
    assert codes == [0] and [state.state for state in sweep_status(sweep)] == ["done", "done"]
    assert [path.name for path in cache.iterdir() if not path.name.endswith(".lock")] == [entry.name]
    stored = read_entry(cache / entry.name)
    np.testing.assert_array_equal(stored.values, read_entry(entry).values)


def test_the_leaderboard_ranks_the_cells_per_region_with_their_ceiled_scores_and_the_report_shows_it(first_sweep,
                                                                                                     tmp_path):
    from chronoscore.analyses.sweeps.leaderboard import leaderboard_rows

    sweep, _ = first_sweep
    rows = leaderboard_rows(sweep)
    assert sorted(rows) == ["IT", "V4"]
    for region, ranked in rows.items():
        assert [row["mean"] for row in ranked] == sorted((row["mean"] for row in ranked), reverse=True)
        for row in ranked:
            scores = read_scores(sweep / row["cell"] / "scores_per_bin.nc").sel(region=region)
            expected = scores["ceiled_score"].values
            np.testing.assert_allclose([value for _, value, _ in row["bins"]], expected, equal_nan=True)
            r, error, ceiling = scores["score"].values, scores["error"].values, scores["ceiling"].values
            present = np.isfinite(expected)
            np.testing.assert_allclose(expected[present], (r**2 / ceiling)[present], rtol=1e-10)   # r² / ceiling
            np.testing.assert_allclose([error for _, _, error in row["bins"]],   # its error to first order in r
                                       np.where(present, 2 * np.abs(r) * error / ceiling, np.nan), equal_nan=True)
            usable = np.isfinite(ceiling) & ~scores["ceiling_below_floor"].values   # bins left out for every cell
            assert row["mean"] == pytest.approx(np.mean(np.where(present, expected, 0.0)[usable]))   # no score: 0
            assert row["parameters"] > 0 and row["checkpoint_step"] is None
    table = (sweep / "leaderboard.md").read_text()
    best = rows["IT"][0]
    assert f"| 1 | {best['model']} |  | pls | - | {best['parameters']:,} | {best['mean']:.3f} |" in table
    assert main(["report", str(sweep), "--out", str(tmp_path / "report.html")]) == 0
    page = (tmp_path / "report.html").read_text()
    assert "<h2>Leaderboard</h2>" in page and best["model"] in page
