"""Speed tricks for an extraction, each proven equal to the plain network on the inputs at hand.

Extraction may run a model rewritten for speed: on the CPU in channels-last
memory format (:mod:`chronoscore.analyses.extraction._activity_batches`) and, for a wrapped
outside network, with batch norms folded into convolutions
(:mod:`chronoscore.analyses.extraction._batchnorm_folding`) and convolutions fused with the
ReLU or residual sum after them (:mod:`chronoscore.analyses.extraction._convolution_fusion`),
each area's graph and the network's graph around the areas separately. Outside
code can defeat any rewrite (a block that changes a convolution's stride
between calls, a branch on Python state), so none is trusted:
:func:`prepared_model` first runs the plain network (eval mode, standard memory
format, nothing folded or fused) on the check images — the first images of the
stimulus set — then the rewritten one, and compares every recorded output of
every area at every step. They must agree within :data:`RELATIVE_TOLERANCE`
of each area's largest absolute value (float32; a step whose values are all
zero must match exactly).

When the rewritten network raises or differs, the rewrites are withdrawn one
at a time and the check runs again: first the fusion of the network's graph,
then the fusion of the first area (in the model's order) that differs, area by
area (all areas' fusion at once when it raised), then batch-norm folding, then
channels-last. The first configuration that agrees is used, and one
:class:`RewriteFallbackWarning` names every rewrite withdrawn and why. If even
the plain network disagrees with itself (a model whose outputs change from one
pass to the next), extraction runs it plain and the warning says so.

The check costs one pass of the plain network and one of the rewritten one over
the check images (8 by default): for resnet18 at 224 px about 0.4 of the
~25 CPU seconds that 1000 images take (``benchmarks/bench_extract.py`` prints it).
"""

from __future__ import annotations

import contextlib
import dataclasses
import warnings
from collections.abc import Iterator, Sequence

import torch
from torch import nn

from chronoscore.analyses.extraction._activity_batches import (
    channels_last_preferred,
    evaluation_mode,
    holds_channels_last,
    model_device,
)
from chronoscore.analyses.extraction._batchnorm_folding import batchnorm_folded
from chronoscore.analyses.extraction._convolution_fusion import convolutions_fused, fusable_areas, fusion_available
from chronoscore.analyses.extraction._heap_reuse import free_heap_returned, heap_kept
from chronoscore.models.wrap import HookedModel

__all__ = ["RELATIVE_TOLERANCE", "CHECK_IMAGES", "Rewrites", "RewriteFallbackWarning", "PreparedModel", "prepared_model",
           "fastest_rewrites", "rewritten"]

RELATIVE_TOLERANCE = 1e-5
"""Largest allowed |rewritten − plain| as a fraction of an area's largest |plain| value."""

CHECK_IMAGES = 8
"""How many of the first images the plain and the rewritten network are compared on."""


class RewriteFallbackWarning(UserWarning):
    """A speed trick was withdrawn because the rewritten network raised or differed from the plain one."""


@dataclasses.dataclass(frozen=True)
class Rewrites:
    """Which speed tricks a network runs with.

    Attributes
    ----------
    channels_last : bool
        4-D weights and inputs in channels-last memory format.
    fold_batchnorm : bool
        Batch norms folded into the convolutions before them (wrapped networks).
    fused_areas : frozenset of str
        Submodule paths of the areas whose own graphs run with fused convolutions.
    fuse_network : bool
        The network's graph around the areas runs with fused convolutions.
    """

    channels_last: bool = False
    fold_batchnorm: bool = False
    fused_areas: frozenset[str] = frozenset()
    fuse_network: bool = False

    def describe(self) -> str:
        """A short text of the rewrites in force, e.g. ``"channels-last, batch norms folded"``."""
        parts = ["channels-last"] if self.channels_last else []
        parts += ["batch norms folded"] if self.fold_batchnorm else []
        parts += [f"fused convolutions in {sorted(self.fused_areas)}"] if self.fused_areas else []
        parts += ["fused convolutions around the areas"] if self.fuse_network else []
        return ", ".join(parts) or "none (plain network)"


