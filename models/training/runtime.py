"""Where a training run executes: device choice, torch.distributed processes, autocast.

A run launched by ``torchrun --nproc_per_node=N -m chronoscore train ...`` finds
``RANK``, ``LOCAL_RANK`` and ``WORLD_SIZE`` in its environment and joins the
process group (NCCL on CUDA, Gloo otherwise); a plain run is one process of
rank 0. Nothing here moves anything to a GPU unless a GPU was chosen.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist

from chronoscore.errors import ConfigError
from chronoscore.models.training.recipe import Precision

__all__ = ["Runtime", "choose_device", "start_runtime", "stop_runtime", "autocast_dtype", "autocast",
           "all_reduce_sum", "average_gradients", "gather_objects"]


@dataclass(frozen=True)
class Runtime:
    """This process's place in the run.

    Attributes
    ----------
    device : torch.device
    rank, local_rank, world_size : int
        Global rank, rank on this machine and number of processes (1 without torchrun).
    owns_process_group : bool
        This run started the process group (and ends it).
    """

    device: torch.device
    rank: int = 0
    local_rank: int = 0
    world_size: int = 1
    owns_process_group: bool = False

    @property
    def is_main(self) -> bool:
        """Rank 0, which logs and writes files."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        """More than one process takes part."""
        return self.world_size > 1


def choose_device(requested: str | None, local_rank: int = 0) -> torch.device:
    """The requested device, checked, or the best available one.

    Parameters
    ----------
    requested : str, optional
        "cpu", "cuda", "cuda:1", "mps", ...; None picks CUDA (``cuda:<local_rank>``),
        then MPS, then CPU.
    local_rank : int
        This process's rank on its machine, which picks its GPU.

    Raises
    ------
    ConfigError
        If the requested device type is not available here.
    """
    if requested is None:
        if torch.cuda.is_available():
            return torch.device("cuda", local_rank)
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    device = torch.device(requested)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device {requested!r} was requested but CUDA is not available here; set device: cpu "
                          "or leave device unset to choose automatically.")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise ConfigError(f"device {requested!r} was requested but MPS is not available here; leave device unset.")
    if device.type == "cuda" and device.index is None:
        device = torch.device("cuda", local_rank)
    return device


def start_runtime(requested_device: str | None) -> Runtime:
    """Join the torchrun process group if there is one and choose this process's device."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        return Runtime(device=choose_device(requested_device))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    device = choose_device(requested_device, local_rank)
    owns = not dist.is_initialized()
    if owns:
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    if device.type == "cuda":
        torch.cuda.set_device(device)
    return Runtime(device=device, rank=dist.get_rank(), local_rank=local_rank, world_size=dist.get_world_size(),
                   owns_process_group=owns)


def stop_runtime(runtime: Runtime, completed: bool) -> None:
    """Leave the process group if this run started it.

    After a run that ``completed`` on this rank, every rank first meets at a
    barrier, so that no process tears its connections down while a peer is still
    finishing its last writes (Gloo can abort a peer that is closed on mid-way).
    After a failure there is no barrier: the other ranks may never arrive.
    """
    if runtime.owns_process_group and dist.is_initialized():
        if completed:
            dist.barrier()
        dist.destroy_process_group()


def autocast_dtype(precision: Precision, device: torch.device) -> torch.dtype | None:
    """The autocast dtype of ``precision`` on ``device``; None runs in float32."""
    if precision == "auto":
        return torch.bfloat16 if device.type == "cuda" else None
    return {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}[precision]


def autocast(device: torch.device, dtype: torch.dtype | None) -> contextlib.AbstractContextManager:
    """A context autocasting to ``dtype`` on ``device``'s type; a no-op context when ``dtype`` is None."""
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)


def all_reduce_sum(tensor: torch.Tensor, runtime: Runtime) -> torch.Tensor:
    """``tensor`` summed over all processes (itself in a single process)."""
    if runtime.distributed:
        tensor = tensor.clone()
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return tensor


def average_gradients(parameters: Iterable[torch.nn.Parameter], runtime: Runtime) -> None:
    """Replace each gradient by its mean over all processes (nothing in a single process).

    For gradients computed outside ``DistributedDataParallel``'s backward pass. A
    trainable parameter without a gradient counts as a zero gradient.
    """
    if not runtime.distributed:
        return
    trainable = [parameter for parameter in parameters if parameter.requires_grad]
    for parameter in trainable:
        if parameter.grad is None:
            parameter.grad = torch.zeros_like(parameter)
    flat = torch.cat([parameter.grad.reshape(-1) for parameter in trainable])
    dist.all_reduce(flat, op=dist.ReduceOp.SUM)
    flat /= runtime.world_size
    for parameter, mean in zip(trainable, flat.split([parameter.numel() for parameter in trainable]), strict=True):
        parameter.grad.copy_(mean.view_as(parameter.grad))


def gather_objects(value: Any, runtime: Runtime) -> list[Any]:
    """Every process's ``value``, in rank order (``[value]`` in a single process)."""
    if not runtime.distributed:
        return [value]
    values: list[Any] = [None] * runtime.world_size
    dist.all_gather_object(values, value)
    return values

