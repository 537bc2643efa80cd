"""The MODEL argument of the commands: a registered name, a training run's folder or ``path/to/file.py:function``.

``load_model("convrnn_intermediate_rgc", weights="rgc.pt")``
    builds the registered model with its defaults (overridden by ``model_args``)
    and loads a state dict (``torch.save(model.state_dict(), path)``): through
    the constructor's own ``weights`` argument when it has one (the torchvision
    baselines, which also take torchvision's parameter names), else with
    ``load_state_dict(strict=True)``.
``load_model("nets/my_net.py:build", wrap_areas={"V4": "layer3", "IT": "layer4"})``
    imports the file, calls ``build(**model_args)``, loads ``weights`` into the
    returned module, and adapts it with :func:`~chronoscore.models.wrap_model`
    (``wrap_steps`` = the most calls of any area in one pass). A function that
    already returns a time-resolved model (``forward_timesteps``) is used as it is.

``load_model("runs/rgc_seed1")``
    the output folder of a training run (``chronoscore train RECIPE --out
    runs/rgc_seed1``): the recipe's model with the weights of the run's best
    checkpoint (``checkpoints/best.pt``), loaded by
    :func:`chronoscore.models.training.load_trained_model`. The model is named
    ``<recipe's model>@<folder name>``, and
    :func:`~chronoscore.analyses.model_identity.record_origin` notes on it the run
    folder (absolute), the recipe's model name and the checkpoint used (file,
    step, SHA-256), which extraction adds to the Activations' attrs and its cache
    key, so runs of one recipe are told apart.
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path

import torch
from torch import nn

from chronoscore.analyses.model_identity import record_origin
from chronoscore.errors import ConfigError, FileFormatError
from chronoscore.models.registry import create_model, model_constructor
from chronoscore.models.training.checkpoints import BEST_NAME, CheckpointEntry, CheckpointStore
from chronoscore.models.training.recipe import load_recipe
from chronoscore.models.training.trained_models import checkpoint_at_step, load_trained_model
from chronoscore.models.wrap import count_calls, wrap_model

__all__ = ["load_model", "parse_areas"]


def load_model(source: str, *, weights: str | os.PathLike | None = None,
               wrap_areas: Mapping[str, str] | None = None, wrap_steps: int | None = None,
               model_args: Mapping[str, object] | None = None,
               image_size: int | None = None, seed: int = 0,
               checkpoint: str | int = "best") -> tuple[nn.Module, str]:
    """Build the model that ``source`` names (see the module docstring).

    Parameters
    ----------
    source : str
        A registered model name, a training run's output folder or ``path/to/file.py:function``.
    weights : path-like, optional
        A state dict to load (not with a training run, which brings its own).
    wrap_areas : mapping of str to str, optional
        Area name -> submodule path, to wrap a plain module from a file.
    wrap_steps : int, optional
        Calls of the most-called area in one pass of a wrapped module; None
        counts them in one pass on a grey image of ``image_size`` pixels (1 when
        no size is given).
    model_args : mapping, optional
        Keyword arguments of the registered constructor or of the file's function.
    image_size : int, optional
        Passed as ``input_size`` to a registered constructor that has that
        argument or takes ``**kwargs`` (unless ``model_args`` sets it), and to
        :func:`~chronoscore.models.wrap_model` for a module from a file.
    checkpoint : "best", "last" or int
        Which checkpoint of a training run to load: its best (default), its last,
        or the one of a given step (as its ``checkpoints/index.json`` lists them).
    seed : int
        Seed of torch's random generator while the model is built, so that a
        model built without weights (random initialisation) is the same every
        time; recorded with the model's identity (``init_seed``, in provenance
        and the activation cache key) unless weights are loaded.

    Returns
    -------
    model : nn.Module
        A time-resolved model.
    name : str
        The registered name, ``<recipe's model>@<run folder name>`` (``...#step<N>`` for a
        checkpoint other than the best) or ``<file stem>:<function>``.

    Raises
    ------
    ConfigError
        For an unknown name, a folder that is not a training run with a best
        checkpoint, ``weights`` or ``model_args`` with a training run, a file
        without the function, a plain module without ``wrap_areas``, or
        ``wrap_areas`` given for a registered model or a training run.
    FileFormatError
        For a missing file, weights that do not fit the model, or a corrupt checkpoint.
    """
    model_args = dict(model_args or {})
    if Path(source).is_dir():
        return _trained_run(Path(source), weights, wrap_areas, model_args, checkpoint)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model, name = _built(source, weights, wrap_areas, wrap_steps, model_args, image_size)
    return (model if weights is not None else record_origin(model, {"init_seed": int(seed)})), name


def _built(source: str, weights: str | os.PathLike | None, wrap_areas: Mapping[str, str] | None,
           wrap_steps: int | None, model_args: dict, image_size: int | None) -> tuple[nn.Module, str]:
    """A registered model or a file's module (wrapped when plain), with ``weights`` loaded; and its name."""
    file_name, separator, function_name = source.rpartition(":")
    if separator and file_name.endswith(".py"):
        module = _call_file_function(Path(file_name), function_name, model_args)
        if weights is not None:
            _load_weights(module, Path(weights), source)
        name = f"{Path(file_name).stem}:{function_name}"
        if hasattr(module, "forward_timesteps"):
            if wrap_areas:
                raise ConfigError(f"{source} returns a time-resolved model already; select its areas by name "
                                  f"(--areas {','.join(getattr(module, 'areas', ()))}) instead of name=submodule.")
            return module, name
        if not wrap_areas:
            raise ConfigError(f"{source} returns a plain {type(module).__name__}; say which submodules to record "
                              "with --areas name=submodule,... (e.g. --areas V4=layer3,IT=layer4).")
        if wrap_steps is None:
            wrap_steps = _counted_steps(module, wrap_areas, image_size, source) if image_size else 1
        return wrap_model(module, dict(wrap_areas), n_steps=wrap_steps, input_size=image_size), name
    if wrap_areas:
        raise ConfigError(f"--areas name=submodule wraps a module from path/to/file.py:function; the registered "
                          f"model {source!r} has named areas: select them by name (--areas A,B).")
    return _registered(source, weights, model_args, image_size), source