def fastest_rewrites(model: nn.Module, device: torch.device) -> Rewrites:
    """Every speed trick that applies to ``model`` on ``device`` (before any check)."""
    on_cpu = channels_last_preferred(device)
    wrapped = isinstance(model, HookedModel)
    fuse = wrapped and on_cpu and fusion_available()
    areas = fusable_areas(model.module, model.area_paths.values()) if fuse else []
    return Rewrites(channels_last=on_cpu, fold_batchnorm=wrapped, fused_areas=frozenset(areas), fuse_network=fuse)


@contextlib.contextmanager
def rewritten(model: nn.Module, rewrites: Rewrites) -> Iterator[nn.Module]:
    """``model`` (already in eval mode on its device) running with ``rewrites`` for the block; restored after."""
    with contextlib.ExitStack() as stack:
        if rewrites.channels_last:
            stack.enter_context(evaluation_mode(model, model_device(model), channels_last=True))
        if isinstance(model, HookedModel):
            paths = list(model.area_paths.values())
            if rewrites.fold_batchnorm:
                stack.enter_context(batchnorm_folded(model.module, keep=paths))
            if rewrites.fused_areas or rewrites.fuse_network:
                stack.enter_context(_module_swapped(model, stack.enter_context(convolutions_fused(
                    model.module, paths, fuse_areas=rewrites.fused_areas, fuse_network=rewrites.fuse_network))[0]))
        yield model


