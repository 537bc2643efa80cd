"""Held-out accuracy of a trained image classifier on cached generated images."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from chronoscore.analyses.claims.image_cache import ImageSet
from chronoscore.errors import DataFormatError
from chronoscore.models.training.data import batch_loader, image_folder_data
from chronoscore.models.training.recipe import DataSpec

__all__ = ["heldout_accuracy"]


def heldout_accuracy(model: nn.Module, images: ImageSet, classes: Sequence[object], spec: DataSpec,
                     batch_size: int = 64, n_steps: int | None = None) -> float:
    """Fraction of the images whose arg-max class is their label.

    Parameters
    ----------
    model : nn.Module
        Maps images (B, 3, S, S), or (B, 1, S, S) with ``spec.input == "unit_gray"``, to class
        scores (B, n_classes); evaluated in eval mode without gradients.
    images : ImageSet
        Held-out images (class folders named by label value).
    classes : sequence
        The model's classes, in output order (the training run's ``classes``); matched
        to the held-out folders by their names.
    spec : DataSpec
        The data settings the model was trained with (``image_size``, ``model_degrees``,
        ``input``: the held-out images reach the model in the same convention as the
        training images, e.g. one grey channel in [0, 1] for ``unit_gray``).
    batch_size : int
        Images per forward pass.
    n_steps : int, optional
        Run a recurrent model for this many steps (``model(images, n_steps)``) instead of
        its own default; None calls ``model(images)``.

    Raises
    ------
    DataFormatError
        If a held-out label is not one of ``classes``.
    """
    held_out = image_folder_data(DataSpec(source="imagefolder", root=str(images.root), train_folder=images.name,
                                          image_size=spec.image_size, model_degrees=spec.model_degrees,
                                          input=spec.input), seed=0)
    names = [str(name) for name in classes]
    unknown = sorted(set(held_out.classes) - set(names))
    if unknown:
        raise DataFormatError(f"held-out labels {unknown} are not classes of the model ({names}); train on images "
                              "that show every class.")
    to_model = torch.tensor([names.index(name) for name in held_out.classes])
    count = len(held_out.train)
    batches = [list(range(start, min(start + batch_size, count))) for start in range(0, count, batch_size)]
    steps = {} if n_steps is None else {"n_steps": n_steps}
    correct = 0
    model.eval()
    with torch.no_grad():
        for batch, labels in batch_loader(held_out.train, batches):
            correct += int((model(batch, **steps).argmax(dim=1) == to_model[labels]).sum())
    return correct / count
