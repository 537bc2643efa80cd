"""A stand-in for SLURM's commands on one machine, so submitit's real SlurmExecutor runs end to end in tests.

Run as ``python fake_slurm.py COMMAND ARGS...`` through small wrappers named
``sbatch``, ``srun``, ``sacct``, ``squeue``, ``scancel`` and ``scontrol`` on PATH
(:func:`install`). State lives in ``$FAKE_SLURM_STATE``:

* ``sbatch SCRIPT`` reads the ``#SBATCH`` lines, gives the job a number and
  starts a detached scheduler that runs the script once per array task
  (``--array=0-N%K``: at most K at a time) with SLURM's environment variables;
  it records each task's state (PENDING, RUNNING, REQUEUED, COMPLETED, FAILED)
  and the most tasks it ever ran at once (``max_running``).
* ``srun --output O --error E CMD...`` writes its process id for the task and
  becomes CMD with its output appended to O and E (``%A``, ``%a``, ``%j``,
  ``%t`` filled in), so signals reach the task as SLURM delivers them.
* ``sacct -o JobID,State,NodeList --parsable2 -j ID`` prints the tasks' states.
* ``scancel [--signal SIG] ID`` signals (or kills) a task or all of a job's tasks.
* ``scontrol requeue ID`` marks a task to run again when its process exits.
* A preemption: with ``FAKE_SLURM_PREEMPT_TASK=i`` and
  ``FAKE_SLURM_PREEMPT_AFTER=GLOB``, task i's first run is sent SIGTERM then
  SIGUSR2 (what submitit's ``_interrupt`` sends for a preemption) once a path
  matches GLOB.
"""

from __future__ import annotations

import glob
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

COMMANDS = ("sbatch", "srun", "sacct", "squeue", "scancel", "scontrol")


def install(bin_folder: Path, state: Path) -> None:
    """Write the wrappers into ``bin_folder`` (put it first on PATH and set FAKE_SLURM_STATE=state)."""
    bin_folder.mkdir(parents=True, exist_ok=True)
    state.mkdir(parents=True, exist_ok=True)
    for command in COMMANDS:
        wrapper = bin_folder / command
        wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{Path(__file__).resolve()}" {command} "$@"\n')
        wrapper.chmod(0o755)


def _state() -> Path:
    return Path(os.environ["FAKE_SLURM_STATE"])


def _write(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text)
    os.replace(temporary, path)


def sbatch(argv: list[str]) -> None:
    script = Path(argv[-1])
    options = dict(re.findall(r"^#SBATCH --([\w-]+)=?(.*)$", script.read_text(), flags=re.M))
    counter = _state() / "counter"
    job = int(counter.read_text()) + 1 if counter.exists() else 1000
    _write(counter, str(job))
    first, last, limit = 0, 0, 1
    if "array" in options:
        first, last, limit = map(int, re.fullmatch(r"(\d+)-(\d+)%(\d+)", options["array"]).groups())
    tasks = [f"{job}_{index}" for index in range(first, last + 1)] if "array" in options else [str(job)]
    for task in tasks:
        _write(_state() / f"{task}.state", "PENDING")
    _write(_state() / f"{job}.job", json.dumps({"tasks": tasks, "limit": limit, "options": options}))
    subprocess.Popen([sys.executable, __file__, "_schedule", str(job), str(script)], start_new_session=True,
                     stdout=subprocess.DEVNULL, stderr=open(_state() / f"{job}.scheduler.log", "a"))
    print(f"Submitted batch job {job}")


def _schedule(argv: list[str]) -> None:
    """Run a job's tasks, at most ``limit`` at a time, requeueing tasks marked by scontrol."""
    job, script = argv
    description = json.loads((_state() / f"{job}.job").read_text())
    waiting, running, restarts, most = list(description["tasks"]), {}, {}, 0
    while waiting or running:
        while waiting and len(running) < description["limit"]:
            task = waiting.pop(0)
            running[task] = _start(task, script, restarts.get(task, 0))
        most = max(most, len(running))
        _write(_state() / "max_running", str(max(most, _read_int(_state() / "max_running"))))
        for task, process in list(running.items()):
            _maybe_preempt(task, restarts.get(task, 0))
            code = process.poll()
            if code is None:
                continue
            del running[task]
            requeue = _state() / f"{task}.requeue"
            if requeue.exists():
                requeue.unlink()
                restarts[task] = restarts.get(task, 0) + 1
                _write(_state() / f"{task}.state", "REQUEUED")
                waiting.insert(0, task)
            else:
                _write(_state() / f"{task}.state", "COMPLETED" if code == 0 else "FAILED")
        time.sleep(0.1)


