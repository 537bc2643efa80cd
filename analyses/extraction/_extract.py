"""Time-resolved activations of a model on a stimulus set: ``extract(model, stimulus_set)``.

The model runs over the stimulus set in batches (``torch.no_grad()``, eval mode,
all restored afterwards; see :mod:`chronoscore.analyses.extraction._activity_batches`);
each batch's activity per area is optionally flattened and projected to at most D features
(:mod:`chronoscore.analyses.extraction._projection`) and copied into one preallocated array,
so the full activations of an area never sit in memory. The result is the
Activations type of DESIGN.md (see :mod:`chronoscore.analyses.extraction._activations_layout`
for how areas with different numbers of steps are packed) and is cached on disk
(:mod:`chronoscore.analyses.extraction.cache`). Speed tricks — on the CPU,
channels-last memory format; in a wrapped outside network, each batch norm
folded into the convolution before it and each convolution fused with the ReLU
and residual sum after it — are used only after the rewritten network has
computed what the plain one computes on the first images, area by area and
step by step (:mod:`chronoscore.analyses.extraction._verified_rewrites`); a rewrite that
fails that check is withdrawn with a warning.

Memory while extracting: one batch of the model's full activity, plus the
random projection's blocks in use (see :mod:`chronoscore.analyses.extraction._projection`)
or, while fitting a PCA, its row sample, plus the result, N · neuroids · T · (2
or 4) bytes. With a cache, the result is written into the cache entry batch by
batch and read back into memory only after the model has run, so the model's
activity and the result are never held at the same time; without one
(``cache=False``), it is held throughout. Freed activity stays in the process heap for the
next batch (:mod:`chronoscore.analyses.extraction._heap_reuse`) and the result lives in its
own mapping in ordinary pages (:mod:`chronoscore.analyses.extraction._large_arrays`), which
cuts the kernel's share of the CPU time (resnet18, 1000 images of 224 px on two
cores: 9.3 s in the kernel before, 1.2 s now).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import torch
import xarray as xr
from torch import nn

import chronoscore
from chronoscore.analyses.checks import positive_int
from chronoscore.analyses.extraction._activations_layout import ActivationsLayout
from chronoscore.analyses.extraction._activity_batches import activity_batches, loads_in_worker, model_device
from chronoscore.analyses.extraction._large_arrays import empty_array
from chronoscore.analyses.extraction._projection import (
    Projection,
    ProjectionSpec,
    RandomProjection,
    fit_pca,
    parse_projection,
)
from chronoscore.analyses.extraction._verified_rewrites import CHECK_IMAGES, prepared_model
from chronoscore.analyses.extraction.cache import EntryWriter, default_cache_folder, entry_lock, entry_path, read_entry
from chronoscore.analyses.model_identity import model_identity
from chronoscore.errors import ConfigError, DataFormatError
from chronoscore.stimuli.hashing_dataset import HashingStimulusDataset
from chronoscore.stimuli.preprocessing import StimulusDataset
from chronoscore.stimuli.stimulus_set import StimulusSet

__all__ = ["extract", "ReadAhead", "StorageDtype", "budget_batch_size", "ACTIVITY_BUDGET_BYTES", "MAX_BATCH_SIZE"]

MAX_BATCH_SIZE = 64
"""The default batch size's upper bound (Brain-Score's batch size)."""
ACTIVITY_BUDGET_BYTES = 512 * 2**20
"""The recorded activity one default batch may hold: 512 MiB (the model's output is stacked over steps, so
twice that at the peak)."""

StorageDtype = Literal["float32", "float16"]
_STORAGE = {"float32": np.float32, "float16": np.float16}


def extract(model: nn.Module, stimulus_set: StimulusSet, areas: Sequence[str] | None = None,
            n_steps: int | None = None, *, image_size: int | None = None, model_degrees: float = 8.0,
            batch_size: int | None = None, projection: tuple | ProjectionSpec | None = None,
            dtype: StorageDtype = "float32", cache: bool | str | os.PathLike = True,
            device: str | torch.device | None = None, progress: bool = True,
            model_name: str | None = None) -> xr.DataArray:
    """Extract the activations of ``model``'s areas at every time step for every stimulus.

    Parameters
    ----------
    model : nn.Module
        A time-resolved model: a zoo model or one adapted by
        :func:`chronoscore.models.wrap_model` (anything with ``areas`` and
        ``forward_timesteps(images, n_steps, areas) -> {area: (T, B, C, H, W) or (T, B, D)}``).
    stimulus_set : StimulusSet
        The stimuli, placed on screen by visual angle and preprocessed by
        :class:`~chronoscore.stimuli.StimulusDataset`.
    areas : sequence of str, optional
        Areas to record, in this order along ``neuroid`` (default: all of ``model.areas``).
    n_steps : int, optional
        Time steps to run (default: the model's ``default_steps``).
    image_size : int, optional
        Side of the model's input in pixels; default ``model.input_size``, required
        for models without that attribute.
    model_degrees : float
        Visual angle the model's input spans (Brain-Score's default 8).
    batch_size : int, optional
        Images per batch. Default: at most 64, and fewer when one batch's recorded
        activity (every area at every step, measured on the first images) would
        exceed :data:`ACTIVITY_BUDGET_BYTES` (e.g. 6 for the release-size
        ``convrnn_intermediate_rgc`` at 224 px, 89 MB per image over 17 steps).
        The values depend on it only through float32 rounding (a convolution
        may sum in another order for another batch size).
    projection : tuple, optional
        ``("random", D)`` or ``("pca", D, fit_stimulus_set[, max_rows])``: at most
        D features per area (see :mod:`chronoscore.analyses.extraction._projection`); None keeps all.
    dtype : {"float32", "float16"}
        Storage type of the result (projections are computed in the model's precision).
    cache : bool or path-like
        True: use the cache under ``chronoscore.paths.cache_dir() / "activations"``;
        a path: the cache in that folder; False: neither read nor write a cache.
        With a cache, the result goes into the cache entry batch by batch while the
        model runs (see the module docstring on memory).
    device : str or torch.device, optional
        Where to run the model (default: where its parameters are). The model is
        moved there for the extraction and back afterwards.
    progress : bool
        Show progress bars (tqdm, on stderr).
    model_name : str, optional
        Name recorded in the attrs and the cache key (default: ``model.name`` if
        set, else the class name of the model or of the module it wraps).

    Returns
    -------
    xarray.DataArray, dims (presentation, neuroid, time_step)
        Values float32 or float16, presentation in the stimulus set's order.
        Coords: ``stimulus_id`` and every metadata column but ``filename`` on
        presentation; ``neuroid_id`` (``"<area>.<index>"``), ``layer`` (the area)
        and ``layer_steps`` (the area's number of steps; later steps are NaN) on
        neuroid; ``time_step`` (int) and ``time_ms`` (= time_step · ``model.step_ms``).
        Attrs: ``model``, ``weights_hash``, ``configuration_hash``,
        ``stimulus_set``, ``stimulus_set_hash``, ``projection``, ``image_size``,
        ``model_degrees``, ``stimulus_degrees``, ``n_steps``, ``step_ms``,
        ``chronoscore_version``, and the model's recorded origin (a training run's
        ``run_folder``, ``recipe_model``, ``checkpoint``, ``checkpoint_step``,
        ``checkpoint_sha256``; see :mod:`chronoscore.analyses.model_identity`).

    Raises
    ------
    ConfigError
        For a model without the time-resolved interface, unknown or repeated areas,
        a missing image size, or bad options; before any image is processed.
    DataFormatError
        For an empty stimulus set.
    FileFormatError
        For missing or corrupt image files (all listed), or a cache that cannot be written.
    """
    _check_time_resolved(model)
    if len(stimulus_set) == 0:
        raise DataFormatError(f"stimulus set {stimulus_set.identifier!r} holds no stimuli; give at least one.")
    areas = _resolve_areas(model, areas)
    steps = model.resolve_steps(n_steps) if hasattr(model, "resolve_steps") else n_steps
    image_size = _resolve_image_size(model, image_size)
    storage = _storage_dtype(dtype)
    if batch_size is not None:
        batch_size = positive_int("batch_size", batch_size)
    folder = _cache_folder(cache)
    spec = parse_projection(projection)
    device = model_device(model) if device is None else torch.device(device)
    # without a cache to look up first, the pass that reads the images also hashes them
    hash_on_the_way = folder is None and not loads_in_worker(device, len(stimulus_set), batch_size or 1)
    dataset = (HashingStimulusDataset if hash_on_the_way else StimulusDataset)(stimulus_set, image_size, model_degrees)
    fit_dataset = StimulusDataset(spec.fit_set, image_size, model_degrees) if spec and spec.kind == "pca" else None
    name = model_name or _default_name(model)
    attrs = _provenance(model, name, stimulus_set, spec, image_size, model_degrees, steps,
                        stimulus_set_hash=None if hash_on_the_way else stimulus_set.content_hash())

    def compute(entry: Path | None) -> xr.DataArray:
        read = ReadAhead(dataset, min(CHECK_IMAGES, len(dataset)))
        with prepared_model(model, device, read.first_images(), areas, steps) as prepared:
            batch = batch_size or budget_batch_size(prepared.recorded_bytes_per_image)
            projector = _projector(spec, model, fit_dataset, areas, steps, batch, device, progress)
            batches = activity_batches(model, read, areas, steps, batch, device,
                                       flatten=projector is not None, progress=progress,
                                       description=f"extracting {name}")
            batches = _projected(batches, projector)
            if entry is not None:
                writer = _stream(batches, entry, len(dataset), storage, stimulus_set, attrs)
            else:
                values, layout = _collect(batches, len(dataset), storage)
        if entry is not None:  # read back once the model's memory is freed
            return writer.finish()
        if hash_on_the_way:
            attrs["stimulus_set_hash"] = dataset.hasher.hexdigest()
        return layout.to_dataarray(values, stimulus_set, attrs["step_ms"], attrs)

    if folder is None:
        return compute(None)
    key = {**attrs, "areas": areas, "dtype": dtype, "projection": spec.key() if spec else None}
    path = entry_path(folder, name, key)
    with entry_lock(path, announce=progress):
        cached = read_entry(path)
        if cached is not None:
            return cached
        return compute(path)


def budget_batch_size(recorded_bytes_per_image: int) -> int:
    """The default batch size: at most :data:`MAX_BATCH_SIZE` images, at least one, and no more than
    :data:`ACTIVITY_BUDGET_BYTES` of recorded activity in a batch."""
    return max(1, min(MAX_BATCH_SIZE, ACTIVITY_BUDGET_BYTES // max(1, recorded_bytes_per_image)))


class ReadAhead(torch.utils.data.Dataset):
    """A stimulus dataset whose first ``n`` items are read once, at construction, and served from memory after.

    The speed tricks' check runs on those items before the extraction reads the
    rest, so each image is still decoded once (and a hashing dataset still sees
    the images in table order).
    """

    def __init__(self, dataset: StimulusDataset, n: int) -> None:
        self.dataset = dataset
        self.first = [dataset[index] for index in range(n)]

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        return self.first[index] if index < len(self.first) else self.dataset[index]

    def first_images(self) -> torch.Tensor:
        """The items read ahead as one batch, (n, 3, H, W)."""
        return torch.stack([image for image, _ in self.first])


def _provenance(model: nn.Module, name: str, stimulus_set: StimulusSet, spec: ProjectionSpec | None,
                image_size: int, model_degrees: float, steps: int | None, *, stimulus_set_hash: str | None) -> dict:
    """The Activations' attrs: what model, weights, stimuli and settings produced them.

    ``stimulus_set_hash`` None: filled in by the extraction pass (see :class:`HashingStimulusDataset`).
    """
    return {
        **model_identity(model, name),
        "stimulus_set": stimulus_set.identifier, "stimulus_set_hash": stimulus_set_hash,
        "projection": spec.describe() if spec else "none", "image_size": int(image_size),
        "model_degrees": float(model_degrees), "stimulus_degrees": float(stimulus_set.degrees),
        "n_steps": -1 if steps is None else int(steps), "step_ms": float(getattr(model, "step_ms", 10.0)),
        "chronoscore_version": chronoscore.__version__,
    }


def _projected(batches: Iterable[tuple[np.ndarray, dict[str, torch.Tensor]]],
               projector: Projection | None) -> Iterator[tuple[np.ndarray, dict[str, torch.Tensor]]]:
    """Each batch with every area projected (as it comes without a projector).

    Each area leaves the batch's dict as it is projected, so its full activity is
    freed before the next area's projection.
    """
    for indices, activity in batches:
        if projector is not None:
            activity = {area: projector.project(area, activity.pop(area)) for area in list(activity)}
        yield indices, activity


def _collect(batches: Iterable[tuple[np.ndarray, dict[str, torch.Tensor]]], n_images: int,
             storage: type[np.floating]) -> tuple[np.ndarray, ActivationsLayout]:
    """Copy each batch into one preallocated (N, neuroid, time_step) array."""
    values, layout = None, None
    for indices, activity in batches:
        if layout is None:
            layout = ActivationsLayout(activity)
            values = empty_array((n_images, layout.n_neuroids, layout.n_steps), storage)
        layout.store(values, slice(int(indices[0]), int(indices[-1]) + 1), activity)
    return values, layout


def _stream(batches: Iterable[tuple[np.ndarray, dict[str, torch.Tensor]]], path: Path, n_images: int,
            storage: type[np.floating], stimulus_set: StimulusSet, attrs: dict) -> EntryWriter:
    """Write each batch, (B, neuroid, time_step), into the cache entry at ``path`` as it comes; the writer, to finish.

    The result is never held whole while the model runs: memory holds one batch's
    rows. Batches arrive in the stimulus set's order.
    """
    writer, layout = None, None
    with contextlib.ExitStack() as on_error:
        for indices, activity in batches:
            if layout is None:
                layout = ActivationsLayout(activity)
                shape = (n_images, layout.n_neuroids, layout.n_steps)
                template = layout.to_dataarray(np.broadcast_to(storage(0), shape), stimulus_set, attrs["step_ms"],
                                               attrs)
                writer = on_error.enter_context(EntryWriter(path, template))
            rows = np.empty((len(indices), layout.n_neuroids, layout.n_steps), storage)
            layout.store(rows, slice(0, len(rows)), activity)
            writer.write_rows(rows)
        on_error.pop_all()  # complete: the caller finishes the entry
    return writer


def _projector(spec: ProjectionSpec | None, model: nn.Module, fit_dataset: StimulusDataset | None,
               areas: Sequence[str], steps: int | None, batch_size: int, device: torch.device,
               progress: bool) -> Projection | None:
    """The projection to apply; a PCA is fitted here on its own stimulus set, batch by batch."""
    if spec is None:
        return None
    if spec.kind == "random":
        return RandomProjection(spec.n_components)
    batches = activity_batches(model, fit_dataset, areas, steps, batch_size, device, progress=progress,
                               description="fitting PCA")
    return fit_pca(batches, len(fit_dataset), spec.n_components, spec.max_rows)


def _check_time_resolved(model: object) -> None:
    if not isinstance(model, nn.Module) or not hasattr(model, "forward_timesteps") or not hasattr(model, "areas"):
        raise ConfigError(
            f"extract needs a time-resolved model (areas and forward_timesteps), got {type(model).__name__}; "
            "adapt an outside network with chronoscore.models.wrap_model(module, {'IT': 'layer4', ...}).")


def _resolve_areas(model: nn.Module, areas: Sequence[str] | None) -> list[str]:
    if isinstance(areas, str):
        areas = [areas]
    if areas is not None and len(set(areas)) != len(areas):
        raise ConfigError(f"areas {list(areas)} name an area more than once; give each once.")
    if areas is not None and not areas:
        raise ConfigError(f"areas is empty; give at least one of {list(model.areas)} (or None for all).")
    if hasattr(model, "resolve_areas"):
        return list(model.resolve_areas(areas))
    unknown = [area for area in areas or () if area not in model.areas]
    if unknown:
        raise ConfigError(f"unknown area(s) {unknown}; this model has {list(model.areas)}.")
    return list(model.areas if areas is None else areas)


def _resolve_image_size(model: nn.Module, image_size: int | None) -> int:
    size = getattr(model, "input_size", None) if image_size is None else image_size
    if size is None:
        raise ConfigError(f"{type(model).__name__} records no input_size; pass image_size=<pixels> "
                          "(e.g. 224 for ImageNet networks).")
    return positive_int("image_size", size)


def _storage_dtype(dtype: str) -> type[np.floating]:
    if dtype not in _STORAGE:
        raise ConfigError(f"dtype must be one of {list(_STORAGE)}, got {dtype!r}.")
    return _STORAGE[dtype]


def _cache_folder(cache: bool | str | os.PathLike) -> Path | None:
    if cache is True:
        return default_cache_folder()
    if cache is False:
        return None
    if isinstance(cache, (str, os.PathLike)):
        return Path(cache)
    raise ConfigError(f"cache must be True, False or a folder path, got {cache!r}.")


def _default_name(model: nn.Module) -> str:
    name = getattr(model, "name", None)
    if isinstance(name, str) and name:
        return name
    inner = getattr(model, "module", None)
    return type(inner if isinstance(inner, nn.Module) else model).__name__

