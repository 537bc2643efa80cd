"""Training and validation data of a recipe: the data-source registry, ImageNet-layout folders, batching.

The trainer gets a recipe's data from the source registered under its
``data.source`` (:func:`register_data_source`). ``imagefolder`` is registered
here: an ImageNet-layout folder read by torchvision's ``ImageFolder``, items
``(image (3, S, S) float32 ImageNet-normalised, class index)``, or with
``data.input: unit_gray`` ``(image (1, S, S) in [0, 1], class index)`` (torchvision's
``Grayscale``, luminance). Sources built from chronoscore's stimulus generators
(``generated``) are registered by :mod:`chronoscore.analyses.training_data`, since
the models never import the stimuli.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from torch.utils.data import DataLoader, Dataset, TensorDataset

from chronoscore.errors import ConfigError, DataFormatError
from chronoscore.models.convrnn import IMAGENET_MEAN, IMAGENET_STD
from chronoscore.models.training.recipe import DataSpec, Recipe
from chronoscore.models.training.sampling import EpochBatches

__all__ = ["DataSource", "SeededItems", "TrainingData", "batch_loader", "check_data_source", "image_folder_data",
           "check_image_folder", "recipe_data", "register_data_source"]


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


@dataclass(frozen=True)
class DataSource:
    """Where the trainer gets the data of recipes whose ``data.source`` names this source.

    Attributes
    ----------
    check : callable
        ``check(spec: DataSpec)`` raises :class:`ConfigError` if the data cannot be
        found (a missing folder or generator), before anything is built.
    build : callable
        ``build(recipe: Recipe) -> TrainingData`` makes or opens the data sets.
    """

    check: Callable[[DataSpec], None]
    build: Callable[[Recipe], TrainingData]


_SOURCES: dict[str, DataSource] = {}


def register_data_source(name: str, source: DataSource) -> None:
    """Make ``source`` the data of every recipe with ``data.source: name``."""
    _SOURCES[name] = source


def _registered(spec: DataSpec) -> DataSource:
    if spec.source not in _SOURCES:
        raise ConfigError(f"no data source {spec.source!r} is registered (registered: "
                          f"{', '.join(sorted(_SOURCES))}); the sources of generated stimuli are registered by "
                          "chronoscore.analyses: train with chronoscore.analyses.train or `chronoscore train`, or "
                          "import chronoscore.analyses.training_data first.")
    return _SOURCES[spec.source]


def check_data_source(spec: DataSpec) -> None:
    """Raise :class:`ConfigError` now if the data cannot be found (an unregistered source, a missing folder, ...)."""
    _registered(spec).check(spec)


def recipe_data(recipe: Recipe) -> TrainingData:
    """Make or open the recipe's data sets from its registered source (call :func:`check_data_source` first)."""
    return _registered(recipe.data).build(recipe)


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


def check_image_folder(spec: DataSpec) -> None:
    """Raise :class:`ConfigError` if ``spec.root`` or its training or validation sub-folder is missing."""
    root = Path(spec.root).expanduser()
    if not root.is_dir():
        raise ConfigError(f"the data folder {root} does not exist; set data.root to a folder holding "
                          f"{spec.train_folder}/<class>/<image> files.")
    for name in (spec.train_folder, spec.val_folder):
        if name is not None and not (root / name).is_dir():
            raise ConfigError(f"the data folder {root} has no {name}/ sub-folder; set data.train_folder / "
                              "data.val_folder to the sub-folders holding one folder per class.")


def image_folder_data(spec: DataSpec, seed: int) -> TrainingData:
    """The training (and validation) images of an ImageNet-layout folder (call :func:`check_image_folder` first).

    Parameters
    ----------
    spec : DataSpec
        ``root``, ``train_folder``, ``val_folder``, ``image_size``, ``input``, ``augment``.
    seed : int
        The run's seed (draws the augmentation of the images).
    """
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


def _image_folder_recipe_data(recipe: Recipe) -> TrainingData:
    return image_folder_data(recipe.data, recipe.seed)


register_data_source("imagefolder", DataSource(check=check_image_folder, build=_image_folder_recipe_data))
