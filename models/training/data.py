"""Training and validation data of a recipe: generated in memory, or an ImageNet-layout folder.

Generated data is made once per run with :func:`chronoscore.stimuli.generate`
and preprocessed exactly as stimuli are for scoring (placed on screen by visual
angle, resized, ImageNet-normalised; :func:`chronoscore.stimuli.load_batch`),
then held as tensors. Folder data is read by torchvision's ``ImageFolder``.
Either way an item is ``(image (3, S, S) float32, class index)``, or with
``data.input: unit_gray`` ``(image (1, S, S) in [0, 1], class index)``: for generated
images the mean of the three channels before normalisation, so a black background is
exactly 0; for folder images torchvision's ``Grayscale`` (luminance).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset, TensorDataset

from chronoscore.errors import ConfigError, DataFormatError
from chronoscore.models.training.recipe import DataSpec
from chronoscore.models.training.sampling import EpochBatches
from chronoscore.stimuli import generate, list_generators, load_batch
from chronoscore.stimuli.preprocessing import IMAGENET_MEAN, IMAGENET_STD

__all__ = ["SeededItems", "TrainingData", "batch_loader", "build_data", "check_data_source", "unit_gray"]


@dataclass(frozen=True)
class TrainingData:
    """The data sets of a run.

    Attributes
    ----------
    train : Dataset
        Items ``(image, label)``; a :class:`~torch.utils.data.TensorDataset` for
        generated data.
    val : Dataset or None
        Validation items, labelled with the training classes.
    classes : tuple
        Class of each label index (str or int).
    """

    train: Dataset
    val: Dataset | None
    classes: tuple

    @property
    def in_memory(self) -> bool:
        """The images are tensors already (no loading per batch)."""
        return isinstance(self.train, TensorDataset)


def check_data_source(spec: DataSpec) -> None:
    """Raise :class:`ConfigError` now if the data cannot be found (a missing folder or generator)."""
    if spec.source == "generated":
        if spec.generator not in list_generators():
            raise ConfigError(f"data.generator {spec.generator!r} is not a stimulus generator; choose one of "
                              f"{', '.join(list_generators())}.")
        return
    root = Path(spec.root).expanduser()
    if not root.is_dir():
        raise ConfigError(f"the data folder {root} does not exist; set data.root to a folder holding "
                          f"{spec.train_folder}/<class>/<image> files.")
    for name in (spec.train_folder, spec.val_folder):
        if name is not None and not (root / name).is_dir():
            raise ConfigError(f"the data folder {root} has no {name}/ sub-folder; set data.train_folder / "
                              "data.val_folder to the sub-folders holding one folder per class.")


def build_data(spec: DataSpec, seed: int) -> TrainingData:
    """Make or open the recipe's data sets (call :func:`check_data_source` first).

    Parameters
    ----------
    spec : DataSpec
    seed : int
        The run's seed (draws the augmentation of folder images).
    """
    if spec.source == "generated":
        return _generated_data(spec)
    return _folder_data(spec, seed)


def batch_loader(dataset: Dataset, batches: EpochBatches | Sequence[list[int]], *, num_workers: int = 0,
                 pin_memory: bool = False) -> Iterable[tuple[torch.Tensor, torch.Tensor]]:
    """``(images (B, 3 or 1, S, S), labels (B,))`` for each batch of indices in ``batches``.

    Tensor data sets are indexed a whole batch at a time with an index tensor
    (no per-item work, no loader machinery); others are read item by item by a
    :class:`~torch.utils.data.DataLoader` (in ``num_workers`` processes) and collated.
    """
    if isinstance(dataset, TensorDataset):
        return _tensor_batches(dataset, batches, pin_memory)
    return DataLoader(dataset, batch_sampler=batches, num_workers=num_workers, pin_memory=pin_memory)


def _tensor_batches(dataset: TensorDataset, batches: Iterable[list[int]],
                    pin_memory: bool) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    images, labels = dataset.tensors
    for batch in batches:
        index = torch.as_tensor(batch)
        pair = images[index], labels[index]
        yield tuple(tensor.pin_memory() for tensor in pair) if pin_memory else pair


def _generated_data(spec: DataSpec) -> TrainingData:
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


def _folder_data(spec: DataSpec, seed: int) -> TrainingData:
    from torchvision import transforms

    root = Path(spec.root).expanduser()
    normalise = ([transforms.Grayscale(), transforms.ToTensor()] if spec.input == "unit_gray"
                 else [transforms.ToTensor(), transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD)])
    plain = transforms.Compose([transforms.Resize(spec.image_size), transforms.CenterCrop(spec.image_size),
                                *normalise])
    augmented = transforms.Compose([transforms.RandomResizedCrop(spec.image_size),
                                    transforms.RandomHorizontalFlip(), *normalise])
    train = _image_folder(root / spec.train_folder, augmented if spec.augment else plain)
    val = None
    if spec.val_folder is not None:
        val = _image_folder(root / spec.val_folder, plain)
        if val.classes != train.classes:
            raise DataFormatError(f"the class folders of {root / spec.val_folder} differ from those of "
                                  f"{root / spec.train_folder}; give both the same class sub-folders.")
    return TrainingData(train=SeededItems(train, seed) if spec.augment else train, val=val,
                        classes=tuple(train.classes))


def _image_folder(folder: Path, transform) -> Dataset:
    from torchvision import datasets

    try:
        return datasets.ImageFolder(str(folder), transform=transform)
    except (FileNotFoundError, RuntimeError) as error:
        raise ConfigError(f"cannot read {folder} as an image folder ({error}); it must hold one sub-folder per "
                          "class with image files in them.") from error


class SeededItems(Dataset):
    """A data set whose random transforms draw from a generator seeded by (seed, epoch, index).

    So augmentations repeat exactly on resume, whatever the number of loader
    workers. Call :meth:`set_epoch` before iterating over an epoch.
    """

    def __init__(self, dataset: Dataset, seed: int) -> None:
        self.dataset = dataset
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Draw the next items' transforms for ``epoch``."""
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int):
        item_seed = ((self.seed * 1_000_003 + self.epoch) * 10_000_019 + index) % (2 ** 63)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(item_seed)
            return self.dataset[index]
