"""Training on an ImageNet-layout folder, with augmentations that repeat on resume."""

import shutil

import numpy as np
import pytest
import torch
from PIL import Image

from chronoscore.errors import ConfigError, DataFormatError
from chronoscore.models.training import train
from chronoscore.models.training.data import image_folder_data
from chronoscore.models.training.recipe import DataSpec

from .tiny_recipes import assert_same_weights, state_of, tiny_recipe

CLASSES = ("cats", "dogs")


@pytest.fixture
def image_folder(tmp_path):
    """root/{train,val}/{cats,dogs}/*.png: 6 + 2 small images per class, reddish cats and bluish dogs."""
    rng = np.random.default_rng(0)
    for split, count in (("train", 6), ("val", 2)):
        for label, name in enumerate(CLASSES):
            folder = tmp_path / "images" / split / name
            folder.mkdir(parents=True)
            for index in range(count):
                pixels = rng.integers(0, 120, size=(20, 24, 3), dtype=np.uint8)
                pixels[..., 2 * label] += 120
                Image.fromarray(pixels).save(folder / f"{index}.png")
    return tmp_path / "images"


def folder_recipe(root, *overrides, **settings):
    return tiny_recipe("data.source=imagefolder", f"data.root={root}", "data.val_folder=val", "model.name=ff_shallow",
                       "model.kwargs={input_size: 32, width: 0.0625, n_classes: 2}", *overrides,
                       **{"batch_size": 4, **settings})


def test_trains_on_the_folders_classes_and_validates(image_folder, tmp_path):
    summary = train(folder_recipe(image_folder, "data.augment=true"), tmp_path / "run", progress=False)
    assert summary["classes"] == list(CLASSES)
    assert summary["steps_per_epoch"] == 3 and summary["val"] is not None
    assert summary["val"]["accuracy"] in (0.0, 0.25, 0.5, 0.75, 1.0)  # 4 validation images


def test_images_are_resized_and_normalised(image_folder):
    spec = DataSpec(source="imagefolder", root=str(image_folder), val_folder="val", image_size=16)
    data = image_folder_data(spec, seed=0)
    image, label = data.val[0]
    assert image.shape == (3, 16, 16) and image.dtype == torch.float32 and label == 0
    assert len(data.train) == 12 and len(data.val) == 4
    assert image.min() < 0  # ImageNet normalisation: dark pixels go below zero


def test_augmentations_depend_on_seed_epoch_and_index_only(image_folder):
    spec = DataSpec(source="imagefolder", root=str(image_folder), image_size=16, augment=True)
    first, second = image_folder_data(spec, seed=0).train, image_folder_data(spec, seed=0).train
    torch.manual_seed(123)
    draws = [first[5][0] for _ in range(2)]
    torch.manual_seed(456)
    assert torch.equal(draws[0], draws[1]) and torch.equal(draws[0], second[5][0])
    first.set_epoch(1)
    assert not torch.equal(first[5][0], draws[0])
    assert not torch.equal(image_folder_data(spec, seed=1).train[5][0], draws[0])


def test_resume_with_augmentation_ends_at_the_uninterrupted_weights(image_folder, tmp_path):
    recipe = folder_recipe(image_folder, "data.augment=true", steps=5, checkpoint_every=2, keep_last=3)
    train(recipe, tmp_path / "straight", progress=False)
    shutil.copytree(tmp_path / "straight", tmp_path / "copy")
    for step in (4, 5):
        (tmp_path / "copy" / "checkpoints" / f"step_0000000{step}.pt").unlink()
    with pytest.warns(RuntimeWarning, match="falling back"):
        summary = train(recipe, tmp_path / "copy", resume=True, progress=False)
    assert summary["resumed_from_step"] == 2
    final = tmp_path / "{}" / "checkpoints" / "step_00000005.pt"
    assert_same_weights(state_of(str(final).format("copy")), state_of(str(final).format("straight")))


def test_validation_classes_must_match_the_training_classes(image_folder, tmp_path):
    (image_folder / "val" / "birds").mkdir()
    Image.new("RGB", (8, 8)).save(image_folder / "val" / "birds" / "0.png")
    with pytest.raises(DataFormatError, match="class folders of .*val differ from those of .*train"):
        train(folder_recipe(image_folder), tmp_path / "run", progress=False)


def test_a_folder_without_images_raises(tmp_path):
    (tmp_path / "empty" / "train").mkdir(parents=True)
    with pytest.raises(ConfigError, match="cannot read .*train as an image folder"):
        train(folder_recipe(tmp_path / "empty", "data.val_folder=null"), tmp_path / "run", progress=False)
