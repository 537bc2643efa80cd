"""Recipes: shipped files, round trips through YAML, and clear errors before any training starts."""

import pytest
import yaml

from chronoscore.errors import ConfigError
from chronoscore.models import list_models
from chronoscore.models.training import Recipe, list_recipes, load_recipe, save_recipe, train
from chronoscore.models.training import trainer as trainer_module

from ..tiny_models import tiny_kwargs
from .tiny_recipes import TINY, tiny_recipe

CATEGORIES = ["animals", "boats", "cars", "chairs", "faces", "fruits", "planes", "tables"]
SHIPPED = ["convrnn_rgc_objects", "ff_shallow_objects", "imagefolder", "hgru_pathfinder",
           "ff_large_kernels_pathfinder", "demo_convrnn_shallow_rgc", "demo_ff_shallow", "demo_convrnn_shallow_lstm"]


def test_every_promised_recipe_is_shipped():
    assert set(SHIPPED) <= set(list_recipes())


@pytest.mark.parametrize("name", sorted(set(list_recipes()) - {"imagefolder"}))
def test_shipped_recipe_loads_and_names_a_model(name):
    recipe = load_recipe(f"{name}.yaml")
    assert isinstance(recipe, Recipe) and recipe.model.name
    assert load_recipe(name) == recipe


def test_imagefolder_recipe_needs_its_root(tmp_path):
    with pytest.raises(ConfigError, match="data.root is required"):
        load_recipe("imagefolder")
    assert load_recipe("imagefolder", [f"data.root={tmp_path}"]).data.root == str(tmp_path)


@pytest.mark.parametrize("name", ["convrnn_rgc_objects", "ff_shallow_objects", "hgru_pathfinder",
                                  "ff_large_kernels_pathfinder"])
def test_shipped_generated_recipe_trains_when_shrunk(name, tmp_path):
    recipe = load_recipe(name)
    if recipe.model.name not in list_models():
        pytest.skip(f"model {recipe.model.name!r} is not registered yet (another engineer is adding it)")
    kwargs = {**tiny_kwargs(recipe.model.name), "n_classes": recipe.model.kwargs["n_classes"]}
    size = kwargs["input_size"]
    rendered = 64 if recipe.data.generator == "pathfinder" else size  # 14-paddle paths need 48 px or more
    shrunk = load_recipe(recipe.to_dict(), [
        f"model.kwargs={kwargs}", "data.train_n=8", "data.val_n=4", f"data.image_size={size}",
        f"data.generated_size={rendered}", "epochs=null", "steps=1", "batch_size=4", "device=cpu"])
    summary = train(shrunk, tmp_path / "run", progress=False)
    assert summary["steps"] == 1 and summary["val"] is not None
    # 8 objects images show objects 0, 1, 2 (image i shows object i // 3); pathfinder alternates labels 1, 0
    assert summary["classes"] == ([0, 1] if recipe.data.generator == "pathfinder" else CATEGORIES[:3])


def test_recipe_round_trips_through_yaml(tmp_path):
    recipe = tiny_recipe("optimiser.betas=[0.8, 0.9]", "optimiser.grad_clip=2", "data.val_n=4")
    save_recipe(recipe, tmp_path / "recipe.yaml")
    assert load_recipe(tmp_path / "recipe.yaml") == recipe
    assert load_recipe(recipe.to_dict()) == recipe


def test_overrides_apply_last(tmp_path):
    (tmp_path / "recipe.yaml").write_text(yaml.safe_dump(TINY))
    recipe = load_recipe(tmp_path / "recipe.yaml", ["optimiser.lr=0.5", "model.kwargs.width=0.125"])
    assert recipe.optimiser.lr == 0.5 and recipe.model.kwargs["width"] == 0.125
    assert recipe.model.kwargs["input_size"] == 32


