"""What the ConvRNNs and their feedforward controls share: the layer stack, the readout, input checks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from torch import nn

from chronoscore.errors import ConfigError, DataFormatError
from chronoscore.models.base import TimeResolvedModel
from chronoscore.models.convrnn_bases import BaseArchitecture, Depth, base_architecture, scaled_channels
from chronoscore.models.convrnn_layer import ConvRNNLayer

__all__ = ["ConvNetBackbone"]


def _check_positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{name} must be a positive integer, got {value!r}.")
    return value


class ConvNetBackbone(TimeResolvedModel):
    """A base's layers (optionally with cells and feedback) and a linear readout.

    Parameters
    ----------
    depth : {"shallow", "intermediate"}
        Which base (see :mod:`chronoscore.models.convrnn_bases`).
    cell : str or None
        Cell placed in the base's recurrent layers; None for a feedforward network.
    cell_options : mapping, optional
        Keyword arguments of every cell.
    feedback_edges : sequence of (int, int)
        (source, target) layer indices, 0-based, of the long-range feedback.
    input_size : int
        Side of the square input images (pixels).
    width : float
        Multiplier of every layer's channel count.
    n_classes : int
        Outputs of the readout.
    default_steps : int
        Steps run when ``n_steps`` is None.
    step_ms : float
        Milliseconds per step.

    Notes
    -----
    The readout ("imnetds" in the release) of the intermediate bases averages the top
    layer over space and applies a fully connected layer (``C_top · n_classes +
    n_classes`` parameters); that of the shallow base convolves the top layer with a
    2×2 "VALID" kernel (shrunk to the map where the map is smaller, where the release
    would fail) and averages the result over space (``4 · C_top · n_classes +
    n_classes``).
    """

    def __init__(self, depth: Depth, *, cell: str | None, cell_options: Mapping[str, object] | None,
                 feedback_edges: Sequence[tuple[int, int]], input_size: int, width: float, n_classes: int,
                 default_steps: int, step_ms: float) -> None:
        base = base_architecture(depth, cell)
        for name, value in (("width", width), ("step_ms", step_ms)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise ConfigError(f"{name} must be a positive number, got {value!r}.")
        super().__init__(base.areas, default_steps=_check_positive_int("n_steps", default_steps), step_ms=step_ms)
        self.depth = depth
        self.input_size = _check_positive_int("input_size", input_size)
        self.width = float(width)
        self.n_classes = _check_positive_int("n_classes", n_classes)
        self.feedback_edges = tuple(feedback_edges)
        # the release concatenates feedback in the order of the source names as text (conv10 before conv6)
        self.feedback_sources = tuple(
            tuple(sorted((source for source, target in self.feedback_edges if target == index),
                         key=lambda source: f"conv{source + 1}"))
            for index in range(len(base.layers)))
        layers, in_channels, size = [], 3, (self.input_size, self.input_size)
        for index, spec in enumerate(base.layers):
            options = self._cell_options(base, index, cell, cell_options) if spec.recurrent else {}
            feedback_channels = [scaled_channels(int(self._cell_options(base, source, cell, cell_options).get(
                "channels", base.layers[source].channels)), width) for source in self.feedback_sources[index]]
            layer = ConvRNNLayer(in_channels, spec, width, cell, options, feedback_channels,
                                 linear_drive=cell in base.linear_drive_cells,
                                 cell_size=tuple(-(-side // spec.stride) for side in size))
            layers.append(layer)
            in_channels, size = layer.out_channels, layer.output_size(*size)
        self.layers = nn.ModuleList(layers)
        kernel = min(base.readout_kernel, *size)
        self.classifier = nn.Conv2d(in_channels, n_classes, kernel) if kernel > 1 else nn.Linear(in_channels,
                                                                                                 n_classes)

    @staticmethod
    def _cell_options(base: BaseArchitecture, index: int, cell: str | None,
                      cell_options: Mapping[str, object] | None) -> dict[str, object]:
        if cell is None:
            return {}
        return {**base.layer_cell_options(cell, index), **(cell_options or {})}

    def check_images(self, images: torch.Tensor) -> None:
        """Raise :class:`DataFormatError` unless ``images`` is (B, 3, input_size, input_size)."""
        expected = (3, self.input_size, self.input_size)
        if not isinstance(images, torch.Tensor) or images.ndim != 4 or tuple(images.shape[1:]) != expected:
            shape = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
            raise DataFormatError(
                f"images must be a tensor (B, {', '.join(map(str, expected))}), got {shape}; resize the images "
                f"to {self.input_size} px or build the model with input_size=<their side>.")

    def area_shapes(self) -> list[tuple[int, int, int]]:
        """(C, H, W) of every layer's output for images of ``input_size``, input to output."""
        shapes, height, width = [], self.input_size, self.input_size
        for layer in self.layers:
            height, width = layer.output_size(height, width)
            shapes.append((layer.out_channels, height, width))
        return shapes

    def classify(self, top: torch.Tensor) -> torch.Tensor:
        """Class scores (N, n_classes) from top-layer maps (N, C, H, W)."""
        if isinstance(self.classifier, nn.Conv2d):
            return self.classifier(top).mean(dim=(2, 3))
        return self.classifier(top.mean(dim=(2, 3)))
