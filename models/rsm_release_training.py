"""Training a fully connected Recurrent Sparse Memory as the authors' release trains it on a grammar.

The release (github Cerenaut/rsm: ``grammar_workflow.py``, ``sequence_memory_layer.py``,
``sequence_memory_stack.py``, ``predictor_component.py``) makes one update per
symbol over N parallel, desynchronised streams of freshly drawn strings
(:class:`~chronoscore.models.rsm_symbol_streams.SymbolStreams`). At every update,
for each stream, with ``code`` the fixed input vector of a symbol (one-hot, or a
digit image) and the zero vector for no symbol::

    outputs, state = model.step(code(previous symbol), state)   # the layer reads x(t-1) ...
    memory loss     = MSE(outputs["prediction"], code(current symbol))     # ... and predicts x(t)
    classifier loss = cross_entropy(model.classify(outputs), current symbol)   # the memory is detached

each averaged over the N streams (every symbol counts once), each minimised by its
own Adam optimiser (learning rate 5e-4) with one step per update; no gradient
crosses a step. When a stream's string ends, its inhibition trace is cleared and
its next input is the zero vector (the release's history mask clears
"inhibition" and "previous"; it also clears "recurrent", but the same step then
overwrites it with the layer's output, so the recurrent trace carries over).

:func:`stream_memories` runs given strings through the same stream mechanics
without learning and returns the memory at each symbol, for scoring.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional

from chronoscore.errors import ConfigError, DataFormatError
from chronoscore.models.layers.rsm_layer import RSMLayerState
from chronoscore.models.rsm import RSM
from chronoscore.models.rsm_base import check_positive_int
from chronoscore.models.rsm_symbol_streams import NO_SYMBOL, StreamStep, SymbolStreams
from chronoscore.models.training.checkpoints import atomic_write_bytes

__all__ = ["RELEASE_LEARNING_RATE", "ReleaseTraining", "StreamLosses", "encode_symbols", "stream_memories"]

RELEASE_LEARNING_RATE = 5e-4
"""Adam's learning rate for both the memory and the classifier in the release."""


def encode_symbols(codes: torch.Tensor, indices: np.ndarray) -> torch.Tensor:
    """Rows of ``codes`` (S, D) for ``indices`` (N,) -> (N, D); the zero vector where an index is :data:`NO_SYMBOL`."""
    padded = torch.cat([codes, codes.new_zeros(1, codes.shape[1])])
    chosen = torch.from_numpy(np.where(indices == NO_SYMBOL, codes.shape[0], indices)).to(codes.device)
    return padded[chosen]


def _clear_inhibition(state: RSMLayerState, ends: np.ndarray) -> RSMLayerState:
    """``state`` with the inhibition of the streams whose string just ended set to zero."""
    keep = torch.from_numpy(~ends).to(state.inhibition)
    return state._replace(inhibition=state.inhibition * keep.view(-1, *([1] * (state.inhibition.ndim - 1))))


def _check_model_and_codes(model: RSM, codes: torch.Tensor) -> None:
    if not isinstance(model, RSM):
        raise ConfigError(f"stream training runs the fully connected RSM (model rsm), not {type(model).__name__}.")
    if codes.ndim != 2 or codes.shape[1] != model.n_inputs:
        raise DataFormatError(f"symbol codes must be (symbols, n_inputs={model.n_inputs}), got {tuple(codes.shape)}.")


@dataclass
class StreamLosses:
    """Mean losses of each update so far.

    Attributes
    ----------
    prediction : list of float
        The memory's mean squared error of the current symbol's code.
    classifier : list of float
        The classifier's cross-entropy of the current symbol.
    """

    prediction: list[float] = field(default_factory=list)
    classifier: list[float] = field(default_factory=list)


