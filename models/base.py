"""The time-resolved model interface every chronoscore model implements.

A model sees a batch of images and unrolls for ``T`` time steps of ``step_ms``
milliseconds each (T = 1 for feedforward models). It exposes

``areas``
    ordered names of the layers whose activity can be recorded (named after brain
    areas where the model claims a correspondence);
``forward(images, n_steps=None) -> logits``
    class scores (B, n_classes) from the model's readout;
``forward_timesteps(images, n_steps=None, areas=None) -> dict``
    for each requested area its activity at every step, (T, B, C, H, W) for
    convolutional maps or (T, B, D) for vectors.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from chronoscore.errors import ConfigError

__all__ = ["TimeResolvedModel"]


class TimeResolvedModel(nn.Module):
    """Base class: stores ``areas``, ``step_ms`` and ``default_steps`` and checks requests.

    Subclasses implement :meth:`forward_timesteps` and :meth:`forward`.

    Parameters
    ----------
    areas : sequence of str
        Recordable layers, input to output.
    default_steps : int
        Steps run when ``n_steps`` is None (1 for feedforward models).
    step_ms : float
        Milliseconds of simulated time per step.
    """

    input_convention: str = "imagenet"
    """How the model's training images are prepared: "imagenet" (normalised RGB, B × 3 × H × W) or
    "unit_gray" (one grey channel in [0, 1], background 0, B × 1 × H × W); a recipe's
    ``data.input`` defaults to it."""

    def __init__(self, areas: Sequence[str], default_steps: int = 1, step_ms: float = 10.0) -> None:
        super().__init__()
        self.areas = tuple(areas)
        self.default_steps = int(default_steps)
        self.step_ms = float(step_ms)

    def forward(self, images: torch.Tensor, n_steps: int | None = None) -> torch.Tensor:  # pragma: no cover
        """Class scores (B, n_classes) for images (B, 3, H, W)."""
        raise NotImplementedError

    def forward_timesteps(self, images: torch.Tensor, n_steps: int | None = None,
                          areas: Sequence[str] | None = None) -> dict[str, torch.Tensor]:  # pragma: no cover
        """Activity of each area at every step: {area: (T, B, C, H, W) or (T, B, D)}."""
        raise NotImplementedError

    def resolve_steps(self, n_steps: int | None) -> int:
        """``n_steps`` checked, or the default."""
        steps = self.default_steps if n_steps is None else n_steps
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
            raise ConfigError(f"n_steps must be a positive integer, got {n_steps!r}.")
        return steps

    def resolve_areas(self, areas: Sequence[str] | None) -> tuple[str, ...]:
        """Requested areas checked against :attr:`areas` (all of them by default)."""
        if areas is None:
            return self.areas
        unknown = [area for area in areas if area not in self.areas]
        if unknown:
            raise ConfigError(f"unknown area(s) {unknown}; this model has {list(self.areas)}.")
        return tuple(areas)
