"""The trainer's data made from chronoscore's stimulus generators (``data.source: generated``).

Generated data is made once per run with :func:`chronoscore.stimuli.generate`
and preprocessed exactly as stimuli are for scoring (placed on screen by visual
angle, resized, ImageNet-normalised; :func:`chronoscore.stimuli.load_batch`),
then held as tensors: an item is ``(image (3, S, S) float32, class index)``, or with
``data.input: unit_gray`` ``(image (1, S, S) in [0, 1], class index)``, the mean of
the three channels before normalisation, so a black background is exactly 0.
With ``algorithm: local`` and ``data.generator: reber`` the items are Reber symbol
sequences instead (:mod:`~chronoscore.analyses.training_sequences`).

Importing this module registers the ``generated`` source with the trainer
(:func:`chronoscore.models.training.data.register_data_source`; the models never
import the stimuli); :func:`train` is the trainer with it registered.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch.utils.data import TensorDataset

from chronoscore.analyses.training_sequences import reber_sequence_data, uses_symbol_sequences
from chronoscore.errors import ConfigError, DataFormatError
from chronoscore.models.training.data import DataSource, TrainingData, register_data_source
from chronoscore.models.training.recipe import DataSpec, Recipe
from chronoscore.models.training.trainer import train
from chronoscore.stimuli import generate, list_generators, load_batch
from chronoscore.stimuli.preprocessing import IMAGENET_MEAN, IMAGENET_STD

__all__ = ["check_generator", "generated_data", "train", "unit_gray"]


def check_generator(spec: DataSpec) -> None:
    """Raise :class:`ConfigError` if ``spec.generator`` is not a stimulus generator."""
    if spec.generator not in list_generators():
        raise ConfigError(f"data.generator {spec.generator!r} is not a stimulus generator; choose one of "
                          f"{', '.join(list_generators())}.")


def generated_data(spec: DataSpec) -> TrainingData:
    """The recipe's generated training (and validation) images, preprocessed as stimuli are for scoring.

    Parameters
    ----------
    spec : DataSpec
        ``generator``, its ``options`` (and ``train_options`` / ``val_options``),
        ``train_n`` / ``val_n`` images drawn with ``seed`` / ``val_seed``, ``label``,
        ``image_size``, ``model_degrees`` and ``input``.

    Returns
    -------
    TrainingData
        Tensor data sets of items ``(image (3, S, S) or (1, S, S), class index)``.
    """
    train_set = _generate(spec, spec.train_n, spec.seed, spec.train_options)
    classes = _classes(train_set.table, spec.label)
    train = _tensor_dataset(train_set, spec, classes)
    val = None
    if spec.val_n:
        val = _tensor_dataset(_generate(spec, spec.val_n, spec.val_seed, spec.val_options), spec, classes)
    return TrainingData(train=train, val=val, classes=classes)


def _generate(spec: DataSpec, n: int, seed: int, split_options: Mapping[str, Any]):
    return generate(spec.generator, n=n, size=spec.generated_size, seed=seed, **{**spec.options, **split_options})


def _classes(table, label: str) -> tuple:
    if label not in table.columns:
        raise ConfigError(f"data.label {label!r} is not a column of the generated stimuli; choose one of "
                          f"{', '.join(map(str, table.columns))}.")
    return tuple(value.item() if hasattr(value, "item") else value for value in sorted(table[label].unique()))


def _tensor_dataset(stimulus_set, spec: DataSpec, classes: tuple) -> TensorDataset:
    values = stimulus_set.table[spec.label].tolist()
    index = {value: position for position, value in enumerate(classes)}
    unknown = sorted({value for value in values if value not in index}, key=str)
    if unknown:
        raise DataFormatError(f"validation labels {unknown[:5]} never occur in the training images; generate "
                              "more training images (data.train_n) so that every class is seen.")
    images = load_batch(stimulus_set, range(len(stimulus_set)), spec.image_size, spec.model_degrees)
    if spec.input == "unit_gray":
        images = unit_gray(images)
    return TensorDataset(images, torch.tensor([index[value] for value in values], dtype=torch.long))


def unit_gray(images: torch.Tensor) -> torch.Tensor:
    """Grey images (B, 1, H, W) in [0, 1] from ImageNet-normalised 8-bit RGB images (B, 3, H, W).

    The normalisation is undone, the three channels averaged and the result rounded to
    the nearest 1/765 (the grid of 8-bit channel means), so that black is exactly 0.
    """
    mean = torch.tensor(IMAGENET_MEAN, dtype=images.dtype).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, dtype=images.dtype).view(1, 3, 1, 1)
    channel_sum = ((images * std + mean) * 255).round().sum(dim=1, keepdim=True)
    return (channel_sum / 765).clamp(0, 1)


def _recipe_data(recipe: Recipe) -> TrainingData:
    """Reber symbol sequences for ``local`` training on ``reber``, else the generated images."""
    return reber_sequence_data(recipe) if uses_symbol_sequences(recipe) else generated_data(recipe.data)


register_data_source("generated", DataSource(check=check_generator, build=_recipe_data))
