"""Learning-through-time algorithms: how the trainer turns one batch's loss into gradients.

===========  ===================================================  ============================================
``bptt``     back-propagation through every step of ``forward``   any model
``tbptt``    back-propagation through the last ``window`` steps   fixed-point interface (the hGRU family)
``rbp``      recurrent back-propagation at the last state         fixed-point interface
             (Almeida–Pineda; Neumann series of one step)
``crbp``     RBP + the contraction penalty of Linsley et al.      fixed-point interface
             (2020)
``local``    the Recurrent Sparse Memory's local, immediate       ``rsm``, ``convrsm``
             losses; images or symbol sequences
===========  ===================================================  ============================================

Each algorithm is a function ``loss_and_backward(model, images, labels, context, **options)
-> StepOutcome`` in its own module; :func:`build_algorithm` binds a recipe's
options and says how the trainer must call it (:class:`TrainingAlgorithm`), with the
recipe's training loss (``algorithm_options.loss``: cross-entropy, or the focal loss of
C-RBP's release) in the step's context; validation reports the cross-entropy.

Under torch.distributed, only ``bptt`` runs the model through its
``DistributedDataParallel`` wrapper, which averages gradients during the backward
pass. The others call the model's parts (``drive``, ``step``, ...) or take gradients
with ``torch.autograd.grad``, which that wrapper does not see; the trainer runs
them inside ``no_sync()`` and averages the gradients over the processes itself
afterwards (:func:`chronoscore.models.training.runtime.average_gradients`). The
wrapper's per-forward buffer broadcast does not happen then: batch-norm running
statistics stay per process.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from functools import partial
from typing import NamedTuple

import torch
from torch import nn

from chronoscore.errors import ConfigError
from chronoscore.models.training.algorithms.bptt import bptt_loss_and_backward
from chronoscore.models.training.algorithms.crbp import contraction_penalty, crbp_loss_and_backward
from chronoscore.models.training.algorithms.local import (local_evaluation_logits, local_loss_and_backward,
                                                          require_sequence_memory_model)
from chronoscore.models.training.algorithms.neumann import NeumannSolution, neumann_series
from chronoscore.models.training.algorithms.outcome import (LossFunction, StepContext, StepOutcome,
                                                            cross_entropy_loss, focal_loss,
                                                            require_fixed_point_model)
from chronoscore.models.training.algorithms.rbp import NEUMANN_EXTRAS, rbp_loss_and_backward
from chronoscore.models.training.algorithms.tbptt import tbptt_loss_and_backward
from chronoscore.models.training.recipe import ALGORITHMS, Algorithm, AlgorithmOptions

__all__ = [
    "LossFunction", "NeumannSolution", "StepContext", "StepOutcome", "TrainingAlgorithm", "bptt_loss_and_backward",
    "build_algorithm", "contraction_penalty", "crbp_loss_and_backward", "cross_entropy_loss", "focal_loss",
    "local_loss_and_backward", "neumann_series", "rbp_loss_and_backward", "tbptt_loss_and_backward",
]


def _forward_logits(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return model(images), labels


class TrainingAlgorithm(NamedTuple):
    """An algorithm with its options bound, as the trainer uses it.

    Attributes
    ----------
    name : str
    loss_and_backward : callable
        ``(model, images, labels, context) -> StepOutcome``.
    evaluation_logits : callable
        ``(model, images, labels) -> (logits (N, n_classes), labels (N,))`` for
        validation and the trainer's first check of the model's output.
    extras : tuple of str
        Names of the outcome's extras (extra columns of ``metrics.csv``).
    check_model : callable
        Raises :class:`~chronoscore.errors.ConfigError` if the model lacks what
        the algorithm needs.
    through_wrapper : bool
        Call ``loss_and_backward`` with the (distributed, compiled) wrapper; else
        with the bare model, gradients averaged by the trainer.
    updates_within_batch : bool
        The algorithm makes its own optimiser updates (``context.apply_update``)
        during the batch; the trainer then makes none after it.
    """

    name: str
    loss_and_backward: Callable[..., StepOutcome]
    evaluation_logits: Callable[[nn.Module, torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]
    extras: tuple[str, ...]
    check_model: Callable[[nn.Module], None]
    through_wrapper: bool
    updates_within_batch: bool = False


def build_algorithm(name: Algorithm, options: AlgorithmOptions) -> TrainingAlgorithm:
    """The algorithm ``name`` with the recipe's ``options`` (and training loss) bound."""
    algorithm = _bound_algorithm(name, options)
    if options.loss == "cross_entropy":
        return algorithm
    if name == "local":
        raise ConfigError("algorithm local trains with its own losses; remove algorithm_options.loss.")
    loss = partial(focal_loss, gamma=options.focal_gamma)
    return algorithm._replace(loss_and_backward=partial(_with_loss, algorithm.loss_and_backward, loss))


def _with_loss(loss_and_backward: Callable[..., StepOutcome], loss: LossFunction, model: nn.Module,
               images: torch.Tensor, labels: torch.Tensor, context: StepContext) -> StepOutcome:
    return loss_and_backward(model, images, labels, dataclasses.replace(context, loss_function=loss))


def _bound_algorithm(name: Algorithm, options: AlgorithmOptions) -> TrainingAlgorithm:
    series = {"max_iterations": options.max_iterations, "rule": options.neumann_rule,
              "tolerance": options.tolerance, "stop_on_growth": options.stop_on_growth}
    fixed_point = partial(require_fixed_point_model, algorithm=name)
    if name == "bptt":
        return TrainingAlgorithm(name, bptt_loss_and_backward, _forward_logits, (), _accept_any, True)
    if name == "tbptt":
        return TrainingAlgorithm(name, partial(tbptt_loss_and_backward, window=options.window), _forward_logits, (),
                                 fixed_point, False)
    if name == "rbp":
        return TrainingAlgorithm(name, partial(rbp_loss_and_backward, **series), _forward_logits,
                                 NEUMANN_EXTRAS, fixed_point, False)
    if name == "crbp":
        return TrainingAlgorithm(name, partial(crbp_loss_and_backward, **series, penalty_weight=options.penalty_weight,
                                               penalty_tau=options.penalty_tau,
                                               penalty_reduction=options.penalty_reduction), _forward_logits,
                                 (*NEUMANN_EXTRAS, "penalty"), fixed_point, False)
    if name == "local":
        return TrainingAlgorithm(name, partial(local_loss_and_backward, update_every=options.update_every),
                                 local_evaluation_logits, ("prediction_loss",), require_sequence_memory_model, False,
                                 updates_within_batch=options.update_every == "step")
    raise ConfigError(f"unknown algorithm {name!r}; choose one of {', '.join(ALGORITHMS)}.")


def _accept_any(model: nn.Module) -> None:
    """Back-propagation through time takes any model."""
