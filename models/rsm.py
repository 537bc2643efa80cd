"""Recurrent Sparse Memory (Rawlinson, Ahmed & Kowadlo 2019), fully connected: the ``rsm`` model.

"Learning distant cause and effect using only local and immediate credit
assignment" (arXiv:1905.11589). One RSM layer (:mod:`chronoscore.models.layers.rsm_layer`)
reads a vector per step — a one-hot symbol, or a flattened image — keeps a sparse
memory of g groups × c cells, and predicts the next input; a classifier MLP reads the
detached memory (in the paper, to predict the next symbol's label).

Defaults are the original project's hyperparameters for the embedded Reber grammar
(its README, "Distant cause & effect" table, and its Reber definition file):

=====================  =======  ===========================================
argument               default  source
=====================  =======  ===========================================
``groups`` (g)         200      README table
``cells`` (c)          6        README table (the Reber definition file: 8)
``k``                  25       README table ("sparsity")
``gamma`` (γ)          0.98     README table (inhibition decay rate)
``epsilon`` (ε)        0        README table (recurrent input decay rate)
``classifier_hidden``  500      README table (classifier hidden layer size)
``classifier``         linear   Reber definition: no nonlinearity, sum-normalised input
``init``               glorot   Reber definition: TensorFlow's default initialiser
``n_inputs``           7        one-hot symbols of the embedded Reber grammar
``n_classes``          7        the classifier predicts the next Reber symbol
``n_steps``            10       not in the paper: steps a still image is shown
=====================  =======  ===========================================

Areas: ``memory`` (T, B, g·c), the layer's output y(t) with cell i of group j at
j·c + i; ``prediction`` (T, B, D), its prediction of the input at step t + 1.

The choices this project made before following the release stay as options:
``classifier="mlp"`` (a leaky-ReLU MLP on the memory, PyTorch's default
initialisation) and ``init="truncated_normal"`` (N(0, 0.03²) truncated at ±0.06).
"""

from __future__ import annotations

import torch

from chronoscore.errors import ConfigError, DataFormatError
from chronoscore.models.layers.rsm_layer import Initialisation, RSMLayer, RSMLayerState
from chronoscore.models.registry import register_model
from chronoscore.models.rsm_base import ClassifierKind, SequenceMemoryModel, check_positive_int

__all__ = ["REBER_ALPHABET_SIZE", "RSM"]

REBER_ALPHABET_SIZE = 7
"""Symbols of the embedded Reber grammar (B, T, P, S, X, V, E): the default input length and class count."""


class RSM(SequenceMemoryModel):
    """A fully connected Recurrent Sparse Memory with a next-symbol classifier.

    Parameters
    ----------
    n_inputs : int, optional
        D, length of each step's input vector. None: ``3·input_size²`` (a flattened
        RGB image) if ``input_size`` is given, else 7 (one-hot Reber symbols).
    input_size : int, optional
        Side in pixels of the square images the model is meant for (recorded as
        ``input_size``); images (B, 3, S, S) are flattened to 3·S² values.
    n_classes : int
        Outputs of the classifier.
    groups, cells, k : int
        g groups of c cells; k active groups per step.
    gamma, epsilon : float
        Decays of the inhibition trace and of the recurrent trace.
    classifier_hidden : int
        Hidden units of the classifier.
    classifier : {"linear", "mlp"}
        The release's linear classifier of the sum-normalised memory, or a leaky-ReLU
        MLP of the memory (see :meth:`~chronoscore.models.rsm_base.SequenceMemoryModel.make_classifier`).
    init : {"glorot_uniform", "truncated_normal"}
        Initial weights of the layer (see :class:`~chronoscore.models.layers.rsm_layer.RSMLayer`).
    n_steps : int
        Steps a still input is shown for when ``n_steps`` is None.
    step_ms : float
        Milliseconds per step.

    Notes
    -----
    Inputs: a sequence (T, B, D) or (T, B, C, H, W) with C·H·W = D (frames are
    flattened), or a still batch (B, D) or (B, C, H, W), shown unchanged for
    ``n_steps`` steps. Parameters: ``g·D + (g·c)² + (g·D + D)`` (layer, see
    :class:`~chronoscore.models.layers.rsm_layer.RSMLayer`) + ``g·c·H + H + H·n + n``
    (classifier with H hidden units, n classes).
    """

    def __init__(self, *, n_inputs: int | None = None, input_size: int | None = None,
                 n_classes: int = REBER_ALPHABET_SIZE, groups: int = 200, cells: int = 6, k: int = 25,
                 gamma: float = 0.98, epsilon: float = 0.0, classifier_hidden: int = 500,
                 classifier: ClassifierKind = "linear", init: Initialisation = "glorot_uniform", n_steps: int = 10,
                 step_ms: float = 10.0) -> None:
        super().__init__(("memory", "prediction"), n_steps, step_ms)
        self.input_size = None if input_size is None else check_positive_int("input_size", input_size)
        image_inputs = None if input_size is None else 3 * input_size * input_size
        if n_inputs is None:
            n_inputs = REBER_ALPHABET_SIZE if image_inputs is None else image_inputs
        if image_inputs is not None and n_inputs != image_inputs:
            raise ConfigError(f"images of {input_size} px flatten to {image_inputs} values, but n_inputs={n_inputs}; "
                              "leave n_inputs unset or give the images' side as input_size.")
        self.n_inputs = check_positive_int("n_inputs", n_inputs)
        self.n_classes = n_classes
        self.classifier = self.make_classifier(groups * cells, classifier_hidden, n_classes, classifier)
        self.layer = RSMLayer(self.n_inputs, groups, cells, k, gamma, epsilon, init)

    def input_sequence(self, inputs: torch.Tensor, n_steps: int | None = None) -> torch.Tensor:
        """(T, B, D) from (T, B, D), (T, B, C, H, W), (B, D) or (B, C, H, W) inputs (frames flattened)."""
        is_image = isinstance(inputs, torch.Tensor) and inputs.ndim in (4, 5)
        if is_image:
            inputs = inputs.flatten(-3)
        sequence = self.sequence_or_still(inputs, n_steps, still_ndim=2)
        if sequence.shape[-1] != self.n_inputs:
            what = "images flatten to" if is_image else "input vectors have"
            raise DataFormatError(f"the {what} {sequence.shape[-1]} values, but this model reads "
                                  f"n_inputs={self.n_inputs}; build it with n_inputs (or input_size) to match.")
        return sequence

    def initial_state(self, first_input: torch.Tensor) -> RSMLayerState:
        """Empty traces for a batch like ``first_input`` (B, D)."""
        return self.layer.initial_state(first_input.shape[0], first_input)

    def step(self, input: torch.Tensor, state: RSMLayerState) -> tuple[dict[str, torch.Tensor], RSMLayerState]:
        """One step: input (B, D) -> ({"memory": (B, g·c), "prediction": (B, D)}, next state)."""
        output, state = self.layer(input, state)
        return {"memory": output.memory, "prediction": output.prediction}, state

    def step_loss(self, outputs: dict[str, torch.Tensor], next_input: torch.Tensor,
                  valid: torch.Tensor | None = None) -> torch.Tensor:
        """:meth:`local_loss` of the step's prediction against the next input (B, D)."""
        return self.local_loss(outputs["prediction"], next_input, valid)

    def classifier_features(self, outputs: dict[str, torch.Tensor]) -> torch.Tensor:
        """The memory (B, g·c)."""
        return outputs["memory"]


@register_model
def rsm(**kwargs) -> RSM:
    """Recurrent Sparse Memory, one fully connected layer, embedded-Reber settings."""
    return RSM(**kwargs)
