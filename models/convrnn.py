"""The ConvRNN zoo of Nayebi et al. (2018): local recurrent cells (and feedback) in a CNN base.

Registered models: ``convrnn_shallow_<cell>`` and ``convrnn_intermediate_<cell>`` for
every cell in ``rgc, vanilla, lstm, gru, ugrnn, intersection, time_decay`` (bases in
:mod:`chronoscore.models.convrnn_bases`, cells in :mod:`chronoscore.models.layers`).

Biological unrolling, as in the authors' release: every edge, feedforward and
feedback, takes one step. Layer l (1-based) at step t reads the output of layer l−1
and of its feedback sources at step t−1; layer 1 reads the frame shown at step t. So
the image first reaches layer l at step l−1. By default (``undriven="run"``) every
layer runs from step 0, on zero inputs until activity arrives, so its biases drive it
before the image does (the release's graph does this); ``undriven="silent"`` instead
keeps a layer's output at exactly zero until the image reaches it. The readout is a
node of its own (``readout_delay=True``): the logits at step t read the top layer at
step t−1, so they exist from step L on (L = number of layers). After ``image_off``
steps the image turns to a gray screen of ``gray`` (0.5) in image space, normalised
like the images. Each call starts from zero states: nothing carries over between
calls.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import torch

from chronoscore.errors import ConfigError, DataFormatError
from chronoscore.models.convrnn_backbone import ConvNetBackbone
from chronoscore.models.convrnn_bases import Depth, base_architecture
from chronoscore.models.convrnn_layer import CellName
from chronoscore.models.registry import register_model

__all__ = [
    "ConvRNN",
    "ReadoutMode",
    "convrnn_shallow_rgc", "convrnn_shallow_vanilla", "convrnn_shallow_lstm", "convrnn_shallow_gru",
    "convrnn_shallow_ugrnn", "convrnn_shallow_intersection", "convrnn_shallow_time_decay",
    "convrnn_intermediate_rgc", "convrnn_intermediate_vanilla", "convrnn_intermediate_lstm",
    "convrnn_intermediate_gru", "convrnn_intermediate_ugrnn", "convrnn_intermediate_intersection",
    "convrnn_intermediate_time_decay",
]

ReadoutMode = Literal["last", "mean", "max_confidence"]
UndrivenMode = Literal["run", "silent"]
_READOUTS = ("last", "mean", "max_confidence")
_UNDRIVEN = ("run", "silent")
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
"""The normalisation the zoo's inputs carry (see :mod:`chronoscore.stimuli.preprocessing`)."""