@pytest.mark.parametrize("override, match", [
    ("optimiser.learning_rate=0.1", r"unknown setting\(s\) optimiser.learning_rate"),
    ("epoch=3", r"unknown setting\(s\) epoch;"),
    ("batch_size=eight", "batch_size must be of type int, got 'eight'"),
    ("optimiser.lr=fast", "optimiser.lr must be a number, got 'fast'"),
    ("optimiser.name=rmsprop", "optimiser.name must be one of sgd, adam, adamw; got 'rmsprop'"),
    ("schedule.name=linear", "schedule.name must be one of constant, cosine, step"),
    ("precision=fp8", "precision must be one of auto, fp32, bf16, fp16"),
    ("epochs=3", "give exactly one of steps and epochs"),
    ("steps=null", "give exactly one of steps and epochs"),
    ("batch_size=0", "batch_size must be an integer of at least 1, got 0"),
    ("optimiser.betas=[0.9]", "optimiser.betas must be two numbers"),
    ("optimiser.nesterov=true", None),
    ("schedule.final_ratio=2", r"schedule.final_ratio must be in \[0, 1\]"),
    ("device=gpu0", "device must name a torch device"),
    ("data.source=folder", "data.source must be one of generated, imagefolder"),
    ("model.name=''", "model.name is required"),
])
def test_bad_settings_raise_config_error(override, match):
    if match is None:
        assert tiny_recipe(override).optimiser.nesterov
        return
    with pytest.raises(ConfigError, match=match):
        tiny_recipe(override)


def test_nesterov_needs_sgd():
    with pytest.raises(ConfigError, match="nesterov needs name: sgd"):
        tiny_recipe("optimiser.name=adam", "optimiser.nesterov=true")


def test_unknown_recipe_name_lists_the_shipped_ones():
    with pytest.raises(ConfigError, match="no shipped recipe of that name; give a YAML file or one of: "
                                          "convrnn_rgc_objects, demo_convrnn_shallow_lstm, .*, imagefolder"):
        load_recipe("convrnn_objects")


@pytest.fixture
def no_data_generation(monkeypatch):
    """Fail the test if the trainer starts making data."""
    def refuse(*args, **kwargs):
        raise AssertionError("data was built before the recipe was checked")
    monkeypatch.setattr(trainer_module, "recipe_data", refuse)


@pytest.mark.parametrize("override, match", [
    ("model.name=convrnn_shalow_rgc", "no model named 'convrnn_shalow_rgc'. Did you mean convrnn_shallow_rgc"),
    ("data.generator=objcts", "data.generator 'objcts' is not a stimulus generator"),
])
def test_unknown_model_or_generator_raises_before_data_are_made(override, match, tmp_path, no_data_generation):
    with pytest.raises(ConfigError, match=match):
        train(tiny_recipe(override), tmp_path / "run", progress=False)
    assert not (tmp_path / "run" / "checkpoints").exists()


def test_missing_data_folder_raises_before_data_are_made(tmp_path, no_data_generation):
    recipe = tiny_recipe("data.source=imagefolder", f"data.root={tmp_path / 'imagenet'}")
    with pytest.raises(ConfigError, match=r"the data folder .*imagenet does not exist; set data.root"):
        train(recipe, tmp_path / "run", progress=False)
    (tmp_path / "imagenet" / "train").mkdir(parents=True)
    with pytest.raises(ConfigError, match="has no val/ sub-folder"):
        train(load_recipe(recipe.to_dict(), ["data.val_folder=val"]), tmp_path / "run", progress=False)


def test_model_that_does_not_take_the_images_raises_before_training(tmp_path):
    with pytest.raises(ConfigError, match=r"does not take the recipe's images \(3, 32, 32\).*input_size"):
        train(tiny_recipe("model.kwargs.input_size=64"), tmp_path / "run", progress=False)
    assert not (tmp_path / "run" / "checkpoints").exists()


def test_too_few_model_outputs_for_the_classes_raise_before_training(tmp_path):
    # the first 32 objects images show objects 0..10 (image i shows object i // 3): 11 classes
    with pytest.raises(ConfigError, match=r"data has 11 classes; set model.kwargs.n_classes: 11"):
        train(tiny_recipe("data.label=object_name"), tmp_path / "run", progress=False)


def test_unknown_label_column_raises(tmp_path):
    with pytest.raises(ConfigError, match="data.label 'category' is not a column.*category_name"):
        train(tiny_recipe("data.label=category"), tmp_path / "run", progress=False)


def test_batch_larger_than_the_data_raises(tmp_path):
    with pytest.raises(ConfigError, match="has 32 images, fewer than one batch of 64"):
        train(tiny_recipe("batch_size=64"), tmp_path / "run", progress=False)
