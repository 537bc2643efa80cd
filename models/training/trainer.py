"""The training loop: ``train(recipe, out_dir, resume=False) -> summary``.

A run writes into its output folder ``recipe.yaml``, ``metrics.csv`` (and
``tensorboard/`` when TensorBoard is installed), ``checkpoints/`` (see
:mod:`~chronoscore.models.training.checkpoints`) and, at the end,
``summary.json``. Everything that can be wrong with a recipe (unknown model,
missing data, images the model does not take, too few classes, an output
folder holding another run) raises before the first step.

Under ``torchrun`` every process runs this loop on its share of each global
batch (:mod:`~chronoscore.models.training.sampling`), gradients are averaged by
``DistributedDataParallel``, and only rank 0 writes files and shows progress
(several machines: ``torchrun --nnodes=M --node_rank=i --master_addr=HOST ...``
on each; resuming then needs the output folder on a file system all of them
read). Batch-norm statistics stay per process (no SyncBatchNorm).
``resume=True`` continues from the newest readable checkpoint exactly: the
weights, optimiser, schedule, gradient scaler, random states and position in
the data order are restored.

``recipe.algorithm`` chooses how a batch's loss becomes gradients
(:mod:`~chronoscore.models.training.algorithms`: ``bptt``, ``tbptt``, ``rbp``,
``crbp``, ``local``); all but ``bptt`` have their gradients averaged over the
processes by the trainer, and their diagnostics (e.g. ``neumann_iterations``,
``penalty``) become extra columns of ``metrics.csv``. The data come from
the source registered for the recipe's ``data.source``
(:func:`~chronoscore.models.training.data.register_data_source`): ``imagefolder``
here, ``generated`` (stimulus generators; with ``local`` and
``data.generator: reber``, Reber symbol sequences instead of images) by
:mod:`chronoscore.analyses.training_data`.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import sys
import time
import warnings
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from tqdm import tqdm

import chronoscore
from chronoscore.errors import ConfigError, DataFormatError
from chronoscore.models.registry import model_constructor
from chronoscore.models.training.algorithms import StepContext, build_algorithm
from chronoscore.models.training.checkpoints import (BEST_NAME, CheckpointStore, capture_rng_state,
                                                     restore_rng_state)
from chronoscore.models.training.data import batch_loader, check_data_source, recipe_data
from chronoscore.models.training.metrics import MetricsLog, RunningMeans, RunningMetrics, batch_sums
from chronoscore.models.training.optimisation import build_optimiser, build_scheduler
from chronoscore.models.training.recipe import Recipe, load_recipe, save_recipe
from chronoscore.models.training.runtime import (Runtime, autocast, autocast_dtype, average_gradients,
                                                 gather_objects, start_runtime, stop_runtime)
from chronoscore.models.training.sampling import EpochBatches, shard_indices, steps_per_epoch
from chronoscore.models.training.trained_models import build_model

__all__ = ["train", "RESUMABLE_CHANGES"]

RESUMABLE_CHANGES = ("device", "compile", "log_every", "checkpoint_every", "keep_last", "data.num_workers")
"""Recipe settings that may differ between a checkpoint and the run resuming it (they do not change results)."""


def train(recipe: Recipe | str | os.PathLike, out_dir: str | os.PathLike, resume: bool = False, *,
          progress: bool = True) -> dict[str, Any]:
    """Train the recipe's model and return the run's summary (also written to ``summary.json``).

    Parameters
    ----------
    recipe : Recipe, path-like or str
        A recipe, a YAML file or a shipped recipe's name.
    out_dir : path-like
        Output folder of the run.
    resume : bool
        Continue from the newest readable checkpoint in ``out_dir`` (start afresh
        if there is none).
    progress : bool
        Show a progress bar with loss, accuracy and throughput (rank 0 only).

    Returns
    -------
    dict
        See ``summary.json``: steps, final train and validation loss and accuracy,
        best and last checkpoint, throughput, device, precision, recipe, versions.
        ``training_seconds`` and ``training_cpu_seconds`` add up every session of a
        resumed run (up to the checkpoint it resumed from);
        ``training_seconds_this_session``, ``steps_per_second`` and
        ``images_per_second`` are this session's. ``elapsed_seconds`` in
        ``metrics.csv`` counts the same way as ``training_seconds``.

    Raises
    ------
    ConfigError
        For anything wrong with the recipe or the output folder, before training starts.
    FileFormatError
        When resuming and no checkpoint can be read.
    """
    recipe = recipe if isinstance(recipe, Recipe) else load_recipe(recipe)
    runtime = start_runtime(recipe.device)
    try:
        result = _Run(recipe, Path(out_dir), runtime, resume, progress).run()
    except BaseException:
        stop_runtime(runtime, completed=False)
        raise
    stop_runtime(runtime, completed=True)
    return result


class _Run:
    """One training run: built and checked in ``__init__``, trained by :meth:`run`."""

    def __init__(self, recipe: Recipe, out: Path, runtime: Runtime, resume: bool, progress: bool) -> None:
        self.recipe, self.out, self.runtime, self.progress = recipe, out, runtime, progress
        self.store = CheckpointStore(out / "checkpoints", recipe.keep_last)
        self._check_before_building(resume)
        self.algorithm = build_algorithm(recipe.algorithm, recipe.algorithm_options)
        _seed_everything(recipe.seed)
        self.data = recipe_data(recipe)
        self.steps_per_epoch = steps_per_epoch(len(self.data.train), recipe.batch_size, runtime.world_size)
        self.total_steps = recipe.steps or recipe.epochs * self.steps_per_epoch
        self.model = build_model(recipe.model).to(runtime.device)
        self.dtype = autocast_dtype(recipe.precision, runtime.device)
        self.algorithm.check_model(self.model)
        self._check_model_output()
        self.module = self.model
        if runtime.distributed:
            device_ids = [runtime.device.index] if runtime.device.type == "cuda" else None
            self.module = DistributedDataParallel(self.model, device_ids=device_ids)
        if recipe.compile:
            self.module = torch.compile(self.module)
        self.optimiser = build_optimiser(self.model.parameters(), recipe.optimiser)
        self.scheduler = build_scheduler(self.optimiser, recipe.schedule, self.total_steps)
        self.scaler = torch.amp.GradScaler(runtime.device.type, enabled=self.dtype == torch.float16)
        within = self.algorithm.updates_within_batch
        self.context = StepContext(scale=self.scaler.scale, autocast=partial(autocast, runtime.device, self.dtype),
                                   apply_update=self._apply_update if within else None)
        self.step, self.resumed_from, self.last_lr = 0, None, recipe.optimiser.lr
        self.started = self.cpu_started = 0.0   # this session's start: perf_counter, process_time
        self.seconds_before = self.cpu_seconds_before = 0.0   # training time of earlier sessions (resumed)
        self.last_metrics: dict[str, dict[str, float] | None] = {"train": None, "val": None}
        if resume:
            self._restore()

    # -- checks before anything heavy -------------------------------------------------------------

    def _check_before_building(self, resume: bool) -> None:
        model_constructor(self.recipe.model.name)
        check_data_source(self.recipe.data)
        if self.store.exists() and not resume:
            raise ConfigError(f"{self.out} already holds checkpoints of a training run; pass --resume (resume=True) "
                              "to continue it, or choose another output folder.")
        saved = self.out / "recipe.yaml"
        if resume and saved.is_file():
            _check_same_recipe(load_recipe(saved), self.recipe, saved)
        if self.runtime.is_main:
            self.out.mkdir(parents=True, exist_ok=True)
            save_recipe(self.recipe, saved)

    def _check_model_output(self) -> None:
        name, classes = self.recipe.model.name, self.data.classes
        image, label = (torch.as_tensor(item).unsqueeze(0).to(self.runtime.device) for item in self.data.train[0][:2])
        self.model.eval()
        try:
            with torch.no_grad(), autocast(self.runtime.device, self.dtype):
                logits, _ = self.algorithm.evaluation_logits(self.model, image, label)
        except (DataFormatError, RuntimeError) as error:
            raise ConfigError(f"model {name!r} does not take the recipe's images {tuple(image.shape[1:])}: "
                              f"{error} Set model.kwargs (e.g. input_size) to match data.image_size.") from error
        finally:
            self.model.train()
        if logits.ndim != 2 or logits.shape[1] < len(classes):
            raise ConfigError(f"model {name!r} gives outputs of shape {tuple(logits.shape)} but the data has "
                              f"{len(classes)} classes; set model.kwargs.n_classes: {len(classes)}.")

    def _restore(self) -> None:
        payload = self.store.load_latest(map_location=self.runtime.device)
        if payload is None:
            warnings.warn(f"nothing to resume in {self.out}: no checkpoint yet; training from step 0.",
                          RuntimeWarning, stacklevel=3)
            return
        _check_same_recipe(load_recipe(payload["recipe"]), self.recipe, "the checkpoint")
        self.model.load_state_dict(payload["model"])
        self.optimiser.load_state_dict(payload["optimiser"])
        self.scheduler.load_state_dict(payload["scheduler"])
        if payload["scaler"]:
            self.scaler.load_state_dict(payload["scaler"])
        states = payload["rng"]
        if len(states) != self.runtime.world_size:
            warnings.warn(f"the checkpoint was written by {len(states)} processes and this run has "
                          f"{self.runtime.world_size}; random states are not restored exactly.", RuntimeWarning,
                          stacklevel=3)
        restore_rng_state(states[self.runtime.rank % len(states)])
        self.step = self.resumed_from = int(payload["step"])
        if "training_seconds" in payload:
            self.seconds_before = float(payload["training_seconds"])
            self.cpu_seconds_before = float(payload["training_cpu_seconds"])
        else:
            warnings.warn(f"the checkpoint of step {self.step} does not record how long training took before it "
                          "(written by an older chronoscore); training_seconds will count this session only.",
                          RuntimeWarning, stacklevel=3)
        self.last_metrics = dict(payload["metrics"])
        self.last_lr = self.optimiser.param_groups[0]["lr"]

    # -- the loop ---------------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        """Train to the last step and return the summary."""
        log = MetricsLog(self.out, self.resumed_from, self.algorithm.extras) if self.runtime.is_main else None
        bar = tqdm(total=self.total_steps, initial=self.step, unit="step", desc=self.recipe.model.name,
                   disable=not (self.progress and self.runtime.is_main), dynamic_ncols=True)
        window, interval = RunningMetrics(self.runtime.device), RunningMetrics(self.runtime.device)
        extras = RunningMeans(self.algorithm.extras, self.runtime.device)
        start_step = self.step
        self.cpu_started, self.started = time.process_time(), time.perf_counter()
        window_start = self.started
        try:
            while self.step < self.total_steps:
                epoch, first_batch = divmod(self.step, self.steps_per_epoch)
                for images, labels in self._loader(epoch, first_batch):
                    self._train_step(images, labels, (window, interval), extras)
                    self.step += 1
                    bar.update()
                    last = self.step == self.total_steps
                    if self.step % self.recipe.log_every == 0 or last:
                        self._log_train(window, extras, time.perf_counter() - window_start, log, bar)
                        window.reset()
                        extras.reset()
                        window_start = time.perf_counter()
                    if self.step % self.recipe.checkpoint_every == 0 or last:
                        self._checkpoint(interval, log, bar)
                        interval.reset()
                    if last:
                        break
            seconds, cpu_seconds = time.perf_counter() - self.started, time.process_time() - self.cpu_started
        finally:
            bar.close()
            if log is not None:
                log.close()
        return self._finish(self.step - start_step, seconds, cpu_seconds)

    def _loader(self, epoch: int, first_batch: int):
        batches = EpochBatches(len(self.data.train), self.recipe.batch_size // self.runtime.world_size,
                               epoch=epoch, seed=self.recipe.seed, rank=self.runtime.rank,
                               world_size=self.runtime.world_size, start=first_batch)
        if hasattr(self.data.train, "set_epoch"):
            self.data.train.set_epoch(epoch)
        return batch_loader(self.data.train, batches, num_workers=self.recipe.data.num_workers,
                            pin_memory=self.runtime.device.type == "cuda")

    def _train_step(self, images: torch.Tensor, labels: torch.Tensor, sums: tuple[RunningMetrics, ...],
                    extras: RunningMeans) -> None:
        device = self.runtime.device
        images, labels = images.to(device, non_blocking=True), labels.to(device, non_blocking=True)
        self.optimiser.zero_grad(set_to_none=True)
        if self.algorithm.through_wrapper:
            outcome = self.algorithm.loss_and_backward(self.module, images, labels, self.context)
        else:
            # gradients the distributed wrapper does not see: averaged here (see the algorithms package)
            with self.module.no_sync() if self.runtime.distributed else contextlib.nullcontext():
                outcome = self.algorithm.loss_and_backward(self.model, images, labels, self.context)
        if not self.algorithm.updates_within_batch:
            self._apply_update()
        if self.scaler.is_enabled():
            with warnings.catch_warnings():
                # the fp16 scaler skips steps with overflowing gradients; the schedule still counts them
                warnings.filterwarnings("ignore", message="Detected call of `lr_scheduler.step", category=UserWarning)
                self.scheduler.step()
        else:
            self.scheduler.step()
        step_sums = batch_sums(outcome.loss, outcome.logits, outcome.labels)
        for running in sums:
            running.add(step_sums)
        extras.add(outcome.extras)

    def _apply_update(self) -> None:
        """One optimiser update from the gradients in ``.grad`` (averaged, clipped, scaled), which it then clears."""
        if not self.algorithm.through_wrapper:
            average_gradients(self.model.parameters(), self.runtime)
        if self.recipe.optimiser.grad_clip is not None:
            self.scaler.unscale_(self.optimiser)
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.recipe.optimiser.grad_clip)
        self.last_lr = self.optimiser.param_groups[0]["lr"]
        self.scaler.step(self.optimiser)
        self.scaler.update()
        self.optimiser.zero_grad(set_to_none=True)

    def _log_train(self, window: RunningMetrics, extras: RunningMeans, seconds: float, log: MetricsLog | None,
                   bar: tqdm) -> None:
        loss, accuracy, count = window.collect(self.runtime)
        extra_means = extras.collect(self.runtime)
        speed = count / seconds if seconds > 0 else float("nan")
        self.last_metrics["train"] = {"loss": loss, "accuracy": accuracy}
        bar.set_postfix_str(f"loss={loss:.3f} acc={accuracy:.1%} {speed:.0f} img/s")
        if log is not None:
            log.write(step=self.step, epoch=round(self.step / self.steps_per_epoch, 4), phase="train", loss=loss,
                      accuracy=accuracy, lr=self.last_lr, images_per_second=speed,
                      elapsed_seconds=round(self._elapsed(), 3), **extra_means)

    def _checkpoint(self, interval: RunningMetrics, log: MetricsLog | None, bar: tqdm) -> None:
        if self.data.val is not None:
            loss, accuracy = self._evaluate()
            self.last_metrics["val"] = {"loss": loss, "accuracy": accuracy}
            metric, value, higher_is_better = "val_accuracy", accuracy, True
            if log is not None:
                log.write(step=self.step, epoch=round(self.step / self.steps_per_epoch, 4), phase="val", loss=loss,
                          accuracy=accuracy, elapsed_seconds=round(self._elapsed(), 3))
        else:
            metric, value, higher_is_better = "train_loss", interval.collect(self.runtime)[0], False
        rng_states = gather_objects(capture_rng_state(), self.runtime)
        if not self.runtime.is_main:
            return
        payload = {
            "model": self.model.state_dict(), "optimiser": self.optimiser.state_dict(),
            "scheduler": self.scheduler.state_dict(), "scaler": self.scaler.state_dict(), "rng": rng_states,
            "step": self.step, "metrics": self.last_metrics, "recipe": self.recipe.to_dict(),
            "training_seconds": self._elapsed(),
            "training_cpu_seconds": self._cpu_elapsed(),
            "classes": list(self.data.classes), "world_size": self.runtime.world_size,
            "chronoscore_version": chronoscore.__version__, "torch_version": str(torch.__version__),
        }
        path = self.store.save(payload, self.step, metric, value, higher_is_better)
        if self.progress:
            bar.write(f"checkpoint {path} ({metric} {value:.4f})", file=sys.stderr)

    def _elapsed(self) -> float:
        """Seconds of training so far, earlier sessions of a resumed run included."""
        return self.seconds_before + time.perf_counter() - self.started

    def _cpu_elapsed(self) -> float:
        """CPU seconds of this process's training so far, earlier sessions included."""
        return self.cpu_seconds_before + time.process_time() - self.cpu_started

    def _evaluate(self) -> tuple[float, float]:
        """Validation loss and accuracy over all processes (each evaluates its own share)."""
        indices = shard_indices(len(self.data.val), self.runtime.rank, self.runtime.world_size)
        size = self.recipe.batch_size // self.runtime.world_size
        batches = [indices[start:start + size] for start in range(0, len(indices), size)]
        sums = RunningMetrics(self.runtime.device)
        self.model.eval()
        with torch.no_grad():
            for images, labels in batch_loader(self.data.val, batches, num_workers=self.recipe.data.num_workers):
                images, labels = images.to(self.runtime.device), labels.to(self.runtime.device)
                with autocast(self.runtime.device, self.dtype):
                    logits, labels = self.algorithm.evaluation_logits(self.model, images, labels)
                sums.add(batch_sums(F.cross_entropy(logits.float(), labels), logits, labels))
        self.model.train()
        loss, accuracy, _ = sums.collect(self.runtime)
        return loss, accuracy

    def _finish(self, steps_done: int, seconds: float, cpu_seconds: float) -> dict[str, Any]:
        entries, best = self.store.entries(), self.store.best()
        per_process = self.recipe.batch_size // self.runtime.world_size
        summary = {
            "model": self.recipe.model.name, "steps": self.total_steps, "steps_per_epoch": self.steps_per_epoch,
            "epochs": self.total_steps / self.steps_per_epoch, "batch_size": self.recipe.batch_size,
            "batch_size_per_process": per_process, "world_size": self.runtime.world_size,
            "device": str(self.runtime.device), "precision": _precision_name(self.dtype),
            "train": self.last_metrics["train"], "val": self.last_metrics["val"],
            "last_checkpoint": str(self.store.folder / entries[-1].file) if entries else None,
            "best_checkpoint": None if best is None else {
                "file": str(self.store.folder / BEST_NAME), "step": best.step, "metric": best.metric,
                "value": best.value},
            "resumed_from_step": self.resumed_from, "steps_this_session": steps_done,
            "training_seconds": self.seconds_before + seconds,
            "training_cpu_seconds": self.cpu_seconds_before + cpu_seconds,
            "training_seconds_this_session": seconds,
            "steps_per_second": steps_done / seconds if steps_done and seconds > 0 else None,
            "images_per_second": steps_done * self.recipe.batch_size / seconds if steps_done and seconds > 0
            else None,
            "n_parameters": sum(parameter.numel() for parameter in self.model.parameters()),
            "classes": list(self.data.classes), "recipe": self.recipe.to_dict(),
            "chronoscore_version": chronoscore.__version__, "torch_version": str(torch.__version__),
        }
        if self.runtime.is_main:
            (self.out / "summary.json").write_text(json.dumps(summary, indent=2))
        return summary


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _precision_name(dtype: torch.dtype | None) -> str:
    return {None: "fp32", torch.bfloat16: "bf16", torch.float16: "fp16"}[dtype]


def _check_same_recipe(saved: Recipe, current: Recipe, where: object) -> None:
    """Raise unless the two recipes agree in everything but :data:`RESUMABLE_CHANGES`."""
    differences = [key for key in _differing_keys(saved.to_dict(), current.to_dict(), "")
                   if key not in RESUMABLE_CHANGES]
    if differences:
        raise ConfigError(f"cannot resume: the recipe differs from the one in {where} in {', '.join(differences)}; "
                          "resume with the same recipe, or train into a new output folder.")


def _differing_keys(first: Any, second: Any, prefix: str) -> list[str]:
    if isinstance(first, dict) and isinstance(second, dict):
        keys = sorted(set(first) | set(second))
        return [key for name in keys
                for key in _differing_keys(first.get(name), second.get(name), f"{prefix}{name}.")]
    return [] if first == second else [prefix.rstrip(".")]

