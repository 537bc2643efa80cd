"""Adapt any ``nn.Module`` to the time-resolved interface by recording calls with hooks.

``wrap_model(module, {"V4": "V4.output", "IT": "IT.output"})`` turns a torchvision,
timm or CORnet-style network into a :class:`~chronoscore.models.base.TimeResolvedModel`.

How steps are counted
---------------------
Every call of ``forward`` or ``forward_timesteps`` runs the wrapped module exactly once
on the images. While it runs, forward hooks on the named submodules record each call
as one time step: a block whose weights are reused in a loop (CORnet-S's ``V4``
called 4 times) gives 4 steps, a submodule called once gives T = 1. Areas may be
called different numbers of times, so each area has its own T.

``n_steps`` given to :func:`wrap_model` declares how many steps the module runs: the
largest number of times any area is called in one pass (1 for feedforward networks).
It becomes :attr:`default_steps`, and it is checked on every pass: an area called more
often raises :class:`~chronoscore.errors.ConfigError` naming the right value.
``forward_timesteps(images, n_steps=k)`` keeps each area's first ``min(k, T)`` steps;
``k`` above the declared number asks for more steps than the module produces and
raises. The module always runs its whole pass, so ``forward(images, n_steps)`` only
accepts None or the declared number.

What is recorded
----------------
Each call's output, cloned at once so that later in-place operations of the module
(``ReLU(inplace=True)``) cannot change it; gradients flow through the clone. When a
submodule returns a tuple or list (an RNN's ``(output, state)``), the first tensor in
it (searched depth first) is recorded. Outputs of shape (B, C, H, W) or (B, D) are
kept; any other shape (B, ...) is flattened to (B, D). The first dimension must be
the batch. Hooks exist only during a pass and are removed afterwards, also when the
module raises.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence

import torch
from torch import nn

from chronoscore.errors import ConfigError
from chronoscore.models.base import TimeResolvedModel

__all__ = ["HookedModel", "count_calls", "wrap_model"]


class HookedModel(TimeResolvedModel):
    """An outside module whose named submodules are recorded at every call.

    Build it with :func:`wrap_model`; the parameters are the same.

    Parameters
    ----------
    module : nn.Module
        The network; kept as the submodule ``module`` (state dict keys ``module.*``).
    areas : mapping of str to str
        Area name -> dotted submodule path (``"layer4"``, ``"features.8"``), input to output.
    n_steps : int
        Largest number of calls of any area in one pass (see the module docstring).
    step_ms : float
        Milliseconds of simulated time per step.
    readout : str or None
        Dotted path of the submodule whose output (its last call's) ``forward`` returns
        as logits; None returns the module's own output.
    input_size : int or None
        Side of the square input in pixels that the module expects (kept as
        :attr:`input_size`, which extraction and its provenance use); None when unknown.
    """

    def __init__(self, module: nn.Module, areas: Mapping[str, str], *, n_steps: int = 1,
                 step_ms: float = 10.0, readout: str | None = None, input_size: int | None = None) -> None:
        if not areas:
            raise ConfigError("areas is empty; map at least one area name to a submodule path, "
                              "e.g. {'IT': 'layer4'}.")
        if isinstance(step_ms, bool) or not isinstance(step_ms, (int, float)) or not step_ms > 0:
            raise ConfigError(f"step_ms must be a positive number of milliseconds, got {step_ms!r}.")
        super().__init__(list(areas), step_ms=step_ms)
        self.default_steps = self.resolve_steps(n_steps)
        if input_size is not None and (isinstance(input_size, bool) or not isinstance(input_size, int)
                                       or input_size < 1):
            raise ConfigError(f"input_size must be a positive number of pixels, got {input_size!r}.")
        self.module = module
        self.area_paths = dict(areas)
        self.readout = readout
        self.input_size = input_size
        for area, path in self.area_paths.items():
            _submodule(module, path, f"area {area!r}")
        if readout is not None:
            _submodule(module, readout, "readout")

    def forward(self, images: torch.Tensor, n_steps: int | None = None) -> torch.Tensor:
        """Logits of one pass of the module.

        Parameters
        ----------
        images : Tensor (B, 3, H, W)
            Or whatever input the wrapped module takes.
        n_steps : int or None
            None or :attr:`default_steps`; the module cannot stop early.

        Returns
        -------
        Tensor (B, n_classes)
            The module's output (first tensor of a tuple), or the readout submodule's.
        """
        if n_steps is not None and self.resolve_steps(n_steps) != self.default_steps:
            raise ConfigError(f"a wrapped module always runs its whole pass of {self.default_steps} "
                              f"step(s), so forward cannot stop after n_steps={n_steps}; pass n_steps=None.")
        if self.readout is None:
            return _required_tensor(self.module(images), "the wrapped module's output")
        recorded = self._record(images, {"readout": self.readout})
        return recorded["readout"][-1]

    def forward_timesteps(self, images: torch.Tensor, n_steps: int | None = None,
                          areas: Sequence[str] | None = None) -> dict[str, torch.Tensor]:
        """Every recorded call of each requested area, from one pass of the module.

        Parameters
        ----------
        images : Tensor (B, 3, H, W)
            Or whatever input the wrapped module takes.
        n_steps : int or None
            Keep each area's first ``min(n_steps, T)`` steps; None keeps all of them.
            More than :attr:`default_steps` raises ConfigError.
        areas : sequence of str or None
            Areas to record (all by default); only these are hooked.

        Returns
        -------
        dict of str to Tensor
            {area: (T, B, C, H, W) or (T, B, D)}, T = calls of that area in the pass.
        """
        steps = self.resolve_steps(n_steps)
        if steps > self.default_steps:
            raise ConfigError(f"n_steps={steps} asks for more steps than the wrapped module produces "
                              f"({self.default_steps}, its most-called area's calls per pass).")
        names = self.resolve_areas(areas)
        recorded = self._record(images, {area: self.area_paths[area] for area in names})
        batch = images.shape[0]
        activity = {}
        for area in names:
            calls = recorded[area]
            if len(calls) > self.default_steps:
                raise ConfigError(f"area {area!r} ({self.area_paths[area]!r}) was called {len(calls)} times "
                                  f"in one pass, more than the n_steps={self.default_steps} given to "
                                  f"wrap_model; wrap the module with n_steps={len(calls)}.")
            activity[area] = _stack_steps(area, calls[:steps], batch)
        return activity

    def _record(self, images: torch.Tensor, paths: Mapping[str, str]) -> dict[str, list[torch.Tensor]]:
        """Run the module once with hooks on ``paths``; {label: [recorded output per call]}."""
        recorded: dict[str, list[torch.Tensor]] = {label: [] for label in paths}
        handles = []
        try:
            for label, path in paths.items():
                hook = _recording_hook(recorded[label], label)
                handles.append(_submodule(self.module, path, label).register_forward_hook(hook))
            self.module(images)
        finally:
            for handle in handles:
                handle.remove()
        silent = [label for label, calls in recorded.items() if not calls]
        if silent:
            raise ConfigError(f"nothing was recorded for {silent}: submodule(s) {[paths[label] for label in silent]} "
                              f"never ran during a forward pass of {type(self.module).__name__}; map them to "
                              "submodules that the module's forward uses.")
        return recorded


def wrap_model(module: nn.Module, areas: dict[str, str], *, n_steps: int = 1,
               step_ms: float = 10.0, readout: str | None = None, input_size: int | None = None) -> HookedModel:
    """Adapt ``module`` to the time-resolved interface; each call of an area is one step.

    Parameters
    ----------
    module : nn.Module
        Any network taking images (B, 3, H, W).
    areas : dict of str to str
        Area name -> dotted submodule path, e.g. ``{"V4": "V4.output", "IT": "IT.output"}``.
        Unknown paths raise ConfigError listing close matches.
    n_steps : int
        Largest number of calls of any area in one pass (1 for feedforward networks).
    step_ms : float
        Milliseconds of simulated time per step.
    readout : str or None
        Dotted path of the submodule whose last output ``forward`` returns; None: the
        module's own output.
    input_size : int or None
        Side of the square input in pixels (e.g. 224 for ImageNet networks); lets
        extraction and scoring run without being told the image size again.

    Returns
    -------
    HookedModel
        See this module's docstring for how steps are counted and recorded.
    """
    return HookedModel(module, areas, n_steps=n_steps, step_ms=step_ms, readout=readout, input_size=input_size)


def count_calls(module: nn.Module, areas: Mapping[str, str], input_size: int) -> dict[str, int]:
    """How often each area's submodule runs in one pass of ``module`` on a grey image of ``input_size`` pixels.

    The pass runs in eval mode without gradients (modes restored after), on the
    module's device. Use the largest count as ``n_steps`` of :func:`wrap_model`.

    Returns
    -------
    dict of str to int
        Area name -> calls (0 for an area whose submodule did not run).
    """
    modes = [(submodule, submodule.training) for submodule in module.modules()]
    parameter = next(iter(module.parameters()), None)
    images = torch.zeros(1, 3, input_size, input_size,
                         device=None if parameter is None else parameter.device)
    counts = {area: 0 for area in areas}
    handles = [_submodule(module, path, area).register_forward_hook(
        lambda *_, area=area: counts.__setitem__(area, counts[area] + 1)) for area, path in areas.items()]
    module.eval()
    try:
        with torch.no_grad():
            module(images)
    finally:
        for handle in handles:
            handle.remove()
        for submodule, training in modes:
            submodule.training = training
    return counts


def _submodule(module: nn.Module, path: str, label: str) -> nn.Module:
    """The submodule at dotted ``path``; unknown paths raise with close matches."""
    if isinstance(path, str):
        try:
            return module.get_submodule(path)
        except AttributeError:
            pass
    names = [name for name, _ in module.named_modules() if name]
    close = difflib.get_close_matches(str(path), names, n=5)
    children = [name for name, _ in module.named_children()]
    hint = f"close matches: {close}" if close else f"its top-level submodules: {children}"
    raise ConfigError(f"{label}: {type(module).__name__} has no submodule {path!r}; {hint}. "
                      "`dict(module.named_modules())` lists every path.")


def _recording_hook(calls: list[torch.Tensor], label: str) -> Callable[[nn.Module, object, object], None]:
    """A forward hook appending a clone of each output's first tensor to ``calls``."""
    def hook(module: nn.Module, inputs: object, output: object) -> None:
        calls.append(_required_tensor(output, f"the output of {label}").clone())
    return hook


def _first_tensor(value: object) -> torch.Tensor | None:
    """``value`` itself if a tensor, else the first tensor inside nested tuples/lists, else None."""
    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, (tuple, list)):
        for item in value:
            tensor = _first_tensor(item)
            if tensor is not None:
                return tensor
    return None