class ConvRNN(ConvNetBackbone):
    """A biologically unrolled convolutional recurrent network.

    Parameters
    ----------
    depth : {"shallow", "intermediate"}
        The feedforward base.
    cell : {"rgc", "vanilla", "lstm", "gru", "ugrnn", "intersection", "time_decay"}
        The local recurrent cell in the base's recurrent layers.
    input_size : int
        Side of the square input images (pixels).
    width : float
        Multiplier of the base's channel counts.
    n_classes : int
        Outputs of the readout.
    n_steps : int, optional
        Steps unrolled by default (16 shallow, 17 intermediate).
    image_off : int or None
        Step at which the image is replaced by a gray screen; None shows the image at
        every step. Default 12.
    gray : float or None
        Gray level of that screen in image space (0–1), normalised with the ImageNet
        mean and standard deviation as the images are (release: 0.5); None for zeros
        after normalisation.
    undriven : {"run", "silent"}
        "run" (release): every layer runs from step 0 on zero inputs; "silent": a
        layer's output is zero until the image reaches it.
    readout_delay : bool
        The readout is its own node, one step after the top layer (release).
    readout : {"last", "mean", "max_confidence"}
        How :meth:`forward` turns the per-step logits into one prediction: the last
        step's, their mean over the steps the readout is driven, or per sample the
        step whose softmax is most confident.
    feedback : bool, optional
        Use the base's long-range feedback edges. Default: True for the RGC in the
        intermediate base (the paper's searched model), False otherwise.
    cell_options : mapping, optional
        Keyword arguments of every cell (e.g. ``{"conv_bias": True}`` for the shallow
        RGC), on top of the options the release uses in this base and layer.
    step_ms : float
        Milliseconds per step.
    """

    def __init__(self, depth: Depth, cell: CellName, *, input_size: int = 224, width: float = 1.0,
                 n_classes: int = 1000, n_steps: int | None = None, image_off: int | None = 12,
                 readout: ReadoutMode = "last", feedback: bool | None = None,
                 cell_options: Mapping[str, object] | None = None, step_ms: float = 10.0,
                 gray: float | None = 0.5, undriven: UndrivenMode = "run", readout_delay: bool = True) -> None:
        base = base_architecture(depth, cell)
        if feedback is None:
            feedback = cell == "rgc" and bool(base.feedback_edges)
        if feedback and not base.feedback_edges:
            raise ConfigError(f"the {depth} base has no long-range feedback edges; use feedback=False.")
        if readout not in _READOUTS:
            raise ConfigError(f"unknown readout {readout!r}; choose one of {list(_READOUTS)}.")
        if image_off is not None and (isinstance(image_off, bool) or not isinstance(image_off, int)
                                      or image_off < 1):
            raise ConfigError(f"image_off must be a positive integer or None, got {image_off!r}.")
        if undriven not in _UNDRIVEN:
            raise ConfigError(f"unknown undriven mode {undriven!r}; choose one of {list(_UNDRIVEN)}.")
        if gray is not None and (isinstance(gray, bool) or not isinstance(gray, (int, float))):
            raise ConfigError(f"gray must be a number (image space, 0-1) or None, got {gray!r}.")
        edges = [(source - 1, target - 1) for source, target in base.feedback_edges] if feedback else []
        super().__init__(depth, cell=cell, cell_options=cell_options, feedback_edges=edges, input_size=input_size,
                         width=width, n_classes=n_classes, step_ms=step_ms,
                         default_steps=base.default_steps if n_steps is None else n_steps)
        self.cell_name = cell
        self.image_off = image_off
        self.readout = readout
        self.gray = None if gray is None else float(gray)
        self.undriven = undriven
        self.readout_delay = bool(readout_delay)

    def presentation(self, images: torch.Tensor, n_steps: int | None = None) -> list[torch.Tensor]:
        """The frames shown at each step: ``images`` before ``image_off``, the gray screen after.

        Returns a list of T tensors (B, 3, H, W); image frames are ``images`` itself.
        """
        steps = self.resolve_steps(n_steps)
        self.check_images(images)
        gray = images.new_zeros(images.shape)
        if self.gray is not None:
            mean, std = (images.new_tensor(values).view(1, 3, 1, 1) for values in (IMAGENET_MEAN, IMAGENET_STD))
            gray = gray + (self.gray - mean) / std
        return [images if self.image_off is None or step < self.image_off else gray for step in range(steps)]

    def run_frames(self, frames: torch.Tensor | Sequence[torch.Tensor],
                   areas: Sequence[str] | None = None) -> dict[str, torch.Tensor]:
        """Unroll over a given frame sequence (a movie, or a perturbed presentation).

        Parameters
        ----------
        frames : Tensor (T, B, 3, H, W) or sequence of T tensors (B, 3, H, W)
            The input at each step.
        areas : sequence of str, optional
            Areas to record (all by default).

        Returns
        -------
        dict
            {area: (T, B, C, H', W')}; with ``undriven="silent"``, zero at the steps
            before the area is driven.
        """
        wanted = self.resolve_areas(areas)
        frames = list(frames)
        if not frames:
            raise ConfigError("frames is empty; give at least one frame.")
        for frame in frames:
            self.check_images(frame)
        if len({tuple(frame.shape) for frame in frames}) > 1:
            raise DataFormatError("all frames must have the same batch size and shape.")
        silent = [frames[0].new_zeros(frames[0].shape[0], *shape) for shape in self.area_shapes()]
        outputs: list[torch.Tensor | None] = [None] * len(self.layers)
        states: list = [None] * len(self.layers)
        recorded: dict[str, list[torch.Tensor]] = {area: [] for area in wanted}
        running = len(self.layers)
        for step, frame in enumerate(frames):
            previous, outputs = outputs, [None] * len(self.layers)
            if self.undriven == "silent":
                running = step + 1
            for index, layer in enumerate(self.layers[:running]):
                below = frame if index == 0 else previous[index - 1]
                below = silent[index - 1] if below is None else below
                feedback = [silent[source] if previous[source] is None else previous[source]
                            for source in self.feedback_sources[index]]
                outputs[index], states[index] = layer(below, feedback, states[index])
            for area in wanted:
                index = self.areas.index(area)
                recorded[area].append(silent[index] if outputs[index] is None else outputs[index])
        # each area's list of maps is dropped once stacked, so one area at a time is held twice
        return {area: torch.stack(recorded.pop(area)) for area in list(recorded)}

    def forward_timesteps(self, images: torch.Tensor, n_steps: int | None = None,
                          areas: Sequence[str] | None = None) -> dict[str, torch.Tensor]:
        """Activity of each area at every step of the presentation: {area: (T, B, C, H, W)}."""
        return self.run_frames(self.presentation(images, n_steps), areas)

    def first_readout_step(self) -> int:
        """The step at which the image first reaches the readout: L, or L − 1 without ``readout_delay``."""
        return len(self.layers) if self.readout_delay else len(self.layers) - 1

    def logits_per_step(self, images: torch.Tensor, n_steps: int | None = None) -> torch.Tensor:
        """Class scores (T − s, B, n_classes) at every step from s = :meth:`first_readout_step` to T−1."""
        steps = self.resolve_steps(n_steps)
        first = self.first_readout_step()
        if steps <= first:
            raise ConfigError(f"n_steps={steps} is too short: the image reaches the readout of this "
                              f"{len(self.layers)}-layer model at step {first}; use n_steps > {first}.")
        delay = 1 if self.readout_delay else 0
        top = self.forward_timesteps(images, steps, areas=[self.areas[-1]])[self.areas[-1]][first - delay:steps - delay]
        return self.classify(top.flatten(0, 1)).unflatten(0, top.shape[:2])

    def forward(self, images: torch.Tensor, n_steps: int | None = None) -> torch.Tensor:
        """Class scores (B, n_classes) for images (B, 3, H, W), combined over steps by ``readout``."""
        logits = self.logits_per_step(images, n_steps)
        if self.readout == "last":
            return logits[-1]
        if self.readout == "mean":
            return logits.mean(dim=0)
        confidence = logits.softmax(dim=-1).amax(dim=-1)
        best_step = confidence.argmax(dim=0)
        return logits[best_step, torch.arange(logits.shape[1], device=logits.device)]