@contextlib.contextmanager
def prepared_model(model: nn.Module, device: torch.device, check_images: torch.Tensor, areas: Sequence[str],
                   n_steps: int | None) -> Iterator[PreparedModel]:
    """``model`` in eval mode on ``device`` with every speed trick that its check passes, for a ``with`` block.

    Parameters
    ----------
    model : nn.Module
        A time-resolved model (``forward_timesteps``).
    device : torch.device
        Where it runs (moved there for the block and back afterwards).
    check_images : Tensor (B, 3, H, W)
        Images to compare the plain and the rewritten network on (the first of the extraction's).
    areas : sequence of str
        The areas that will be recorded (each is compared at every step).
    n_steps : int or None
        Steps to run (None: the model's default).

    Yields
    ------
    PreparedModel
        The speed tricks in force (see the module docstring; the model itself
        is changed in place for the block and restored on leaving) and the bytes
        one image's recorded activity takes.
    """
    images = check_images.to(device)
    with evaluation_mode(model, device), heap_kept():
        plain = _recorded(model, images, areas, n_steps)
        bytes_per_image = -(-sum(tensor.numel() * tensor.element_size() for tensor in plain.values()) // len(images))
        rewrites, withdrawn = fastest_rewrites(model, device), []
        while True:
            stack = contextlib.ExitStack()
            problem, culprit = _problem(model, rewrites, stack, images, areas, n_steps, plain)
            if problem is None:
                break
            stack.close()
            if rewrites == Rewrites():
                withdrawn.append(f"none could be checked: the plain network itself {problem}")
                stack = contextlib.ExitStack()
                break
            rewrites, what = _withdraw(model, rewrites, culprit)
            withdrawn.append(f"{what} ({problem})")
        del plain  # not held while the extraction runs, and the check's freed memory goes back to the kernel
        free_heap_returned()
        if withdrawn:
            warnings.warn(f"{_name(model)}: speed tricks withdrawn for this extraction, since the rewritten network "
                          f"did not compute the plain one: {'; '.join(withdrawn)}. Running with: "
                          f"{rewrites.describe()}.", RewriteFallbackWarning, stacklevel=3)
        with stack:
            yield PreparedModel(rewrites, bytes_per_image)


@dataclasses.dataclass(frozen=True)
class PreparedModel:
    """What :func:`prepared_model` found.

    Attributes
    ----------
    rewrites : Rewrites
        The speed tricks in force.
    recorded_bytes_per_image : int
        Bytes of one image's recorded activity, every area at every step (measured
        on the check images).
    """

    rewrites: Rewrites
    recorded_bytes_per_image: int


def _problem(model: nn.Module, rewrites: Rewrites, stack: contextlib.ExitStack, images: torch.Tensor,
             areas: Sequence[str], n_steps: int | None,
             plain: dict[str, torch.Tensor]) -> tuple[str | None, str | None]:
    """Enter ``rewrites`` on ``stack`` and compare with ``plain``: (None, None) when they agree, else (why, area)."""
    try:
        stack.enter_context(rewritten(model, rewrites))
        recorded = _recorded(model, images, areas, n_steps)
    except Exception as error:  # noqa: BLE001 - any failure of a rewritten network withdraws a rewrite
        return f"raised {type(error).__name__}: {error}", None
    for area in areas:
        difference = _difference(plain[area], recorded[area])
        if difference is not None:
            return f"area {area!r} {difference}", area
    return None, None


def _withdraw(model: nn.Module, rewrites: Rewrites, culprit: str | None) -> tuple[Rewrites, str]:
    """The next, less rewritten configuration and a description of what was withdrawn."""
    if rewrites.fuse_network:
        return dataclasses.replace(rewrites, fuse_network=False), "fusion around the areas"
    path = model.area_paths.get(culprit) if isinstance(model, HookedModel) else None
    if path in rewrites.fused_areas:
        return (dataclasses.replace(rewrites, fused_areas=rewrites.fused_areas - {path}),
                f"fusion in area {culprit!r}")
    if rewrites.fused_areas and culprit is None:
        return dataclasses.replace(rewrites, fused_areas=frozenset()), "fusion in every area"
    if rewrites.fold_batchnorm:
        return dataclasses.replace(rewrites, fold_batchnorm=False), "batch-norm folding"
    if rewrites.fused_areas:
        return dataclasses.replace(rewrites, fused_areas=frozenset()), "fusion in every area"
    return dataclasses.replace(rewrites, channels_last=False), "channels-last memory format"


def _difference(plain: torch.Tensor, rewritten_values: torch.Tensor) -> str | None:
    """None when the two recordings of an area agree (see the module docstring), else how they differ.

    Compared one step (first index) at a time in float64, so that the float64
    copies never cover the whole recording.
    """
    if plain.shape != rewritten_values.shape:
        return f"has shape {tuple(rewritten_values.shape)} instead of {tuple(plain.shape)}"
    scale = error = 0.0
    for plain_step, other_step in zip(plain, rewritten_values):
        plain_step, other_step = plain_step.double(), other_step.double()
        if not torch.equal(torch.isnan(plain_step), torch.isnan(other_step)):
            return "has NaN where the plain network has none, or the reverse"
        if plain_step.numel():
            scale = max(scale, float(plain_step.nan_to_num().abs().max()))
            error = max(error, float((plain_step - other_step).nan_to_num().abs().max()))
    if error > RELATIVE_TOLERANCE * scale:
        return f"differs by {error / scale if scale else float('inf'):.2g} of its largest value"
    return None


def _recorded(model: nn.Module, images: torch.Tensor, areas: Sequence[str],
              n_steps: int | None) -> dict[str, torch.Tensor]:
    """Every requested area's activity (T, B, ...) on ``images``, as the extraction passes them."""
    if holds_channels_last(model):
        images = images.contiguous(memory_format=torch.channels_last)
    with torch.no_grad():
        recorded = dict(model.forward_timesteps(images, n_steps, list(areas)))
    return {area: recorded.pop(area).clone() for area in areas}  # each original freed once copied


@contextlib.contextmanager
def _module_swapped(model: HookedModel, runner: nn.Module) -> Iterator[None]:
    original = model.module
    model.module = runner
    try:
        yield
    finally:
        model.module = original


def _name(model: nn.Module) -> str:
    inner = getattr(model, "module", None)
    return type(inner if isinstance(inner, nn.Module) else model).__name__
