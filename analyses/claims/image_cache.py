"""Generated images written once as an ImageNet-layout folder, so several arms train on them.

Generating Pathfinder or object images costs about as much as training a small
model on them, and the arms of a claim share their images. So a claim writes each
generated set once, as ``<cache>/<generator>-<digest>/<label>/<index>.png`` (the
digest taken from the settings and the generator's version, so images of an
earlier version of a generator are never reused), and
its recipes read that folder (``data.source: imagefolder``) instead of generating
the images again in every run. The PNG files hold the generator's pixels exactly,
and with ``generated_size == image_size`` (and the set spanning the model's
``model_degrees``) the folder reader's resize is the identity: the model sees the
same tensors as with ``data.source: generated``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


from chronoscore.errors import ConfigError
from chronoscore.models.training import Recipe, load_recipe
from chronoscore.models.training.recipe import DataSpec
from chronoscore.stimuli import generate, generator_version
from chronoscore.stimuli.images import encode_png, stimulus_image

__all__ = ["ImageSet", "cached_images", "on_cached_images"]

_COMPLETE = "complete.json"


@dataclass(frozen=True)
class ImageSet:
    """A generated image set written as class folders.

    Attributes
    ----------
    root : Path
        The cache folder holding it.
    name : str
        Its sub-folder (``<generator>-<digest>``), which holds one folder per label value.
    """

    root: Path
    name: str

    @property
    def folder(self) -> Path:
        """``root / name``."""
        return self.root / self.name


def cached_images(spec: DataSpec, n: int, seed: int, split_options: Mapping[str, Any], cache: Path) -> ImageSet:
    """The ``n`` images the generator of ``spec`` makes with ``seed`` and ``split_options``, as class folders.

    Written on the first call (atomically: a crashed write leaves nothing that is
    read later) and found again by every call with the same settings.

    Parameters
    ----------
    spec : DataSpec
        Generated data (``generator``, ``options``, ``generated_size``, ``label``).
    n, seed : int
    split_options : mapping
        The split's options on top of ``spec.options`` (``train_options`` or ``val_options``).
    cache : Path
        Folder of the cached sets.

    Raises
    ------
    ConfigError
        If ``generated_size`` differs from ``image_size`` (the folder reader would
        then resize differently from the generated-data path).
    """
    if spec.generated_size != spec.image_size:
        raise ConfigError(f"cached images need data.generated_size == data.image_size, got {spec.generated_size} "
                          f"and {spec.image_size}; generate the images at the model's input size.")
    options = {**spec.options, **split_options}
    settings = {"generator": spec.generator, "options": options, "n": n, "seed": seed, "size": spec.generated_size,
                "label": spec.label}
    if generator_version(spec.generator) != 1:  # version 1 is left out: sets cached before versions keep their digest
        settings["version"] = generator_version(spec.generator)
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()[:12]
    images = ImageSet(Path(cache), f"{spec.generator}-{digest}")
    if not (images.folder / _COMPLETE).is_file():
        _write(images.folder, settings, spec.model_degrees)
    return images


def on_cached_images(recipe: Recipe, cache: Path) -> Recipe:
    """``recipe`` reading its generated training images from the cache (written now if missing).

    The returned recipe has ``data.source: imagefolder`` with ``root`` and
    ``train_folder`` pointing at the cached set, no validation set, and keeps the
    generator settings the images came from.
    """
    spec = recipe.data
    images = cached_images(spec, spec.train_n, spec.seed, spec.train_options, cache)
    settings = recipe.to_dict()
    settings["data"].update(source="imagefolder", root=str(images.root), train_folder=images.name, val_folder=None,
                            val_n=0, augment=False)
    return load_recipe(settings)


def _write(folder: Path, settings: dict[str, Any], model_degrees: float) -> None:
    stimuli = generate(settings["generator"], n=settings["n"], size=settings["size"], seed=settings["seed"],
                       **settings["options"])
    if stimuli.degrees != model_degrees:
        raise ConfigError(f"cached images need stimuli spanning the model's {model_degrees} degrees; the "
                          f"{settings['generator']} images span {stimuli.degrees}. Set data.model_degrees to match.")
    folder.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        labels = stimuli.table[settings["label"]].tolist()
        for index, label in enumerate(labels):
            target = scratch / str(label)
            target.mkdir(exist_ok=True)
            (target / f"{index:06d}.png").write_bytes(encode_png(stimulus_image(stimuli, index)))
        (scratch / _COMPLETE).write_text(json.dumps(settings, sort_keys=True, default=str))
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(scratch, folder)
    finally:
        if scratch.exists():
            shutil.rmtree(scratch)