@register_model
def convrnn_shallow_rgc(**kwargs) -> ConvRNN:
    """Shallow ConvRNN with reciprocal gated cells in layers 3–5."""
    return ConvRNN("shallow", "rgc", **kwargs)


@register_model
def convrnn_shallow_vanilla(**kwargs) -> ConvRNN:
    """Shallow ConvRNN with layer-normalised vanilla RNN cells in layers 3–5."""
    return ConvRNN("shallow", "vanilla", **kwargs)


@register_model
def convrnn_shallow_lstm(**kwargs) -> ConvRNN:
    """Shallow ConvRNN with LSTM cells in layers 3–5."""
    return ConvRNN("shallow", "lstm", **kwargs)


@register_model
def convrnn_shallow_gru(**kwargs) -> ConvRNN:
    """Shallow ConvRNN with GRU cells in layers 3–5."""
    return ConvRNN("shallow", "gru", **kwargs)


@register_model
def convrnn_shallow_ugrnn(**kwargs) -> ConvRNN:
    """Shallow ConvRNN with UGRNN cells in layers 3–5."""
    return ConvRNN("shallow", "ugrnn", **kwargs)


@register_model
def convrnn_shallow_intersection(**kwargs) -> ConvRNN:
    """Shallow ConvRNN with Intersection RNN cells in layers 3–5."""
    return ConvRNN("shallow", "intersection", **kwargs)


@register_model
def convrnn_shallow_time_decay(**kwargs) -> ConvRNN:
    """Shallow ConvRNN with time-decay cells in layers 3–5."""
    return ConvRNN("shallow", "time_decay", **kwargs)


@register_model
def convrnn_intermediate_rgc(**kwargs) -> ConvRNN:
    """Intermediate ConvRNN with reciprocal gated cells in layers 4–10 and long-range feedback."""
    return ConvRNN("intermediate", "rgc", **kwargs)


@register_model
def convrnn_intermediate_vanilla(**kwargs) -> ConvRNN:
    """Intermediate ConvRNN with vanilla RNN cells in layers 4–10."""
    return ConvRNN("intermediate", "vanilla", **kwargs)


@register_model
def convrnn_intermediate_lstm(**kwargs) -> ConvRNN:
    """Intermediate ConvRNN with LSTM cells in layers 4–10."""
    return ConvRNN("intermediate", "lstm", **kwargs)


@register_model
def convrnn_intermediate_gru(**kwargs) -> ConvRNN:
    """Intermediate ConvRNN with GRU cells in layers 4–10."""
    return ConvRNN("intermediate", "gru", **kwargs)


@register_model
def convrnn_intermediate_ugrnn(**kwargs) -> ConvRNN:
    """Intermediate ConvRNN with UGRNN cells in layers 4–10."""
    return ConvRNN("intermediate", "ugrnn", **kwargs)


@register_model
def convrnn_intermediate_intersection(**kwargs) -> ConvRNN:
    """Intermediate ConvRNN with Intersection RNN cells in layers 4–10."""
    return ConvRNN("intermediate", "intersection", **kwargs)


@register_model
def convrnn_intermediate_time_decay(**kwargs) -> ConvRNN:
    """Intermediate ConvRNN with time-decay cells in layers 4–10."""
    return ConvRNN("intermediate", "time_decay", **kwargs)
