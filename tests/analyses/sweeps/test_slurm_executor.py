"""``chronoscore sweep --executor slurm`` through submitit's real SlurmExecutor, against fake SLURM commands.

The fake commands (:mod:`tests.analyses.sweeps.fake_slurm`) run each array task
on this machine, throttled as ``--array=0-N%K`` says, and preempt one task once
it has started writing its cell: submitit must checkpoint and requeue it, and
the cell must end as if nothing had happened.
"""

import os
import sys

import numpy as np
import pytest

from chronoscore.analyses.sweeps.grid import load_sweep
from chronoscore.analyses.sweeps.status import sweep_status
from chronoscore.cli import main
from chronoscore.neural_fit import read_scores
from tests.analyses.sweeps import fake_slurm
from tests.analyses.sweeps.conftest import TINY_CONVRNN, TINY_FEEDFORWARD, write_sweep

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the fake SLURM commands are shell wrappers")


def test_a_job_array_runs_throttled_and_a_preempted_cell_is_requeued_and_finished(benchmark_folder, tmp_path,
                                                                                   monkeypatch):
    fake_slurm.install(tmp_path / "bin", tmp_path / "slurm")
    sweep = tmp_path / "sweep"
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_SLURM_STATE", str(tmp_path / "slurm"))
    reseeded = {**TINY_CONVRNN, "init_seed": 1, "label": "convrnn_seed1"}
    sweep_file = write_sweep(tmp_path / "sweep.yaml", benchmark_folder, [TINY_CONVRNN, reseeded, TINY_FEEDFORWARD],
                             cache_dir=str(tmp_path / "cache"))
    first = load_sweep(sweep_file)[0]  # array task 0; preempted once it has started writing its cell
    monkeypatch.setenv("FAKE_SLURM_PREEMPT_TASK", "0")
    monkeypatch.setenv("FAKE_SLURM_PREEMPT_AFTER", str(sweep / ".sweep" / "partial" / f"{first.name}.*"))
    assert main(["sweep", str(sweep_file), "--out", str(sweep), "--executor", "slurm", "--max-parallel", "2",
                 "--slurm-partition", "cpu", "--slurm-time", "60", "--slurm-cpus-per-task", "1"]) == 0

    assert [state.state for state in sweep_status(sweep)] == ["done"] * 3
    jobs = sweep / ".sweep" / "jobs"
    [submission] = jobs.glob("*_submission.sh")  # one array: no cell failed and was submitted again
    script = submission.read_text()
    assert "#SBATCH --array=0-2%2" in script and "#SBATCH --partition=cpu" in script
    assert int((tmp_path / "slurm" / "max_running").read_text()) == 2  # two at a time, never three
    [preempted] = (tmp_path / "slurm").glob("*_0.preempted")
    task = preempted.name.removesuffix(".preempted")
    log = (jobs / f"{task}_0_log.out").read_text()
    assert "this job is preempted" in log and f"Requeued job {task}" in log and log.count("Starting with") == 2

    assert main(["score", *first.argv, "--out", str(tmp_path / "direct")]) == 0
    np.testing.assert_array_equal(read_scores(sweep / first.name / "scores_per_bin.nc")["r"].values,
                                  read_scores(tmp_path / "direct" / "scores_per_bin.nc")["r"].values)
