"""The feedforward bases of the ConvRNNs of Nayebi et al. (2018): layer specs, feedback edges, timing.

Widths, kernels, strides, pooling and the cells' per-layer settings follow the
authors' released models (github.com/neuroailab/convrnns, the networks of Nayebi et
al. 2022, Neural Computation: the ``*.json`` graphs, ``model_func.py``,
``median_rgcell_cfg.py`` and ``lstm_shallow.npz``), at ``width = 1``. Every
convolution pads as TensorFlow's "SAME".

``shallow`` — 5 convolutional layers and a readout; cells at layers 3–5::

    layer      1      2      3      4      5
    channels   64     128    256    256    512
    kernel     7/s2   3      3      3      3
    then       2×2 max pool after every layer

The convolution before a cell is followed by ELU for the RGC and is linear for the
other cells (``"activation": null`` in the release). The vanilla RNN and LSTM cells
output 128, 256 and 256 channels (the next layer's convolution reads those); the
LSTM's kernels are 2, 3 and 4 with layer norm, searched forget and bias constants and
peepholes in layer 4 (``lstm_shallow.npz``). The readout is a 2×2 "VALID"
convolution to the classes, then a spatial mean.

``intermediate`` (every cell but the RGC) — 10 layers and a readout; cells at 4–10.
Layer 1 is a 7×7/2 convolution and a 2×2 max pool; layers 2–10 are residual blocks
(conv 3×3 → ELU → [cell] → conv 3×3 → + shortcut → ELU)::

    layer      1     2    3    4     5     6     7     8     9     10
    channels   64    64   64   128   128   256   256   512   512   512
    max pool   yes   .    .    yes   .     yes   yes   .     .     yes

``rgc_intermediate`` (the intermediate RGC model) — 10 plain layers (conv → ELU →
[median RGC cell] → pool) and a readout; cells at 4–10::

    layer      1     2    3    4     5     6     7     8     9     10
    channels   64    128  128  128   128   256   256   256   512   512
    max pool   yes   .    .    yes   .     yes   yes   .     .     yes

Long-range feedback of the intermediate RGC model (found by the paper's search):
8→5, 9→6, 10→7, 7→6 and 10→9. The intermediate readouts are a spatial mean and a
fully connected layer.

Areas are named after the brain area each layer best matches in the release
(layer 3 → V4, 4 → pIT, 5 → cIT/aIT for the shallow model; 5–6 → V4, 7–8 → pIT,
9–10 → cIT/aIT for the intermediate model, where we give 9 to cIT and 10 to aIT),
as ``<area>_conv<layer>``; layers without a match keep ``conv<layer>``.

Timing (the release's "default" presentation): the image is shown for the first 12
steps, then a mean-gray screen; shallow models unroll for 16 steps, intermediate ones
for 17.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from chronoscore.errors import ConfigError
from chronoscore.models.layers.rgc import MEDIAN_RGC_OPTIONS, SHALLOW_RGC_OPTIONS

__all__ = ["Depth", "LayerSpec", "BaseArchitecture", "BASES", "base_architecture", "scaled_channels"]

Depth = Literal["shallow", "intermediate"]


@dataclass(frozen=True)
class LayerSpec:
    """One convolutional layer of a base.

    Attributes
    ----------
    area : str
        Name of the layer's output as a recordable area.
    channels : int
        Output channels at ``width = 1``.
    kernel_size, stride : int
        Of the layer's first convolution.
    pool : bool
        A 2×2/2 max pool ends the layer.
    recurrent : bool
        A local recurrent cell sits in the layer (ConvRNNs only).
    residual_block : bool
        A second 3×3 convolution and a shortcut from the layer's input follow.
    """

    area: str
    channels: int
    kernel_size: int = 3
    stride: int = 1
    pool: bool = False
    recurrent: bool = False
    residual_block: bool = False


@dataclass(frozen=True)
class BaseArchitecture:
    """A feedforward base, its long-range feedback, its readout and its presentation timing.

    Attributes
    ----------
    layers : tuple of LayerSpec
        Input to output.
    feedback_edges : tuple of (int, int)
        (source layer, target layer), 1-based, source above target.
    default_steps, image_off : int
        Steps unrolled by default and the step at which the image turns to gray.
    readout_kernel : int
        Side of the readout's "VALID" convolution before the spatial mean (1: a fully
        connected layer on the mean).
    cell_defaults : mapping
        Cell options that the release uses in every recurrent layer of this base, per
        cell name.
    cell_layer_options : mapping
        Per cell name, one mapping of options per recurrent layer (input to output).
        The key ``channels`` sets the cell's output channels (at width 1) and
        ``peepholes`` asks for LSTM peepholes shaped like the layer's maps.
    linear_drive_cells : frozenset of str
        Cells whose layer convolution is linear (no ELU before the cell).
    """

    layers: tuple[LayerSpec, ...]
    feedback_edges: tuple[tuple[int, int], ...]
    default_steps: int
    image_off: int
    readout_kernel: int = 1
    cell_defaults: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    cell_layer_options: Mapping[str, tuple[Mapping[str, object], ...]] = field(default_factory=dict)
    linear_drive_cells: frozenset[str] = frozenset()

    @property
    def areas(self) -> tuple[str, ...]:
        """Area names, input to output."""
        return tuple(layer.area for layer in self.layers)

    def layer_cell_options(self, cell: str, index: int) -> dict[str, object]:
        """The release's options of ``cell`` in layer ``index`` (0-based; a recurrent layer)."""
        recurrent = [position for position, layer in enumerate(self.layers) if layer.recurrent]
        per_layer = self.cell_layer_options.get(cell, ())
        options = dict(self.cell_defaults.get(cell, {}))
        if per_layer:
            options.update(per_layer[recurrent.index(index)])
        return options


