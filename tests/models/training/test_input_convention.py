"""The input convention of a recipe: ImageNet-normalised RGB, or one grey channel in [0, 1] (the model's default)."""

import pytest

from chronoscore.errors import ConfigError
from chronoscore.models.training.recipe import DataSpec, list_recipes, load_recipe, shipped_recipe_path


def test_the_model_sets_the_default_and_pathfinder_recipes_use_unit_gray():
    base = {"data": {"generator": "objects", "train_n": 8}, "steps": 1}
    assert load_recipe({**base, "model": {"name": "hgru"}}).data.input == "unit_gray"
    assert load_recipe({**base, "model": {"name": "ff_large_kernels"}}).data.input == "unit_gray"
    assert load_recipe({**base, "model": {"name": "ff_shallow"}}).data.input == "imagenet"
    explicit = {**base, "model": {"name": "hgru"}, "data": {**base["data"], "input": "imagenet"}}
    assert load_recipe(explicit).data.input == "imagenet"
    pathfinder = [name for name in list_recipes() if "pathfinder" in shipped_recipe_path(name).read_text()]
    assert pathfinder and all(load_recipe(name).data.input == "unit_gray" for name in pathfinder)
    with pytest.raises(ConfigError, match="data.input"):
        DataSpec(input="rgb")