class ReleaseTraining:
    """The release's training of ``model`` on ``streams``, one update per call of :meth:`update`.

    Parameters
    ----------
    model : RSM
        Trained in place.
    codes : Tensor (S, D)
        Input vector of each symbol (D = ``model.n_inputs``).
    streams : SymbolStreams
        The strings; their number is the batch size.
    lr : float
        Learning rate of both Adam optimisers.
    """

    def __init__(self, model: RSM, codes: torch.Tensor, streams: SymbolStreams,
                 lr: float = RELEASE_LEARNING_RATE) -> None:
        _check_model_and_codes(model, codes)
        self.model, self.codes, self.streams = model, codes, streams
        self.memory_optimiser = torch.optim.Adam(model.layer.parameters(), lr=lr)
        self.classifier_optimiser = torch.optim.Adam(model.classifier.parameters(), lr=lr)
        self.state = model.initial_state(codes.new_zeros(streams.n_streams, codes.shape[1]))
        self.updates = 0
        self.losses = StreamLosses()

    def update(self) -> StreamStep:
        """One symbol of every stream: both losses, both optimisers stepped; returns the step's symbols."""
        step = self.streams.next()
        self.model.train()
        outputs, state = self.model.step(encode_symbols(self.codes, step.previous), self.state)
        prediction_loss = self.model.local_loss(outputs["prediction"], encode_symbols(self.codes, step.current))
        target = torch.from_numpy(step.current).to(self.codes.device)
        classifier_loss = functional.cross_entropy(self.model.classify(outputs), target)
        for optimiser, loss in ((self.memory_optimiser, prediction_loss),
                                (self.classifier_optimiser, classifier_loss)):
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
        self.state = _clear_inhibition(state, step.ends)
        self.updates += 1
        self.losses.prediction.append(prediction_loss.item())
        self.losses.classifier.append(classifier_loss.item())
        return step

    def state_dict(self) -> dict:
        """Weights, optimisers, memory state, streams and losses: :meth:`load_state_dict` continues exactly here."""
        return {"model": self.model.state_dict(), "memory_optimiser": self.memory_optimiser.state_dict(),
                "classifier_optimiser": self.classifier_optimiser.state_dict(),
                "trace": self.state.trace, "inhibition": self.state.inhibition, "streams": self.streams.state_dict(),
                "updates": self.updates, "prediction_loss": self.losses.prediction,
                "classifier_loss": self.losses.classifier}

    def load_state_dict(self, saved: dict) -> None:
        """Continue from a :meth:`state_dict` of the same model, codes and number of streams."""
        self.model.load_state_dict(saved["model"])
        self.memory_optimiser.load_state_dict(saved["memory_optimiser"])
        self.classifier_optimiser.load_state_dict(saved["classifier_optimiser"])
        self.state = RSMLayerState(saved["trace"], saved["inhibition"])
        self.streams.load_state_dict(saved["streams"])
        self.updates = saved["updates"]
        self.losses = StreamLosses(list(saved["prediction_loss"]), list(saved["classifier_loss"]))

    def save(self, path: str | os.PathLike, extra: dict | None = None) -> None:
        """Write :meth:`state_dict` (and ``extra``, plain types) atomically to ``path`` (``torch.save`` format)."""
        buffer = io.BytesIO()
        torch.save({**self.state_dict(), **(extra or {})}, buffer)
        atomic_write_bytes(Path(path), buffer.getvalue())

    def load(self, path: str | os.PathLike) -> dict:
        """Continue from a file written by :meth:`save`; returns everything it holds."""
        saved = torch.load(path, map_location=self.codes.device, weights_only=True)
        self.load_state_dict(saved)
        return saved


def stream_memories(model: RSM, codes: torch.Tensor, strings: Sequence[np.ndarray],
                    n_streams: int) -> list[torch.Tensor]:
    """The memory at each symbol of ``strings``, run as the release runs strings, without learning.

    The strings are split into ``n_streams`` contiguous runs, each played as one
    stream from an empty memory, with the boundary handling of :class:`ReleaseTraining`.

    Parameters
    ----------
    model : RSM
    codes : Tensor (S, D)
    strings : sequence of (L_i,) int arrays
        Symbol indices.
    n_streams : int
        Streams run side by side (at most the number of strings).

    Returns
    -------
    list of Tensor (L_i, g·c)
        Row t: the memory the layer made at symbol t of string i, from the symbols
        before it — what the classifier reads to predict symbol t.
    """
    _check_model_and_codes(model, codes)
    n_streams = min(check_positive_int("n_streams", n_streams), len(strings))
    runs = np.array_split(np.arange(len(strings)), n_streams)
    schedules = [_stream_schedule([strings[index] for index in run], run) for run in runs]
    steps = max(len(schedule[0]) for schedule in schedules)
    table = np.full((4, n_streams, steps), NO_SYMBOL, dtype=np.int64)  # previous, string, position, end
    for stream, schedule in enumerate(schedules):
        table[:, stream, :len(schedule[0])] = schedule
    memories = [codes.new_empty(len(string), model.layer.groups * model.layer.cells) for string in strings]
    model.eval()
    with torch.no_grad():
        state = model.initial_state(codes.new_zeros(n_streams, codes.shape[1]))
        for step in range(steps):
            previous, string, position, end = table[:, :, step]
            outputs, state = model.step(encode_symbols(codes, previous), state)
            state = _clear_inhibition(state, end == 1)
            for stream in np.flatnonzero(string != NO_SYMBOL):
                memories[string[stream]][position[stream]] = outputs["memory"][stream]
    return memories


def _stream_schedule(strings: Sequence[np.ndarray], ids: np.ndarray) -> np.ndarray:
    """(4, T) int64 rows of one stream playing ``strings`` in turn: previous symbol, string id, position, end flag."""
    rows = []
    for string, string_id in zip(strings, ids, strict=True):
        length = len(string)
        previous = np.concatenate([[NO_SYMBOL], np.asarray(string[:-1], dtype=np.int64)])
        rows.append(np.stack([previous, np.full(length, string_id), np.arange(length),
                              (np.arange(length) == length - 1).astype(np.int64)]))
    return np.concatenate(rows, axis=1)
