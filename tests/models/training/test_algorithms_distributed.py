"""Algorithms whose gradients the distributed wrapper does not see are averaged by the trainer:
two processes under torchrun (Gloo, CPU) train to the weights of one process with the same global batch.

The Recurrent Sparse Memory's ``local`` algorithm stands for all of them (``tbptt``, ``rbp``, ``crbp``
take the same path through the trainer): it has no batch norm, whose per-process batch statistics would
make two processes differ from one.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch.distributed as dist

from chronoscore.models.training import save_recipe, train

from .test_distributed import TOLERANCE, free_port, train_loss
from .tiny_recipes import state_of, tiny_recipe


@pytest.mark.skipif(not dist.is_available() or not dist.is_gloo_available(), reason="needs torch.distributed with Gloo")
def test_two_processes_of_a_local_run_match_one_process(tmp_path):
    recipe = tiny_recipe("algorithm=local", "model.name=rsm", "optimiser.momentum=0",
                         "model.kwargs={input_size: 32, n_classes: 8, groups: 8, cells: 3, k: 2, "
                         "classifier_hidden: 8, n_steps: 3}", steps=3, batch_size=8, checkpoint_every=3)
    save_recipe(recipe, tmp_path / "recipe.yaml")
    environment = {**os.environ, "OMP_NUM_THREADS": "1"}
    if Path("/sys/class/net/lo").exists():
        environment["GLOO_SOCKET_IFNAME"] = "lo"
    launched = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nnodes=1", "--nproc_per_node=2",
         "--master_addr=127.0.0.1", f"--master_port={free_port()}",
         "-m", "chronoscore", "train", str(tmp_path / "recipe.yaml"), "--out", str(tmp_path / "two"), "--quiet"],
        env=environment, capture_output=True, text=True, timeout=240, check=False)
    assert launched.returncode == 0, launched.stderr[-3000:]
    assert "on 2 x cpu" in launched.stdout

    train(recipe, tmp_path / "one", progress=False)
    two_weights = state_of(tmp_path / "two" / "checkpoints" / "step_00000003.pt")
    one_weights = state_of(tmp_path / "one" / "checkpoints" / "step_00000003.pt")
    for name, value in one_weights.items():
        assert (two_weights[name] - value).abs().max().item() <= TOLERANCE, name
    assert train_loss(tmp_path / "two") == pytest.approx(train_loss(tmp_path / "one"), rel=TOLERANCE)