def parse_areas(values: Sequence[str] | None) -> tuple[list[str] | None, dict[str, str] | None]:
    """Split ``--areas`` values (each comma-separated) into area names or a name -> submodule mapping.

    Returns ``(names, None)`` for ``A,B``, ``(None, {name: path})`` for
    ``name=path,...`` and ``(None, None)`` when no value is given.
    """
    items = [item.strip() for value in values or () for item in value.split(",") if item.strip()]
    if not items:
        return None, None
    pairs = [item.partition("=") for item in items]
    if all(separator for _, separator, _ in pairs):
        mapping = {name.strip(): path.strip() for name, _, path in pairs}
        if len(mapping) != len(pairs) or not all(mapping) or not all(mapping.values()):
            raise ConfigError(f"--areas {','.join(items)}: give each area once as name=submodule.")
        return None, mapping
    if any(separator for _, separator, _ in pairs):
        raise ConfigError(f"--areas {','.join(items)} mixes area names and name=submodule pairs; use one form.")
    return items, None


def _registered(name: str, weights: str | os.PathLike | None, model_args: dict,
                image_size: int | None) -> nn.Module:
    """The registered model, with ``weights`` through its constructor or ``load_state_dict``."""
    parameters = inspect.signature(model_constructor(name)).parameters
    takes_weights = "weights" in parameters
    takes_size = "input_size" in parameters or any(
        parameter.kind is inspect.Parameter.VAR_KEYWORD for parameter in parameters.values())
    if image_size is not None and takes_size:
        model_args.setdefault("input_size", image_size)
    if weights is not None and takes_weights:
        model_args["weights"] = weights
    model = create_model(name, **model_args)
    if weights is not None and not takes_weights:
        _load_weights(model, Path(weights), name)
    return model


