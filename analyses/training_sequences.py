"""The trainer's symbol sequences for the ``local`` algorithm: embedded Reber strings and their next symbols.

With ``algorithm: local`` and ``data.generator: reber`` the trainer trains a
Recurrent Sparse Memory on ``data.train_n`` strings of the embedded Reber grammar
(drawn with ``data.seed``; validation: ``data.val_n`` strings with
``data.val_seed``), as in Rawlinson et al. (2019): an item is a string's one-hot
symbols ``(T, 7)``, zero-padded to the longest string of its set, and the index
of the symbol after each step ``(T,)`` (-1 after the last symbol and in the
padding). The classes are the grammar's symbols in :data:`REBER_SYMBOLS` order,
so the model reads the same codes as :func:`~chronoscore.stimuli.generators.reber.reber_one_hot`.
Loss and accuracy are over the labelled steps (every symbol but a string's
last), and the metrics' ``images_per_second`` counts those steps.
"""

from __future__ import annotations

import torch
from torch.utils.data import TensorDataset

from chronoscore.errors import ConfigError
from chronoscore.models.rsm_training import IGNORE_LABEL
from chronoscore.models.training.data import TrainingData
from chronoscore.models.training.recipe import Recipe
from chronoscore.stimuli.generators.reber import REBER_SYMBOLS, reber_one_hot, reber_sequences

__all__ = ["reber_sequence_data", "uses_symbol_sequences"]


def uses_symbol_sequences(recipe: Recipe) -> bool:
    """The recipe trains on Reber symbol sequences (``local`` with generated ``reber`` data)."""
    return recipe.algorithm == "local" and recipe.data.source == "generated" and recipe.data.generator == "reber"


def reber_sequence_data(recipe: Recipe) -> TrainingData:
    """Training (and validation) Reber sequences of the recipe (see the module docstring).

    Raises
    ------
    ConfigError
        If the recipe gives generator options (Reber strings take none).
    """
    spec = recipe.data
    if spec.options or spec.train_options or spec.val_options:
        raise ConfigError("Reber symbol sequences take no generator options; remove data.options, "
                          "data.train_options and data.val_options.")
    val = _reber_items(spec.val_n, spec.val_seed) if spec.val_n else None
    return TrainingData(train=_reber_items(spec.train_n, spec.seed), val=val, classes=tuple(REBER_SYMBOLS))


def _reber_items(n: int, seed: int) -> TensorDataset:
    """One-hot strings (n, T, 7) float32 and next-symbol labels (n, T) int64."""
    strings, _ = reber_sequences(n, seed)
    codes, lengths = reber_one_hot(strings)
    sequences = torch.from_numpy(codes)
    symbols = sequences.argmax(dim=2)
    labels = torch.full(symbols.shape, IGNORE_LABEL, dtype=torch.long)
    for row, length in enumerate(lengths.tolist()):
        labels[row, :length - 1] = symbols[row, 1:length]
    return TensorDataset(sequences, labels)
