"""Resuming: exactly the weights of an uninterrupted run, after SIGKILL or from an older checkpoint."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
import torch

from chronoscore.errors import ConfigError
from chronoscore.models.training import save_recipe, train
from chronoscore.models.training.checkpoints import CheckpointStore

from .tiny_recipes import assert_same_weights, state_of, tiny_recipe

# Momentum, weight decay, a warm-up + cosine schedule and two epochs: the optimiser state,
# the scheduler and the data order of the second epoch all have to be restored.
RESUMED = ("optimiser.momentum=0.9", "optimiser.weight_decay=0.01", "schedule.name=cosine",
           "schedule.warmup_steps=3")


def checkpoint(run_dir, step):
    return run_dir / "checkpoints" / f"step_{step:08d}.pt"


def test_killed_run_resumes_to_the_weights_of_an_uninterrupted_run(tmp_path):
    """A subprocess training 20 steps is killed with SIGKILL once its step-10 checkpoint (mid-epoch) exists."""
    # an RGC model slow enough (tens of ms per step) that the kill lands well before step 20
    recipe = tiny_recipe(*RESUMED, "model.name=convrnn_shallow_rgc", "model.kwargs.width=0.125",
                         steps=20, checkpoint_every=10, log_every=5)
    straight = train(recipe, tmp_path / "straight", progress=False)
    assert straight["steps_per_epoch"] == 4

    save_recipe(recipe, tmp_path / "recipe.yaml")
    killed = tmp_path / "killed"
    environment = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    program = ("import sys; from chronoscore.analyses import train; "
               "train(sys.argv[1], sys.argv[2], progress=False)")
    child = subprocess.Popen([sys.executable, "-c", program, str(tmp_path / "recipe.yaml"), str(killed)],
                             env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    index = killed / "checkpoints" / "index.json"
    deadline = time.monotonic() + 120
    while not (index.exists() and json.loads(index.read_text())["checkpoints"]):
        assert child.poll() is None, child.stderr.read().decode()
        assert time.monotonic() < deadline, "no checkpoint within 120 s"
        time.sleep(0.002)
    child.send_signal(signal.SIGKILL)
    child.wait()
    child.stderr.close()
    assert child.returncode == -signal.SIGKILL
    assert not (killed / "summary.json").exists()
    assert [entry["step"] for entry in json.loads(index.read_text())["checkpoints"]] == [10]

    resumed = train(recipe, killed, resume=True, progress=False)
    assert resumed["resumed_from_step"] == 10 and resumed["steps_this_session"] == 10
    assert_same_weights(state_of(checkpoint(killed, 20)), state_of(checkpoint(tmp_path / "straight", 20)))
    final = torch.load(checkpoint(killed, 20), weights_only=True)
    reference = torch.load(checkpoint(tmp_path / "straight", 20), weights_only=True)
    for name, state in reference["optimiser"]["state"].items():
        assert torch.equal(final["optimiser"]["state"][name]["momentum_buffer"], state["momentum_buffer"])
    assert final["scheduler"] == reference["scheduler"]


def test_resume_skips_damaged_checkpoints_and_still_ends_exactly(tmp_path):
    recipe = tiny_recipe(*RESUMED, steps=8, checkpoint_every=2, keep_last=3)
    train(recipe, tmp_path / "straight", progress=False)
    copy = tmp_path / "copy"
    shutil.copytree(tmp_path / "straight", copy)
    (copy / "summary.json").unlink()
    data = checkpoint(copy, 8).read_bytes()
    checkpoint(copy, 8).write_bytes(data[:1000])                            # truncated
    data = bytearray(checkpoint(copy, 6).read_bytes())
    data[len(data) // 2] ^= 0xFF                                            # one byte flipped
    checkpoint(copy, 6).write_bytes(bytes(data))
    with pytest.warns(RuntimeWarning) as warned:
        summary = train(recipe, copy, resume=True, progress=False)
    messages = [str(warning.message) for warning in warned]
    for step in (8, 6):
        assert any(f"step_0000000{step}.pt is corrupt: its SHA-256 differs" in message for message in messages)
    assert summary["resumed_from_step"] == 4
    assert_same_weights(state_of(checkpoint(copy, 8)), state_of(checkpoint(tmp_path / "straight", 8)))


def test_metrics_after_the_resumed_step_are_not_repeated(tmp_path):
    recipe = tiny_recipe(steps=4, checkpoint_every=2, keep_last=3, log_every=1)
    train(recipe, tmp_path, progress=False)
    checkpoint(tmp_path, 4).unlink()
    with pytest.warns(RuntimeWarning, match="falling back"):
        train(recipe, tmp_path, resume=True, progress=False)
    steps = [line.split(",")[0] for line in (tmp_path / "metrics.csv").read_text().splitlines()[1:]]
    assert steps == ["1", "2", "3", "4"]


def test_resuming_a_finished_run_trains_no_further(tmp_path):
    recipe = tiny_recipe()
    first = train(recipe, tmp_path, progress=False)
    again = train(recipe, tmp_path, resume=True, progress=False)
    assert again["resumed_from_step"] == 4 and again["steps_this_session"] == 0
    assert again["train"] == first["train"]


def test_resume_with_nothing_to_resume_starts_from_step_zero(tmp_path):
    with pytest.warns(RuntimeWarning, match="nothing to resume"):
        summary = train(tiny_recipe(steps=2), tmp_path, resume=True, progress=False)
    assert summary["resumed_from_step"] is None and summary["steps_this_session"] == 2


def test_an_existing_run_is_not_overwritten_without_resume(tmp_path):
    train(tiny_recipe(steps=2), tmp_path, progress=False)
    with pytest.raises(ConfigError, match="already holds checkpoints of a training run; pass --resume"):
        train(tiny_recipe(steps=2), tmp_path, progress=False)


def test_resume_with_a_different_recipe_raises(tmp_path):
    train(tiny_recipe(steps=2), tmp_path, progress=False)
    with pytest.raises(ConfigError, match="recipe differs .* in optimiser.lr, steps"):
        train(tiny_recipe("optimiser.lr=0.5", steps=3), tmp_path, resume=True, progress=False)


def test_resume_may_change_logging_and_checkpoint_cadence(tmp_path):
    train(tiny_recipe(steps=4, checkpoint_every=2, keep_last=3), tmp_path / "straight", progress=False)
    shutil.copytree(tmp_path / "straight", tmp_path / "copy")
    checkpoint(tmp_path / "copy", 4).unlink()
    with pytest.warns(RuntimeWarning, match="falling back"):
        train(tiny_recipe(steps=4, checkpoint_every=1, keep_last=3, log_every=2), tmp_path / "copy", resume=True,
              progress=False)
    assert_same_weights(state_of(checkpoint(tmp_path / "copy", 4)), state_of(checkpoint(tmp_path / "straight", 4)))


def test_a_resumed_run_counts_the_training_time_of_its_earlier_sessions(tmp_path):
    recipe = tiny_recipe(steps=8, checkpoint_every=4, log_every=2)
    straight = train(recipe, tmp_path / "straight", progress=False)
    assert straight["training_seconds"] == straight["training_seconds_this_session"] > 0
    copy = tmp_path / "copy"
    shutil.copytree(tmp_path / "straight", copy)
    (copy / "summary.json").unlink()
    checkpoint(copy, 8).unlink()
    index = copy / "checkpoints" / "index.json"
    entries = json.loads(index.read_text())
    entries["checkpoints"] = [entry for entry in entries["checkpoints"] if entry["step"] != 8]
    index.write_text(json.dumps(entries))
    saved = torch.load(checkpoint(copy, 4), weights_only=False)
    before, cpu_before = saved["training_seconds"], saved["training_cpu_seconds"]
    assert 0 < before < straight["training_seconds"]

    resumed = train(recipe, copy, resume=True, progress=False)
    assert resumed["training_seconds"] == pytest.approx(before + resumed["training_seconds_this_session"])
    assert resumed["training_cpu_seconds"] > cpu_before
    elapsed = [float(line.split(",")[-1]) for line in (copy / "metrics.csv").read_text().splitlines()[1:]]
    assert elapsed == sorted(elapsed) and elapsed[-1] > before


def test_resuming_a_checkpoint_without_its_training_time_warns(tmp_path):
    recipe = tiny_recipe(steps=4, checkpoint_every=2)
    train(recipe, tmp_path, progress=False)
    payload = torch.load(checkpoint(tmp_path, 4), weights_only=False)
    del payload["training_seconds"], payload["training_cpu_seconds"]
    CheckpointStore(tmp_path / "checkpoints").save(payload, 4)   # as an older version wrote it
    with pytest.warns(RuntimeWarning, match="does not record how long training took"):
        train(recipe, tmp_path, resume=True, progress=False)