_LSTM_SHALLOW = (  # lstm_shallow.npz: layer_params of conv3, conv4, conv5
    {"channels": 128, "kernel_size": 2, "forget_bias": 1.3561755203084322, "bias_init": 1.6427688907776656,
     "layer_norm": True},
    {"channels": 256, "kernel_size": 3, "forget_bias": 0.977962918535079, "bias_init": -1.166018906771675,
     "layer_norm": True, "peepholes": True},
    {"channels": 256, "kernel_size": 4, "forget_bias": 0.9249280259963113, "bias_init": -1.3495015766804237,
     "layer_norm": True},
)

SHALLOW = BaseArchitecture(
    layers=(
        LayerSpec("conv1", 64, kernel_size=7, stride=2, pool=True),
        LayerSpec("conv2", 128, pool=True),
        LayerSpec("V4_conv3", 256, pool=True, recurrent=True),
        LayerSpec("pIT_conv4", 256, pool=True, recurrent=True),
        LayerSpec("IT_conv5", 512, pool=True, recurrent=True),
    ),
    feedback_edges=(),
    default_steps=16,
    image_off=12,
    readout_kernel=2,
    cell_defaults={"rgc": SHALLOW_RGC_OPTIONS, "vanilla": {"layer_norm": True}},
    cell_layer_options={"vanilla": ({"channels": 128}, {"channels": 256}, {"channels": 256}),
                        "lstm": _LSTM_SHALLOW},
    linear_drive_cells=frozenset({"vanilla", "lstm", "gru", "ugrnn", "intersection", "time_decay"}),
)

_INTERMEDIATE_AREAS = ("conv1", "conv2", "conv3", "conv4", "V4_conv5", "V4_conv6", "pIT_conv7", "pIT_conv8",
                       "cIT_conv9", "aIT_conv10")
_INTERMEDIATE_POOLS = (1, 4, 6, 7, 10)
_INTERMEDIATE_FEEDBACK = ((8, 5), (9, 6), (10, 7), (7, 6), (10, 9))


def _intermediate_layers(channels: tuple[int, ...], residual_blocks: bool) -> tuple[LayerSpec, ...]:
    return tuple(
        LayerSpec(area, width, kernel_size=7 if layer == 1 else 3, stride=2 if layer == 1 else 1,
                  pool=layer in _INTERMEDIATE_POOLS, recurrent=layer >= 4, residual_block=residual_blocks and layer > 1)
        for layer, (area, width) in enumerate(zip(_INTERMEDIATE_AREAS, channels, strict=True), start=1))


INTERMEDIATE = BaseArchitecture(
    layers=_intermediate_layers((64, 64, 64, 128, 128, 256, 256, 512, 512, 512), residual_blocks=True),
    feedback_edges=_INTERMEDIATE_FEEDBACK,
    default_steps=17,
    image_off=12,
)

RGC_INTERMEDIATE = BaseArchitecture(
    layers=_intermediate_layers((64, 128, 128, 128, 128, 256, 256, 256, 512, 512), residual_blocks=False),
    feedback_edges=_INTERMEDIATE_FEEDBACK,
    default_steps=17,
    image_off=12,
    cell_defaults={"rgc": MEDIAN_RGC_OPTIONS},
)

BASES: Mapping[str, BaseArchitecture] = {"shallow": SHALLOW, "intermediate": INTERMEDIATE,
                                         "rgc_intermediate": RGC_INTERMEDIATE}


def base_architecture(depth: Depth, cell: str | None = None) -> BaseArchitecture:
    """The base of ``depth`` ("shallow" or "intermediate") for ``cell``.

    The intermediate RGC model has a base of its own (``rgc_intermediate``); every
    other intermediate model, and the feedforward control, use ``intermediate``.
    """
    if depth not in ("shallow", "intermediate"):
        raise ConfigError(f"unknown depth {depth!r}; choose 'shallow' or 'intermediate'.")
    if depth == "intermediate" and cell == "rgc":
        return RGC_INTERMEDIATE
    return BASES[depth]


def scaled_channels(channels: int, width: float) -> int:
    """``channels`` scaled by the width multiplier, rounded, at least 1."""
    return max(1, round(channels * width))
