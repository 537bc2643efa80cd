"""The Recurrent Sparse Memory claim on embedded Reber strings, trained and scored as the authors' release does.

Training (:class:`~chronoscore.models.rsm_release_training.ReleaseTraining`): one
update per symbol over ``n_streams`` desynchronised streams of fresh strings, two
Adam optimisers, lr 5e-4. Each seed's run lives in ``<out>/runs/rsm_streams-<digest>/``
(the digest taken from the settings and the seed): ``checkpoint.pt`` (rewritten every
``checkpoint_every`` updates; an interrupted run resumes from it) and, once done,
``summary.json``.

Arms, each scored per seed on the same held-out strings (drawn with ``heldout_seed``,
never used for training), at the predictable symbol and over all predictions:

``untrained memory + converged readout``
    the seed's initial memory, frozen; a linear readout fitted to convergence
    (:func:`~chronoscore.analyses.claims.linear_readout.fit_linear_readout`) on the
    memory of ``readout_n`` other strings (seed ``readout_seed + seed``);
``untrained memory, no carry-over + converged readout``
    the same, but every string read in a stream of its own, so that no recurrent
    trace carries over from the string before (the boundary handling of this
    project's trainer, not the release's);
``trained memory + converged readout``
    the same readout fitted to the trained memory;
``trained memory + its own classifier``
    the classifier trained jointly with the memory, as in the paper;
``first-order statistics`` and ``chance``
    the most frequent successor of the current symbol in the readout strings; a uniform guess.

The memory is read with the release's string-boundary handling
(:func:`~chronoscore.models.rsm_release_training.stream_memories`); the prediction of
a string's first symbol is not scored. Every row carries the ``ceiling``: the
expected accuracy of the best possible predictor on the held-out strings.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
import yaml

import chronoscore
from chronoscore.analyses.claims.linear_readout import fit_linear_readout
from chronoscore.analyses.claims.reber_scores import (POSITIONS, ceiling_accuracy, chance_accuracy,
                                                      first_order_accuracy, first_order_table, per_string_accuracy)
from chronoscore.analyses.model_identity import weights_hash
from chronoscore.errors import ConfigError
from chronoscore.models.rsm import RSM
from chronoscore.models.rsm_release_training import ReleaseTraining, stream_memories
from chronoscore.models.rsm_symbol_streams import SymbolStreams
from chronoscore.stimuli.generators.reber import (REBER_SYMBOLS, draw_reber_string, reber_digit_codes, reber_indices,
                                                  reber_sequences)

__all__ = ["ARMS", "StreamSettings", "load_stream_settings", "score_stream_arms", "stream_run_folder",
           "stream_training", "train_stream_run"]

ARMS = ("untrained memory + converged readout", "untrained memory, no carry-over + converged readout",
        "trained memory + converged readout", "trained memory + its own classifier", "first-order statistics",
        "chance")

STREAM_SEED_OFFSET = 10_000
"""A run of seed s draws its training strings with seed ``10000 + s`` (apart from the held-out and readout seeds)."""


@dataclass(frozen=True)
class StreamSettings:
    """Everything a stream-trained Reber run and its scoring depend on (defaults: the release's).

    Attributes
    ----------
    groups, cells, k, gamma, epsilon, classifier_hidden, classifier, init
        The RSM (:class:`~chronoscore.models.rsm.RSM`); 8 cells per group as in the
        release's Reber definition file.
    symbols : {"one_hot", "digits"}
        Each symbol's input: a one-hot vector of 7, or a fixed 8x8 digit image (64
        values; :func:`~chronoscore.stimuli.generators.reber.reber_digit_codes`).
    n_streams : int
        Parallel streams (the release's batch size, 400).
    updates : int
        Updates (symbols per stream) to train for (the release: 40,000).
    lr : float
        Adam's learning rate for memory and classifier.
    checkpoint_every : int
        Updates between checkpoints.
    heldout_seed, readout_seed, readout_n, eval_streams
        Held-out strings' seed; the readout strings' seed (plus the run's seed) and
        number; streams the strings are read in for scoring.
    device : str
        Torch device to train and score on (``cpu``, ``cuda``, ``cuda:1``, ...).
    """

    groups: int = 200
    cells: int = 8
    k: int = 25
    gamma: float = 0.98
    epsilon: float = 0.0
    classifier_hidden: int = 500
    classifier: Literal["linear", "mlp"] = "linear"
    init: Literal["glorot_uniform", "truncated_normal"] = "glorot_uniform"
    symbols: Literal["one_hot", "digits"] = "one_hot"
    n_streams: int = 400
    updates: int = 40_000
    lr: float = 5e-4
    checkpoint_every: int = 500
    heldout_seed: int = 1
    readout_seed: int = 100
    readout_n: int = 2000
    eval_streams: int = 100
    device: str = "cpu"

    def __post_init__(self) -> None:
        if self.symbols not in ("one_hot", "digits"):
            raise ConfigError(f"symbols must be 'one_hot' or 'digits', got {self.symbols!r}.")
        for name in ("n_streams", "checkpoint_every", "readout_n", "eval_streams"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{name} must be a positive integer, got {value!r}.")
        if isinstance(self.updates, bool) or not isinstance(self.updates, int) or self.updates < 0:
            raise ConfigError(f"updates must be a non-negative integer, got {self.updates!r}.")
        try:
            torch.device(self.device)
        except (RuntimeError, TypeError) as error:
            raise ConfigError(f"device must name a torch device such as 'cpu' or 'cuda', "
                              f"got {self.device!r}.") from error

    def model(self) -> RSM:
        """A freshly initialised RSM with these settings (seed torch first), on ``device``."""
        n_inputs = len(REBER_SYMBOLS) if self.symbols == "one_hot" else reber_digit_codes().shape[1]
        return RSM(n_inputs=n_inputs, n_classes=len(REBER_SYMBOLS), groups=self.groups, cells=self.cells, k=self.k,
                   gamma=self.gamma, epsilon=self.epsilon, classifier_hidden=self.classifier_hidden,
                   classifier=self.classifier, init=self.init).to(self.device)

    def codes(self) -> torch.Tensor:
        """(7, D) input vector of each symbol of :data:`REBER_SYMBOLS`, on ``device``."""
        if self.symbols == "one_hot":
            return torch.eye(len(REBER_SYMBOLS), device=self.device)
        return torch.from_numpy(reber_digit_codes()).to(self.device)


def load_stream_settings(path: str | Path, overrides: Sequence[str] = ()) -> StreamSettings:
    """Settings from a YAML file of :class:`StreamSettings` fields, then ``key=value`` overrides (YAML values)."""
    values = yaml.safe_load(Path(path).read_text()) or {}
    for override in overrides:
        key, separator, text = override.partition("=")
        if not separator:
            raise ConfigError(f"override {override!r} must look like key=value.")
        values[key.strip()] = yaml.safe_load(text)
    known = {field.name for field in fields(StreamSettings)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ConfigError(f"unknown stream settings {unknown}; known: {', '.join(sorted(known))}.")
    return StreamSettings(**values)


def stream_run_folder(settings: StreamSettings, seed: int, runs: Path) -> Path:
    """``runs/rsm_streams-<first 10 hex digits of the SHA-256 of the training settings and seed>``.

    The length of the run (``updates``, ``checkpoint_every``), the device and the
    scoring settings are left out: a run continues from its checkpoint when asked for
    more updates.
    """
    training = {key: value for key, value in asdict(settings).items()
                if key not in ("updates", "checkpoint_every", "heldout_seed", "readout_seed", "readout_n",
                               "eval_streams", "device")}
    text = json.dumps({**training, "seed": seed}, sort_keys=True)
    return Path(runs) / f"rsm_streams-{hashlib.sha256(text.encode()).hexdigest()[:10]}"


def _draw_indices(rng: np.random.Generator) -> np.ndarray:
    return reber_indices(draw_reber_string(rng))


def stream_training(settings: StreamSettings, seed: int) -> ReleaseTraining:
    """Seed ``seed``'s freshly initialised model (torch seeded with ``seed``) and its streams, ready to train."""
    torch.manual_seed(seed)
    model = settings.model()
    streams = SymbolStreams(settings.n_streams, _draw_indices, seed=STREAM_SEED_OFFSET + seed)
    return ReleaseTraining(model, settings.codes(), streams, lr=settings.lr)


def train_stream_run(settings: StreamSettings, seed: int, runs: Path, *, log_every: int = 0) -> tuple[RSM, dict]:
    """Train (or resume, or find finished) seed ``seed``'s run; the trained model and the run's summary."""
    folder = stream_run_folder(settings, seed, runs)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "settings.json").write_text(json.dumps({**asdict(settings), "seed": seed}, indent=2))
    training = stream_training(settings, seed)
    model = training.model
    checkpoint, seconds = folder / "checkpoint.pt", 0.0
    if checkpoint.is_file():
        seconds = float(training.load(checkpoint)["training_seconds"])
    if training.updates > settings.updates:
        raise ConfigError(f"the run in {folder} has made {training.updates} updates, more than the {settings.updates} "
                          "asked for; ask for at least as many, or use another output folder.")
    started = time.perf_counter()
    while training.updates < settings.updates:
        training.update()
        done = training.updates == settings.updates
        if training.updates % settings.checkpoint_every == 0 or done:
            training.save(checkpoint, {"training_seconds": seconds + time.perf_counter() - started})
        if log_every and training.updates % log_every == 0:
            window = slice(-log_every, None)
            print(f"seed {seed} update {training.updates}: prediction loss "
                  f"{np.mean(training.losses.prediction[window]):.4f}, classifier loss "
                  f"{np.mean(training.losses.classifier[window]):.4f}", flush=True)
    summary = {"seed": seed, "updates": training.updates, "weights_hash": weights_hash(model),
               "chronoscore_version": chronoscore.__version__,
               "training_seconds": seconds + time.perf_counter() - started,
               "n_parameters": sum(parameter.numel() for parameter in model.parameters()),
               "prediction_loss_last_100": float(np.mean(training.losses.prediction[-100:] or [np.nan])),
               "classifier_loss_last_100": float(np.mean(training.losses.classifier[-100:] or [np.nan]))}
    (folder / "summary.json").write_text(json.dumps(summary, indent=2))
    return model, summary


def _readout_data(model: RSM, settings: StreamSettings, strings: Sequence[str],
                  alone: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Memory (N, g·c) and the symbol it should predict (N,), at every symbol but each string's first.

    ``alone``: every string in a stream of its own (from an empty memory).
    """
    indices = [reber_indices(string) for string in strings]
    memories = stream_memories(model, settings.codes(), indices, len(strings) if alone else settings.eval_streams)
    features = torch.cat([memory[1:] for memory in memories])
    labels = torch.from_numpy(np.concatenate([index[1:] for index in indices]))
    return features, labels


def _with_first(predicted: torch.Tensor, strings: Sequence[str]) -> list[np.ndarray]:
    """Predictions of every symbol but the first, split per string, with a dummy for the (unscored) first."""
    lengths = [len(string) - 1 for string in strings]
    return [np.concatenate([[-1], part.numpy()]) for part in predicted.cpu().split(lengths)]


def score_stream_arms(settings: StreamSettings, seed: int, heldout_n: int, model: RSM,
                      summary: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows (arm, position, accuracy, ceiling, updates, n_parameters, seed) of every arm for one seed."""
    heldout, _ = reber_sequences(heldout_n, settings.heldout_seed)
    readout_strings, _ = reber_sequences(settings.readout_n, settings.readout_seed + seed)
    ceiling = ceiling_accuracy(heldout)
    torch.manual_seed(seed)
    untrained = settings.model()
    results: dict[str, tuple[dict, int, int]] = {}
    for arm, memory, alone in ((ARMS[0], untrained, False), (ARMS[1], untrained, True), (ARMS[2], model, False)):
        readout = fit_linear_readout(*_readout_data(memory, settings, readout_strings, alone), len(REBER_SYMBOLS))
        if not readout.converged:
            raise ConfigError(f"the linear readout of {arm!r} did not converge ({readout.iterations} iterations, "
                              f"largest gradient entry {readout.gradient:.2e}); raise max_iterations.")
        features, _ = _readout_data(memory, settings, heldout, alone)
        updates = 0 if memory is untrained else summary["updates"]
        results[arm] = (per_string_accuracy(_with_first(readout.predict(features), heldout), heldout), updates,
                        readout.layer.weight.numel() + readout.layer.bias.numel())
    features, _ = _readout_data(model, settings, heldout)
    with torch.no_grad():
        own = model.classifier(features).argmax(dim=1)
    classifier_size = sum(parameter.numel() for parameter in model.classifier.parameters())
    results[ARMS[3]] = (per_string_accuracy(_with_first(own, heldout), heldout), summary["updates"], classifier_size)
    first_order = first_order_accuracy(first_order_table(readout_strings), heldout)
    results[ARMS[4]] = (first_order, 0, len(REBER_SYMBOLS) ** 2)
    results[ARMS[5]] = (chance_accuracy(), 0, 0)
    return [{"arm": arm, "position": position, "accuracy": accuracy[position], "ceiling": ceiling[position],
             "updates": updates, "readout_parameters": size, "seed": seed}
            for arm, (accuracy, updates, size) in results.items() for position in POSITIONS]

