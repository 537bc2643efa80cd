"""Running a time-resolved model over a stimulus set batch by batch.

:func:`activity_batches` yields each batch's activity per area, flattened to
(T, B, F) or as recorded, so that callers (extraction, fitting a PCA) reduce or
store it before the next batch runs. :func:`evaluation_mode` puts a model in eval mode on a device for the
duration of a ``with`` block and restores both afterwards.

Memory format
-------------
On the CPU, convolutions, batch norm and pooling run markedly faster on tensors
in channels-last memory format (oneDNN's native layout; resnet18 on 64 images of
224 px: 2.3 instead of 3.4 CPU seconds). ``evaluation_mode(..., channels_last=True)``
holds the model's 4-D parameters and buffers in that format for the block, and
:func:`activity_batches` then sends the images in it too. Only the layout in
memory changes: each value is computed by the same operations, summed in another
order (differences of a few float32 ulps). Whether a model computes the same in
that format, or can take it at all (``.view`` on a convolution's output, say),
is checked before an extraction starts
(:mod:`chronoscore.analyses.extraction._verified_rewrites`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset
from tqdm.auto import tqdm

from chronoscore.errors import ConfigError

__all__ = ["activity_batches", "evaluation_mode", "model_device", "flatten_activity", "channels_last_preferred",
           "holds_channels_last", "loads_in_worker"]


def model_device(model: nn.Module) -> torch.device:
    """Device of the model's first parameter or buffer (CPU for a model without any)."""
    for tensor in (*model.parameters(), *model.buffers()):
        return tensor.device
    return torch.device("cpu")


def channels_last_preferred(device: torch.device) -> bool:
    """Whether extraction on ``device`` runs in channels-last memory format (on the CPU, where it is faster)."""
    return device.type == "cpu"


@contextlib.contextmanager
def evaluation_mode(model: nn.Module, device: torch.device, *, channels_last: bool = False) -> Iterator[None]:
    """Put ``model`` in eval mode on ``device``; restore every submodule's mode and the device after.

    Each submodule's ``training`` flag is restored as it was (also when some were in
    eval mode and others not), also when the block raises. With ``channels_last``
    the model's 4-D parameters and buffers are held in channels-last memory format
    during the block (see the module docstring) and given back their own tensors
    afterwards; meanwhile both copies of those tensors are in memory.
    """
    modes = [(module, module.training) for module in model.modules()]
    previous_device = model_device(model)
    model.eval()
    if device != previous_device:
        model.to(device)
    originals = _four_dimensional_tensors(model)
    try:
        if channels_last:
            _set_memory_format(model, torch.channels_last)
        yield
    finally:
        for tensor, data in originals:
            tensor.data = data
        if device != previous_device:
            model.to(previous_device)
        for module, training in modes:
            module.training = training


def flatten_activity(area: str, activity: torch.Tensor) -> torch.Tensor:
    """One area's recorded activity (T, B, C, H, W) or (T, B, D) as (T, B, F).

    Features are ordered as in ``tensor.reshape(B, -1)`` of each step's output
    (channel, then row, then column), as Brain-Score flattens them, whatever the
    memory format of ``activity`` (a channels-last tensor is copied).
    """
    _check_recorded(area, activity)
    return activity.reshape(activity.shape[0], activity.shape[1], -1)


def _check_recorded(area: str, activity: object) -> torch.Tensor:
    """``activity`` if it is a tensor (T, B, ...) with at least 3 dims, else ConfigError."""
    if not isinstance(activity, torch.Tensor) or activity.dim() < 3:
        shape = tuple(activity.shape) if isinstance(activity, torch.Tensor) else type(activity).__name__
        raise ConfigError(f"forward_timesteps returned {shape} for area {area!r}; a time-resolved model must "
                          "return (T, B, C, H, W) or (T, B, D) per area.")
    return activity


def loads_in_worker(device: torch.device, n_images: int, batch_size: int) -> bool:
    """Whether :func:`activity_batches` reads the images in a DataLoader worker (else in this process, in order).

    A worker reads ahead on an accelerator when there is more than one batch; on
    the CPU the images are read here, between batches (see :func:`activity_batches`).
    """
    return device.type != "cpu" and n_images > batch_size