def _read_int(path: Path) -> int:
    return int(path.read_text()) if path.exists() else 0


def _start(task: str, script: str, restarts: int) -> subprocess.Popen:
    array_job, _, index = task.partition("_")
    environment = dict(os.environ, SLURM_JOB_ID=array_job + (f"{int(index):04d}" if index else ""), SLURM_NTASKS="1",
                       SLURM_JOB_NUM_NODES="1", SLURM_NODEID="0", SLURM_PROCID="0", SLURM_LOCALID="0",
                       SLURM_JOB_NODELIST="fakenode", SLURM_RESTART_COUNT=str(restarts), FAKE_SLURM_TASK=task)
    if index:
        environment.update(SLURM_ARRAY_JOB_ID=array_job, SLURM_ARRAY_TASK_ID=index)
    _write(_state() / f"{task}.state", "RUNNING")
    (_state() / f"{task}.pid").unlink(missing_ok=True)
    return subprocess.Popen(["bash", script], env=environment)


def _maybe_preempt(task: str, restarts: int) -> None:
    chosen, pattern = os.environ.get("FAKE_SLURM_PREEMPT_TASK"), os.environ.get("FAKE_SLURM_PREEMPT_AFTER")
    if chosen is None or restarts or not task.endswith(f"_{chosen}") or not glob.glob(pattern or ""):
        return
    marker = _state() / f"{task}.preempted"
    pid = _state() / f"{task}.pid"
    if marker.exists() or not pid.exists():
        return
    marker.write_text("")
    for sent in (signal.SIGTERM, signal.SIGUSR2):
        os.kill(int(pid.read_text()), sent)


def srun(argv: list[str]) -> None:
    outputs, index = {}, 0
    while argv[index].startswith("--"):
        if argv[index] in ("--output", "--error"):
            outputs[argv[index]] = argv[index + 1]
            index += 2
        else:
            index += 1
    task = os.environ["FAKE_SLURM_TASK"]
    array_job, _, array_index = task.partition("_")
    for option, pattern in outputs.items():
        path = (pattern.replace("%A", array_job).replace("%a", array_index).replace("%j", task)
                .replace("%t", "0"))
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(descriptor, 1 if option == "--output" else 2)
    _write(_state() / f"{task}.pid", str(os.getpid()))
    os.execvp(argv[index], argv[index:])


def sacct(argv: list[str]) -> None:
    jobs = [argv[position + 1] for position, word in enumerate(argv) if word == "-j"]
    print("JobID|State|NodeList")
    for job in jobs:
        description = _state() / f"{job}.job"
        if description.exists():
            for task in json.loads(description.read_text())["tasks"]:
                print(f"{task}|{(_state() / f'{task}.state').read_text()}|fakenode")


def squeue(argv: list[str]) -> None:
    print("JOBID STATE")
    for path in sorted(_state().glob("*.state")):
        if path.read_text() in ("PENDING", "RUNNING", "REQUEUED"):
            print(f"{path.name[:-6]} {path.read_text()}")


def _tasks_of(identifier: str) -> list[str]:
    description = _state() / f"{identifier}.job"
    return json.loads(description.read_text())["tasks"] if description.exists() else [identifier]


def scancel(argv: list[str]) -> None:
    sent = signal.SIGKILL
    if "--signal" in argv:
        name = argv[argv.index("--signal") + 1]
        sent = getattr(signal, name if name.startswith("SIG") else f"SIG{name}")
    for identifier in [word for word in argv if re.fullmatch(r"\d+(_\d+)?", word)]:
        for task in _tasks_of(identifier):
            pid = _state() / f"{task}.pid"
            if pid.exists():
                try:
                    os.kill(int(pid.read_text()), sent)
                except ProcessLookupError:
                    pass


def scontrol(argv: list[str]) -> None:
    if argv[:1] == ["requeue"]:
        for task in _tasks_of(argv[1]):
            (_state() / f"{task}.requeue").write_text("")


if __name__ == "__main__":
    command, arguments = sys.argv[1], sys.argv[2:]
    {"sbatch": sbatch, "srun": srun, "sacct": sacct, "squeue": squeue, "scancel": scancel, "scontrol": scontrol,
     "_schedule": _schedule}[command](arguments)
