"""The trainer: recipes, the training loop (single process or torch.distributed), checkpoints, shipped weights.

``train(recipe, out_dir, resume=False)`` trains a registered model as a YAML
recipe says (``chronoscore train RECIPE.yaml`` on the command line, under
``torchrun`` for several processes) and returns the run's summary;
``load_trained_model(out_dir)`` builds the trained model back from its
checkpoint; ``load_shipped_weights(name)`` gives the small trained models that
ship with chronoscore. A recipe's ``algorithm`` (``bptt``, ``tbptt``, ``rbp``,
``crbp``, ``local``) and ``algorithm_options`` choose how gradients are computed
(:mod:`chronoscore.models.training.algorithms`).
"""

from chronoscore.models.training.recipe import (
    AlgorithmOptions,
    DataSpec,
    ModelSpec,
    OptimiserSpec,
    Recipe,
    ScheduleSpec,
    list_recipes,
    load_recipe,
    save_recipe,
)
from chronoscore.models.training.shipped import list_shipped_weights, load_shipped_weights, shipped_weights_info
from chronoscore.models.training.trained_models import build_model, load_trained_model
from chronoscore.models.training.trainer import train

__all__ = [
    "AlgorithmOptions",
    "DataSpec",
    "ModelSpec",
    "OptimiserSpec",
    "Recipe",
    "ScheduleSpec",
    "build_model",
    "list_recipes",
    "list_shipped_weights",
    "load_recipe",
    "load_shipped_weights",
    "load_trained_model",
    "save_recipe",
    "shipped_weights_info",
    "train",
]