def _trained_run(folder: Path, weights: str | os.PathLike | None, wrap_areas: Mapping[str, str] | None,
                 model_args: dict, checkpoint: str | int = "best") -> tuple[nn.Module, str]:
    """The run's recipe model with the chosen checkpoint's weights, its origin recorded; and its name."""
    given = [option for option, value in (("--weights", weights), ("--areas name=submodule", wrap_areas),
                                          ("--model-arg", model_args)) if value]
    if given:
        raise ConfigError(f"{folder} is a training run's folder: its recipe fixes the model and its best checkpoint "
                          f"the weights, so {', '.join(given)} cannot be used with it (select areas by name: "
                          "--areas A,B).")
    if not (folder / "recipe.yaml").is_file():
        raise ConfigError(f"{folder} is a folder but not a training run's output folder (it has no recipe.yaml); "
                          "give the --out folder of `chronoscore train`, a registered model name, or "
                          "path/to/file.py:function.")
    store = CheckpointStore(folder / "checkpoints")
    best = store.best()
    if best is None:
        raise ConfigError(f"the training run in {folder} has no checkpoints yet ({store.folder} holds no "
                          f"{BEST_NAME}); let `chronoscore train` run until its first checkpoint "
                          "(checkpoint_every steps), or resume it with --resume.")
    chosen, file = (best, BEST_NAME) if checkpoint == "best" else _step_checkpoint(store, checkpoint)
    recipe_model = load_recipe(folder / "recipe.yaml").model.name
    model = load_trained_model(folder, "best" if checkpoint == "best" else chosen.step)
    origin = {"run_folder": str(folder.resolve()), "recipe_model": recipe_model,
              "checkpoint": f"{store.folder.name}/{file}", "checkpoint_step": int(chosen.step),
              "checkpoint_sha256": chosen.sha256}
    step_suffix = "" if checkpoint == "best" else f"#step{chosen.step}"
    return record_origin(model, origin), f"{recipe_model}@{folder.resolve().name}{step_suffix}"


def _step_checkpoint(store: CheckpointStore, checkpoint: str | int) -> tuple[CheckpointEntry, str]:
    """The index entry and file name of the ``last`` or a given step's checkpoint."""
    if checkpoint == "last":
        entries = store.entries()
        if not entries:
            raise ConfigError(f"{store.folder} lists no step checkpoint; score its best one (--checkpoint best).")
        return entries[-1], entries[-1].file
    try:
        step = int(checkpoint)
    except ValueError:
        raise ConfigError(f"--checkpoint {checkpoint}: give best, last or a step number.") from None
    try:
        entry = checkpoint_at_step(store, step)
    except FileFormatError as error:
        raise ConfigError(f"{error}; give one of them to --checkpoint.") from None
    return entry, entry.file


def _counted_steps(module: nn.Module, areas: Mapping[str, str], image_size: int, source: str) -> int:
    """The most calls of any area in one pass on a grey image; a module that fails on it raises ConfigError."""
    try:
        counts = count_calls(module, areas, image_size)
    except ConfigError:
        raise
    except Exception as error:
        raise ConfigError(f"{source} fails on a grey {image_size} px image while its areas' calls are counted "
                          f"({type(error).__name__}: {error}); check --image-size, or give the number of "
                          "steps with --steps N.") from error
    return max(max(counts.values()), 1)


def _call_file_function(path: Path, function_name: str, model_args: dict) -> nn.Module:
    """Import ``path`` as a fresh module and return ``function(**model_args)``, checked to be a Module."""
    if not path.is_file():
        raise FileFormatError(f"{path}: no such Python file; give path/to/file.py:function.")
    spec = importlib.util.spec_from_file_location(f"chronoscore_user_model_{uuid.uuid4().hex}", path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as error:
        raise ConfigError(f"{path} fails on import ({type(error).__name__}: {error}); fix the file.") from error
    function = getattr(module, function_name, None)
    if not callable(function):
        functions = sorted(name for name, value in vars(module).items() if inspect.isfunction(value)
                           and value.__module__ == module.__name__)
        raise ConfigError(f"{path} has no function {function_name!r}; its functions: {functions}.")
    try:
        network = function(**model_args)
    except TypeError as error:
        raise ConfigError(f"{path}:{function_name} cannot be called with {sorted(model_args)}: {error}") from error
    if not isinstance(network, nn.Module):
        raise ConfigError(f"{path}:{function_name} returned a {type(network).__name__}; it must return a "
                          "torch.nn.Module.")
    return network


def _load_weights(model: nn.Module, path: Path, what: str) -> None:
    """Load a state dict saved at ``path`` into ``model`` (strict); any problem raises FileFormatError."""
    if not path.is_file():
        raise FileFormatError(f"weights file {path} does not exist; give the path of a saved state dict.")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:
        raise FileFormatError(f"{path}: cannot be read as a PyTorch state dict ({error}); save it with "
                              "torch.save(model.state_dict(), path).") from error
    if not isinstance(state, Mapping) or not all(isinstance(value, torch.Tensor) for value in state.values()):
        raise FileFormatError(f"{path}: holds a {type(state).__name__}, not a state dict of tensors; save it "
                              "with torch.save(model.state_dict(), path).")
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as error:
        raise FileFormatError(f"{path}: does not fit {what} ({error}); check the model name and its "
                              "arguments (--model-arg).") from error
