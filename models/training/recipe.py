"""A training recipe: one frozen dataclass (with nested parts) read from YAML.

A recipe says everything a training run depends on: the model and its keyword
arguments, the data and labels, the optimiser and learning-rate schedule, how
long to train, the global batch size, precision, seed and checkpoint cadence.
It is checked when it is built (unknown key, wrong type or value →
:class:`~chronoscore.errors.ConfigError`) and saved with every checkpoint and
result, so a run can be reproduced from its output folder alone.

Example (``chronoscore train RECIPE.yaml --set optimiser.lr=0.01``)::

    model: {name: convrnn_shallow_rgc, kwargs: {input_size: 64, n_classes: 8}}
    data: {generator: objects, train_n: 3072, image_size: 64, label: category_name}
    optimiser: {name: sgd, lr: 0.05, momentum: 0.9, weight_decay: 1.0e-4}
    schedule: {name: cosine, warmup_steps: 100}
    epochs: 30
    batch_size: 64
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any, Literal, get_args

import torch
import yaml

from chronoscore.config import config_to_dict, load_config
from chronoscore.errors import ConfigError

__all__ = [
    "Algorithm", "ALGORITHMS", "DataSource", "InputConvention", "NeumannRule", "PenaltyReduction", "TrainingLoss",
    "OptimiserName", "Precision", "ScheduleName",
    "ModelSpec", "DataSpec", "OptimiserSpec", "ScheduleSpec", "AlgorithmOptions", "Recipe",
    "load_recipe", "save_recipe", "list_recipes", "shipped_recipe_path",
]

DataSource = Literal["generated", "imagefolder"]
InputConvention = Literal["imagenet", "unit_gray"]
NeumannRule = Literal["release", "tolerance"]
PenaltyReduction = Literal["mean", "sum"]
TrainingLoss = Literal["cross_entropy", "focal"]
OptimiserName = Literal["sgd", "adam", "adamw"]
ScheduleName = Literal["constant", "cosine", "step"]
Precision = Literal["auto", "fp32", "bf16", "fp16"]
Algorithm = Literal["bptt", "tbptt", "rbp", "crbp", "local"]
ALGORITHMS: tuple[str, ...] = get_args(Algorithm)
"""The learning algorithms a recipe can choose (see :mod:`chronoscore.models.training.algorithms`)."""

_RECIPE_PACKAGE = "chronoscore.models.training.recipes"


@dataclass(frozen=True)
class ModelSpec:
    """Which registered model to train.

    Parameters
    ----------
    name : str
        A name from :func:`chronoscore.models.list_models`.
    kwargs : mapping
        Keyword arguments of :func:`chronoscore.models.create_model` (``input_size``
        must match ``data.image_size``; ``n_classes`` at least the number of labels).
    """

    name: str = ""
    kwargs: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ConfigError("model.name is required: the registered model to train (`chronoscore models` "
                              "lists them).")
        if not isinstance(self.kwargs, Mapping) or not all(isinstance(key, str) for key in self.kwargs):
            raise ConfigError(f"model.kwargs must map argument names to values, got {self.kwargs!r}.")


@dataclass(frozen=True)
class DataSpec:
    """The training (and validation) images and their labels.

    Parameters
    ----------
    source : {"generated", "imagefolder"}
        Images from a chronoscore stimulus generator, made in memory once per run
        (deterministic by seed), or an ImageNet-layout folder read by torchvision's
        ``ImageFolder`` (``root/<train_folder>/<class>/*.jpg``).
    generator : str
        Generator name (``objects``, ``pathfinder``, ...), for generated data.
    options : mapping
        Generator options shared by both splits (e.g. ``{variations: [0, 3, 6]}``).
    train_options, val_options : mapping
        Options of one split only (e.g. ``{split: train}`` / ``{split: test}``).
    train_n, val_n : int
        Generated training and validation images (``val_n = 0``: no validation).
    seed, val_seed : int
        Seeds of the generated training and validation images.
    generated_size : int, optional
        Pixels per side of the generated images (the generator's default if unset).
    label : str
        Column of the generated stimulus table used as the class
        (``category_name`` or ``object_name`` for objects, ``label`` for
        pathfinder); its sorted distinct training values are the classes.
    image_size : int
        Pixels per side of the model's input.
    model_degrees : float
        Visual angle the model's input spans (generated images are placed on
        screen by visual angle, as in scoring).
    root : str, optional
        The image folder (``imagefolder`` only).
    train_folder : str
        Sub-folder of ``root`` with the training classes ("." for ``root`` itself).
    val_folder : str, optional
        Sub-folder of ``root`` with the validation classes (none if unset).
    augment : bool
        Random resized crops and horizontal flips of folder images (drawn from
        the seed, the epoch and the image index, so they repeat on resume).
    num_workers : int
        Data-loading processes for folder images.
    input : {"imagenet", "unit_gray"}, optional
        How images are handed to the model: ImageNet-normalised RGB (B, 3, S, S), or
        one grey channel in [0, 1] with a black background (B, 1, S, S), as the
        Pathfinder models' releases were trained. Unset: the model's
        ``input_convention`` (``unit_gray`` for the hGRU family, ``imagenet`` otherwise).
    """

    source: DataSource = "generated"
    generator: str = "objects"
    options: dict[str, Any] = field(default_factory=dict)
    train_options: dict[str, Any] = field(default_factory=dict)
    val_options: dict[str, Any] = field(default_factory=dict)
    train_n: int = 768
    val_n: int = 0
    seed: int = 0
    val_seed: int = 0
    generated_size: int | None = None
    label: str = "category_name"
    image_size: int = 64
    model_degrees: float = 8.0
    root: str | None = None
    train_folder: str = "train"
    val_folder: str | None = None
    augment: bool = False
    num_workers: int = 0
    input: InputConvention | None = None

    def __post_init__(self) -> None:
        _check_choice("data.source", self.source, ("generated", "imagefolder"))
        if self.input is not None:
            _check_choice("data.input", self.input, get_args(InputConvention))
        for name in ("options", "train_options", "val_options"):
            if not isinstance(getattr(self, name), Mapping):
                raise ConfigError(f"data.{name} must map generator option names to values.")
        _check_int("data.train_n", self.train_n, minimum=1)
        _check_int("data.image_size", self.image_size, minimum=1)
        for name in ("val_n", "seed", "val_seed", "num_workers"):
            _check_int(f"data.{name}", getattr(self, name), minimum=0)
        if self.generated_size is not None:
            _check_int("data.generated_size", self.generated_size, minimum=8)
        _check_positive("data.model_degrees", self.model_degrees)
        if self.source == "imagefolder" and not self.root:
            raise ConfigError("data.root is required for imagefolder data: the folder holding "
                              f"{self.train_folder}/<class>/<image> files.")


@dataclass(frozen=True)
class OptimiserSpec:
    """The optimiser.

    Parameters
    ----------
    name : {"sgd", "adam", "adamw"}
    lr : float
        Peak learning rate (the schedule multiplies it).
    momentum : float
        SGD momentum.
    nesterov : bool
        Nesterov momentum (SGD).
    betas : (float, float)
        Adam's moment decay rates.
    weight_decay : float
        L2 penalty (SGD, Adam) or decoupled weight decay (AdamW).
    grad_clip : float, optional
        Largest L2 norm of all gradients together; larger ones are scaled down.
    """

    name: OptimiserName = "sgd"
    lr: float = 0.1
    momentum: float = 0.9
    nesterov: bool = False
    betas: tuple[float, ...] = (0.9, 0.999)
    weight_decay: float = 0.0
    grad_clip: float | None = None

    def __post_init__(self) -> None:
        _check_choice("optimiser.name", self.name, ("sgd", "adam", "adamw"))
        _check_positive("optimiser.lr", self.lr)
        for name in ("momentum", "weight_decay"):
            _check_positive(f"optimiser.{name}", getattr(self, name), allow_zero=True)
        if len(self.betas) != 2 or not all(0 <= beta < 1 for beta in self.betas):
            raise ConfigError(f"optimiser.betas must be two numbers in [0, 1), got {list(self.betas)}.")
        if self.nesterov and (self.name != "sgd" or self.momentum == 0):
            raise ConfigError("optimiser.nesterov needs name: sgd and a positive momentum.")
        if self.grad_clip is not None:
            _check_positive("optimiser.grad_clip", self.grad_clip)


@dataclass(frozen=True)
class ScheduleSpec:
    """The learning-rate schedule, as a factor of ``optimiser.lr`` at each step.

    Parameters
    ----------
    name : {"constant", "cosine", "step"}
        After warm-up: constant; cosine decay from 1 to ``final_ratio`` at the last
        step; or multiplied by ``gamma`` every ``step_every`` steps (counted from
        step 0).
    warmup_steps : int
        Linear warm-up: the factor is ``(s + 1) / warmup_steps`` at steps
        ``s < warmup_steps``.
    final_ratio : float
        Cosine schedule's factor at the last step.
    step_every : int
        Steps between decays of the step schedule.
    gamma : float
        Decay factor of the step schedule.
    """

    name: ScheduleName = "cosine"
    warmup_steps: int = 0
    final_ratio: float = 0.0
    step_every: int = 1000
    gamma: float = 0.1

    def __post_init__(self) -> None:
        _check_choice("schedule.name", self.name, ("constant", "cosine", "step"))
        _check_int("schedule.warmup_steps", self.warmup_steps, minimum=0)
        _check_int("schedule.step_every", self.step_every, minimum=1)
        if not 0 <= self.final_ratio <= 1:
            raise ConfigError(f"schedule.final_ratio must be in [0, 1], got {self.final_ratio}.")
        if not 0 < self.gamma <= 1:
            raise ConfigError(f"schedule.gamma must be in (0, 1], got {self.gamma}.")


@dataclass(frozen=True)
class AlgorithmOptions:
    """Settings of the learning algorithm (``Recipe.algorithm``); each applies only where named.

    Parameters
    ----------
    window : int, optional
        tbptt (required there, unset otherwise): the gradient flows through the
        last ``window`` steps only; ``window`` ≥ the model's steps is full BPTT.
    max_iterations : int
        rbp, crbp: most terms of the Neumann series ``v = Σ_k (Jᵀ)^k g`` (one
        vector-Jacobian product each; 15 as in C-RBP's release).
    neumann_rule : {"release", "tolerance"}
        rbp, crbp: where the series stops
        (:mod:`~chronoscore.models.training.algorithms.neumann`). ``release``: at
        the first term that would make ‖Σ‖ > 1, grew, or fell below 1e-9, that term
        left out (C-RBP's release). ``tolerance``: chronoscore's earlier rule, below.
        Each batch's reason is recorded in ``metrics.csv`` (``neumann_diverged``,
        ``neumann_capped``, ``neumann_vanished``).
    tolerance : float
        rbp, crbp with ``neumann_rule: tolerance``: the series stops once a term's
        norm is at most ``tolerance`` times the norm of the sum so far.
    stop_on_growth : bool
        rbp, crbp with ``neumann_rule: tolerance``: stop the series (without the
        growing term) as soon as a term's norm exceeds the previous one's.
    penalty_weight : float
        crbp: λ of the contraction penalty ``λ · mean(relu(1ᵀJ − τ)²)`` (10).
    penalty_tau : float
        crbp: τ, the largest column sum of the step's Jacobian left unpenalised (0.9;
        the panoptic release uses 0.95 with a sum).
    update_every : {"batch", "step"}
        local: one optimiser update per batch from the mean of the time steps' losses
        (``batch``, the default), or one update after every time step of the batch
        (``step``, as the Recurrent Sparse Memory's release does); the optimiser's
        state persists across steps and batches either way, and the learning-rate
        schedule advances once per batch.
    penalty_reduction : {"mean", "sum"}
        crbp: average the squared excesses over the batch's units (the Pathfinder
        release) or sum them (the panoptic release).
    loss : {"cross_entropy", "focal"}
        The training loss of bptt, tbptt, rbp and crbp: cross-entropy, or the focal
        loss with exponent ``focal_gamma`` (C-RBP's Pathfinder release, γ = 2).
    focal_gamma : float
        γ of the focal loss (2).

    Under rbp and crbp only the last step has a graph, so a model's per-step gains
    (the hGRU's η_t) get no gradient except the last one: train the hGRU there with
    ``step_gains: false`` (the C-RBP recipes do) or use ``hgru_seg``.

    Examples
    --------
    C-RBP for the hGRU on Pathfinder, 20 steps, the paper's λ and τ::

        model: {name: hgru, kwargs: {n_classes: 2, n_steps: 20, step_gains: false}}
        algorithm: crbp
        algorithm_options: {max_iterations: 15, neumann_rule: release, penalty_weight: 10, penalty_tau: 0.9}
    """

    window: int | None = None
    max_iterations: int = 15
    neumann_rule: NeumannRule = "release"
    tolerance: float = 1e-4
    stop_on_growth: bool = True
    penalty_weight: float = 10.0
    penalty_tau: float = 0.9
    update_every: Literal["batch", "step"] = "batch"
    penalty_reduction: PenaltyReduction = "mean"
    loss: TrainingLoss = "cross_entropy"
    focal_gamma: float = 2.0

    def __post_init__(self) -> None:
        if self.window is not None:
            _check_int("algorithm_options.window", self.window, minimum=1)
        _check_int("algorithm_options.max_iterations", self.max_iterations, minimum=1)
        _check_choice("algorithm_options.neumann_rule", self.neumann_rule, ("release", "tolerance"))
        _check_choice("algorithm_options.penalty_reduction", self.penalty_reduction, ("mean", "sum"))
        _check_choice("algorithm_options.loss", self.loss, ("cross_entropy", "focal"))
        _check_positive("algorithm_options.focal_gamma", self.focal_gamma, allow_zero=True)
        _check_positive("algorithm_options.tolerance", self.tolerance, allow_zero=True)
        _check_positive("algorithm_options.penalty_weight", self.penalty_weight, allow_zero=True)
        _check_positive("algorithm_options.penalty_tau", self.penalty_tau, allow_zero=True)
        if self.update_every not in ("batch", "step"):
            raise ConfigError(f"algorithm_options.update_every must be 'batch' or 'step', got {self.update_every!r}.")


@dataclass(frozen=True)
class Recipe:
    """Everything a training run depends on (see the module docstring).

    Parameters
    ----------
    model, data, optimiser, schedule
        The parts above.
    steps, epochs : int, optional
        Length of the run: exactly one of them (an epoch is one pass over the
        training images in global batches; the last incomplete batch is dropped).
    batch_size : int
        Global batch size, split evenly across distributed processes.
    precision : {"auto", "fp32", "bf16", "fp16"}
        Autocast precision; "auto" is bf16 on CUDA and fp32 elsewhere. fp16 uses a
        gradient scaler.
    device : str, optional
        Torch device ("cpu", "cuda", "mps"); chosen automatically if unset
        (CUDA, then MPS, then CPU; ``cuda:<local rank>`` under torchrun).
    compile : bool
        Run the model through ``torch.compile``.
    seed : int
        Seed of initialisation, data order and every random number generator.
    algorithm : {"bptt", "tbptt", "rbp", "crbp", "local"}
        How the cross-entropy of a batch becomes gradients
        (:mod:`chronoscore.models.training.algorithms`): back-propagation through
        the whole unrolled model (``bptt``, any model); through its last
        ``algorithm_options.window`` steps (``tbptt``); recurrent back-propagation
        at the last state (``rbp``, Almeida–Pineda) or with the contraction
        penalty of Linsley et al. 2020 (``crbp``) — these three need a model with
        the fixed-point interface (:mod:`chronoscore.models.fixed_point`, e.g. the
        hGRU family) and run its ``n_steps``; or the Recurrent Sparse Memory's
        local, immediate losses (``local``, ``rsm``/``convrsm`` models; with
        ``data.generator: reber`` on embedded-Reber symbol sequences).
    algorithm_options : AlgorithmOptions
        The algorithm's settings.
    checkpoint_every : int
        Steps between checkpoints (and validation); the last step always writes one.
    keep_last : int
        Step checkpoints kept on disk (the best one is kept besides).
    log_every : int
        Steps between rows of training metrics.
    """

    model: ModelSpec = field(default_factory=ModelSpec)
    data: DataSpec = field(default_factory=DataSpec)
    optimiser: OptimiserSpec = field(default_factory=OptimiserSpec)
    schedule: ScheduleSpec = field(default_factory=ScheduleSpec)
    steps: int | None = None
    epochs: int | None = None
    batch_size: int = 64
    precision: Precision = "auto"
    device: str | None = None
    compile: bool = False
    seed: int = 0
    algorithm: Algorithm = "bptt"
    algorithm_options: AlgorithmOptions = field(default_factory=AlgorithmOptions)
    checkpoint_every: int = 500
    keep_last: int = 3
    log_every: int = 10

    def __post_init__(self) -> None:
        if (self.steps is None) == (self.epochs is None):
            raise ConfigError("give exactly one of steps and epochs (the length of the run); "
                              f"got steps={self.steps}, epochs={self.epochs}.")
        for name in ("steps", "epochs"):
            if getattr(self, name) is not None:
                _check_int(name, getattr(self, name), minimum=1)
        for name in ("batch_size", "checkpoint_every", "keep_last", "log_every"):
            _check_int(name, getattr(self, name), minimum=1)
        _check_int("seed", self.seed, minimum=0)
        _check_choice("precision", self.precision, ("auto", "fp32", "bf16", "fp16"))
        _check_choice("algorithm", self.algorithm, ALGORITHMS)
        self._check_algorithm()
        if self.device is not None:
            _check_device_name(self.device)
        if self.data.input is None:
            from chronoscore.models.registry import model_input_convention

            object.__setattr__(self, "data", replace(self.data, input=model_input_convention(self.model.name)))

    def _check_algorithm(self) -> None:
        window = self.algorithm_options.window
        if self.algorithm == "tbptt" and window is None:
            raise ConfigError("algorithm tbptt needs algorithm_options.window: the number of last steps the "
                              "gradient flows through.")
        if self.algorithm != "tbptt" and window is not None:
            raise ConfigError(f"algorithm_options.window only applies to algorithm tbptt (this recipe uses "
                              f"{self.algorithm}); remove it or set algorithm: tbptt.")
        if self.algorithm != "local" and self.algorithm_options.update_every != "batch":
            raise ConfigError(f"algorithm_options.update_every: step only applies to algorithm local (this recipe "
                              f"uses {self.algorithm}); remove it.")
        if self.compile and self.algorithm != "bptt":
            raise ConfigError(f"compile: true only compiles the model's forward, which algorithm {self.algorithm} "
                              "does not call as a whole; set compile: false or algorithm: bptt.")

    def to_dict(self) -> dict[str, Any]:
        """The recipe as plain YAML/JSON types (lists for tuples)."""
        return config_to_dict(self)


def load_recipe(source: str | os.PathLike | Mapping[str, Any], overrides: Sequence[str] = ()) -> Recipe:
    """Build a :class:`Recipe` from a YAML file, a shipped recipe's name or a mapping.

    Parameters
    ----------
    source : path-like, str or mapping
        A YAML file; else the name of a shipped recipe (``convrnn_rgc_objects`` or
        ``convrnn_rgc_objects.yaml``, see :func:`list_recipes`); or the recipe as a
        mapping (e.g. loaded from a checkpoint).
    overrides : sequence of str
        ``"key=value"`` settings applied last, e.g. ``"optimiser.lr=0.01"``.

    Raises
    ------
    ConfigError
        For a missing file, an unknown key, a wrong type or value.
    """
    if isinstance(source, Mapping):
        return load_config(Recipe, None, overrides, **source)
    path = Path(source)
    if not path.is_file():
        path = shipped_recipe_path(str(source))
    return load_config(Recipe, path, overrides)


def save_recipe(recipe: Recipe, path: str | os.PathLike) -> None:
    """Write ``recipe`` as YAML that :func:`load_recipe` reads back to an equal recipe."""
    Path(path).write_text(yaml.safe_dump(recipe.to_dict(), sort_keys=False))


def list_recipes() -> list[str]:
    """Names of the recipes shipped with chronoscore (without ``.yaml``)."""
    folder = resources.files(_RECIPE_PACKAGE)
    return sorted(item.name[:-5] for item in folder.iterdir() if item.name.endswith(".yaml"))


def shipped_recipe_path(name: str) -> Path:
    """Path of the shipped recipe ``name`` (with or without ``.yaml``).

    Raises
    ------
    ConfigError
        If no file of that path exists and no recipe of that name is shipped.
    """
    stem = Path(name).name.removesuffix(".yaml")
    if stem in list_recipes() and Path(name).parent == Path("."):
        return Path(str(resources.files(_RECIPE_PACKAGE) / f"{stem}.yaml"))
    raise ConfigError(f"no recipe file {name!r} and no shipped recipe of that name; give a YAML file or one of: "
                      f"{', '.join(list_recipes())}.")


def _check_choice(name: str, value: object, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}; got {value!r}.")


def _check_int(name: str, value: object, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ConfigError(f"{name} must be an integer of at least {minimum}, got {value!r}.")


def _check_positive(name: str, value: object, allow_zero: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not (value >= 0 if allow_zero else value > 0):
        kind = "non-negative" if allow_zero else "positive"
        raise ConfigError(f"{name} must be a {kind} number, got {value!r}.")


def _check_device_name(device: str) -> None:
    try:
        torch.device(device)
    except (RuntimeError, TypeError) as error:
        raise ConfigError(f"device must name a torch device such as cpu, cuda, cuda:1 or mps, got {device!r}; "
                          "leave it unset to choose automatically.") from error