def activity_batches(model: nn.Module, dataset: Dataset, areas: Sequence[str], n_steps: int | None,
                     batch_size: int, device: torch.device, *, flatten: bool = True, progress: bool = True,
                     description: str = "activations") -> Iterator[tuple[np.ndarray, dict[str, torch.Tensor]]]:
    """Yield ``(indices, activity)`` for consecutive batches of the stimulus set, in table order.

    Runs ``model.forward_timesteps(images, n_steps, areas)`` under ``torch.no_grad()``;
    the caller puts the model in eval mode (see :func:`evaluation_mode`). Images go
    in channels-last memory format when the model's 4-D weights are in it (see the
    module docstring). On an accelerator, when there is more than one batch, one
    DataLoader worker process reads and preprocesses the next batches (on one
    thread) while the model runs; batches reach this process through shared memory
    (``/dev/shm``), two batches at a time. On the CPU the images are read in this
    process between batches: the model's forward pass already keeps every core
    busy, and a loading process would only compete with it for them, and cost
    its own memory and the copies through shared memory (resnet18, 1000 images
    of 224 px on two cores: the same wall-clock time, 0.7 CPU seconds and a
    0.67 GB process less).

    Parameters
    ----------
    model : nn.Module
        A time-resolved model (``forward_timesteps``).
    dataset : Dataset
        Items (image (3, H, W), index) of the stimulus set, e.g. a StimulusDataset.
    areas : sequence of str
        Areas to record.
    n_steps : int or None
        Steps to run (None: the model's default).
    batch_size : int
        Images per batch.
    device : torch.device
        Where the images are sent (the model's device).
    flatten : bool
        Flatten each area to (T, B, F) (:func:`flatten_activity`); False yields
        the activity as recorded, (T, B, C, H, W) or (T, B, D), in whatever memory
        format the model produced, which saves a copy of each batch.
    progress : bool
        Show a tqdm progress bar counting images.
    description : str
        Label of the progress bar.

    Yields
    ------
    indices : (B,) int array
        Positions of the batch's stimuli in the stimulus set's table.
    activity : dict of str to Tensor (T, B, F), or (T, B, ...) as recorded
        Each requested area on ``device``.
    """
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False,
                        num_workers=1 if loads_in_worker(device, len(dataset), batch_size) else 0,
                        pin_memory=device.type == "cuda")
    channels_last = holds_channels_last(model)
    with tqdm(total=len(dataset), unit="img", desc=description, disable=not progress) as bar, torch.no_grad():
        for images, indices in loader:
            recorded = dict(_record(model, images.to(device), n_steps, areas, channels_last))
            reshape = flatten_activity if flatten else _check_recorded
            # each area leaves ``recorded`` as it is reshaped, so a flattened copy replaces its original
            yield indices.numpy(), {area: reshape(area, recorded.pop(area)) for area in areas}
            bar.update(len(indices))


def _record(model: nn.Module, images: torch.Tensor, n_steps: int | None, areas: Sequence[str],
            channels_last: bool) -> dict[str, torch.Tensor]:
    """``forward_timesteps`` on ``images`` (in channels-last format if asked), checked to hold every area."""
    if channels_last:
        images = images.contiguous(memory_format=torch.channels_last)
    recorded = model.forward_timesteps(images, n_steps, list(areas))
    missing = [area for area in areas if area not in recorded]
    if missing:
        raise ConfigError(f"forward_timesteps returned no activity for area(s) {missing}; "
                          f"it returned {sorted(recorded)}.")
    return recorded


def _four_dimensional_tensors(model: nn.Module) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Each 4-D parameter and buffer with its current data (to convert and to restore)."""
    tensors = [*model.parameters(), *model.buffers()]
    return [(tensor, tensor.data) for tensor in tensors if tensor.dim() == 4]


def _set_memory_format(model: nn.Module, memory_format: torch.memory_format) -> None:
    """Hold every 4-D parameter and buffer of ``model`` in ``memory_format`` (same values)."""
    for tensor, data in _four_dimensional_tensors(model):
        tensor.data = data.contiguous(memory_format=memory_format)


def holds_channels_last(model: nn.Module) -> bool:
    """Whether the model's 4-D weights are held in channels-last format (so its input should be too)."""
    return any(data.is_contiguous(memory_format=torch.channels_last) and not data.is_contiguous()
               for _, data in _four_dimensional_tensors(model))
