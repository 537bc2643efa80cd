"""Devices, precision and the single-process runtime; the CUDA path where a GPU exists."""

import math

import pytest
import torch
import torch.distributed as dist

from chronoscore.errors import ConfigError
from chronoscore.models.training import train
from chronoscore.models.training import trainer as trainer_module
from chronoscore.models.training.runtime import (Runtime, autocast, autocast_dtype, choose_device, start_runtime,
                                                 stop_runtime)

from .tiny_recipes import tiny_recipe


def test_automatic_device_prefers_cuda_then_mps_then_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert choose_device(None) == torch.device("cpu")
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert choose_device(None) == torch.device("mps")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert choose_device(None, local_rank=3) == torch.device("cuda", 3)
    assert choose_device("cuda", local_rank=1) == torch.device("cuda", 1)
    assert choose_device("cpu") == torch.device("cpu")


def test_requesting_an_absent_device_raises(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    with pytest.raises(ConfigError, match="'cuda' was requested but CUDA is not available here"):
        choose_device("cuda")
    with pytest.raises(ConfigError, match="MPS is not available"):
        choose_device("mps")


def test_a_plain_process_is_rank_zero_of_one(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    runtime = start_runtime("cpu")
    assert (runtime.rank, runtime.world_size, runtime.is_main, runtime.distributed) == (0, 1, True, False)


@pytest.mark.parametrize("precision, device, expected", [
    ("auto", "cuda", torch.bfloat16), ("auto", "cpu", None), ("auto", "mps", None), ("fp32", "cuda", None),
    ("bf16", "cpu", torch.bfloat16), ("fp16", "cuda", torch.float16),
])
def test_autocast_dtype(precision, device, expected):
    assert autocast_dtype(precision, torch.device(device)) is expected


@pytest.mark.parametrize("dtype", [torch.bfloat16, None])
def test_autocast_runs_layers_in_the_chosen_dtype(dtype):
    with autocast(torch.device("cpu"), dtype):
        output = torch.nn.Linear(3, 2)(torch.randn(4, 3))
    assert output.dtype == (dtype or torch.float32)


@pytest.mark.parametrize("precision, dtype", [("bf16", torch.bfloat16), ("fp16", torch.float16)])
def test_mixed_precision_trains_on_the_cpu(precision, dtype, tmp_path, monkeypatch):
    seen = []

    def recording_model(spec):
        model = build(spec)
        model.classifier.register_forward_hook(lambda module, inputs, output: seen.append(output.dtype))
        return model

    build = trainer_module.build_model
    monkeypatch.setattr(trainer_module, "build_model", recording_model)
    summary = train(tiny_recipe(f"precision={precision}", steps=2), tmp_path, progress=False)
    assert summary["precision"] == precision
    assert seen and set(seen) == {dtype}
    assert math.isfinite(summary["train"]["loss"])
    scaler = torch.load(tmp_path / "checkpoints" / "step_00000002.pt", weights_only=True)["scaler"]
    assert bool(scaler) == (precision == "fp16")  # the gradient scaler's state is kept for fp16


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_training_on_cuda_uses_bf16_autocast(tmp_path):
    summary = train(tiny_recipe("device=null", steps=2), tmp_path, progress=False)
    assert summary["device"].startswith("cuda") and summary["precision"] == "bf16"
    assert math.isfinite(summary["train"]["loss"])


@pytest.mark.skipif(not dist.is_available() or not dist.is_gloo_available(), reason="needs torch.distributed with Gloo")
@pytest.mark.parametrize("completed, barriers", [(True, 1), (False, 0)])
def test_a_completed_run_meets_its_peers_before_leaving_the_group(completed, barriers, tmp_path, monkeypatch):
    dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'store'}", rank=0, world_size=1)
    met = []
    original_barrier = dist.barrier
    monkeypatch.setattr(dist, "barrier", lambda *args, **kwargs: met.append(original_barrier(*args, **kwargs)))
    stop_runtime(Runtime(device=torch.device("cpu"), owns_process_group=True), completed=completed)
    assert len(met) == barriers
    assert not dist.is_initialized()