def _required_tensor(value: object, what: str) -> torch.Tensor:
    """:func:`_first_tensor` of ``value``; raises when it holds none."""
    tensor = _first_tensor(value)
    if tensor is None:
        raise ConfigError(f"{what} is a {type(value).__name__} holding no tensor; map it to a "
                          "submodule that returns a tensor (or a tuple starting with one).")
    return tensor


def _stack_steps(area: str, calls: list[torch.Tensor], batch: int) -> torch.Tensor:
    """Outputs of one area's calls, each (B, ...), as (T, B, C, H, W) or (T, B, D)."""
    steps = []
    for output in calls:
        if output.dim() == 0 or output.shape[0] != batch:
            raise ConfigError(f"area {area!r} gave an output of shape {tuple(output.shape)} for a batch of "
                              f"{batch}; its first dimension must be the batch (e.g. batch_first=True for RNNs).")
        steps.append(output if output.dim() in (2, 4) else output.reshape(batch, -1))
    shapes = sorted({tuple(step.shape) for step in steps})
    if len(shapes) > 1:
        raise ConfigError(f"area {area!r} gave outputs of different shapes {shapes} in one pass; its submodule "
                          "is probably reused at several places (e.g. a shared ReLU). Map the area to a "
                          "submodule used at one place.")
    return steps[0].unsqueeze(0) if len(steps) == 1 else torch.stack(steps)  # one step: a view, not a copy
