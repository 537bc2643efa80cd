"""The trainer: recipes, the training loop (single process or torch.distributed), checkpoints, shipped weights.

``train(recipe, out_dir, resume=False)`` trains a registered model as a YAML
recipe says (``chronoscore train RECIPE.yaml`` on the command line, under
``torchrun`` for several processes) and returns the run's summary;
``load_trained_model(out_dir)`` builds the trained model back from its
checkpoint; ``load_shipped_weights(name)`` gives the small trained models that
ship with chronoscore. A recipe's ``algorithm`` (``bptt``, ``tbptt``, ``rbp``,
``crbp``, ``local``) and ``algorithm_options`` choose how gradients are computed
(:mod:`chronoscore.models.training.algorithms`). The data of a recipe come from
the source registered for its ``data.source`` (:func:`register_data_source`):
``imagefolder`` is built in; ``generated`` (stimulus generators) is registered by
:mod:`chronoscore.analyses.training_data`, whose ``train`` (also
``chronoscore.analyses.train``) is this trainer with it registered.
"""

from chronoscore._lazy import lazy_exports

_EXPORTS = {
    "AlgorithmOptions": "chronoscore.models.training.recipe",
    "DataSpec": "chronoscore.models.training.recipe",
    "ModelSpec": "chronoscore.models.training.recipe",
    "OptimiserSpec": "chronoscore.models.training.recipe",
    "Recipe": "chronoscore.models.training.recipe",
    "ScheduleSpec": "chronoscore.models.training.recipe",
    "list_recipes": "chronoscore.models.training.recipe",
    "load_recipe": "chronoscore.models.training.recipe",
    "save_recipe": "chronoscore.models.training.recipe",
    "list_shipped_weights": "chronoscore.models.training.shipped",
    "load_shipped_weights": "chronoscore.models.training.shipped",
    "shipped_weights_info": "chronoscore.models.training.shipped",
    "build_model": "chronoscore.models.training.trained_models",
    "DataSource": "chronoscore.models.training.data",
    "register_data_source": "chronoscore.models.training.data",
    "load_trained_model": "chronoscore.models.training.trained_models",
    "train": "chronoscore.models.training.trainer",
}
"""Public name -> the module defining it (imported when the name is first used)."""

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)
