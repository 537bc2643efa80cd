"""A sweep file (YAML) read and validated, and its grid expanded into cells: one ``chronoscore score`` run each.

A sweep file names the grid's axes; every combination is one cell::

    models:                       # registered names, training runs, path/to/file.py:function
      - ff_shallow
      - name: convrnn_shallow_rgc
        image_size: 32
        model_args: {width: 0.25}
      - run: runs/rgc_seed1       # a training run's folder ...
        checkpoints: all          # ... scored at best (default), last, all, or every N (steps that are multiples of N)
      - file: nets/my_net.py:build
        areas: V4=layer3,IT=layer4
    benchmarks: [simulated]       # data set names, benchmark folders, or {name: ..., data_folder: ...}
    metrics: [pls, ridge]         # default: the benchmark's metric
    time: [per_bin]               # time modes; an entry may be a list scored in one cell
    settings:                     # fit settings, each a dict of --set keys (name: its label)
      - {}
      - {name: k5, n_splits: 5}
    set: [metric_options.n_components=10]   # --set overrides of every cell
    cache_dir: cache              # the activation cache all cells share (default: chronoscore's)

Relative paths are read from the sweep file's folder. Every model entry also
takes ``model_args``, ``image_size``, ``steps``, ``init_seed``, ``areas``,
``select_areas`` and ``weights`` (``score``'s options of the same names) and
``label`` (its name in cell folders).
"""

from __future__ import annotations

import itertools
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from chronoscore.errors import ConfigError

__all__ = ["Cell", "load_sweep", "expand_grid", "TIME_MODES"]

TIME_MODES = ("per_bin", "shared", "matrix")
_AXES = {"models", "benchmarks", "metrics", "time", "settings", "set", "cache_dir"}
_MODEL_SOURCES = ("name", "run", "file")
_MODEL_OPTIONS = {"model_args", "image_size", "steps", "init_seed", "areas", "select_areas", "weights", "label",
                  "checkpoints"}
_UNSAFE = re.compile(r"[^A-Za-z0-9_.@+=-]+")


@dataclass(frozen=True)
class Cell:
    """One run of ``chronoscore score`` in a sweep.

    Attributes
    ----------
    name : str
        The cell's folder name in the sweep folder (unique within the sweep).
    argv : tuple of str
        ``chronoscore score``'s arguments, all but ``--out``.
    inputs : tuple of str
        Files the results depend on besides the arguments (weights, a checkpoint,
        a model's Python file, a benchmark folder's assembly): their contents
        enter the provenance hash.
    labels : dict of str to str
        ``model``, ``checkpoint``, ``benchmark``, ``metric``, ``time``, ``settings``.
    """

    name: str
    argv: tuple[str, ...]
    inputs: tuple[str, ...] = ()
    labels: dict[str, str] = field(default_factory=dict, compare=False)


def load_sweep(path: str | os.PathLike, overrides: Sequence[str] = ()) -> list[Cell]:
    """The cells of the sweep file ``path``, with ``overrides`` (``key=value``) added to every cell's ``--set``.

    Raises
    ------
    ConfigError
        If the file is not a mapping of the known axes, an entry is malformed, or
        two cells would share a folder.
    FileFormatError
        If the file cannot be read.
    """
    from chronoscore.errors import FileFormatError

    path = Path(path)
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise FileFormatError(f"{path}: cannot read the sweep file ({error}); check the path.") from error
    except yaml.YAMLError as error:
        raise ConfigError(f"{path} is not valid YAML: {error}") from error
    if not isinstance(spec, Mapping):
        raise ConfigError(f"{path} must hold a mapping with models: and benchmarks: (and optionally metrics:, "
                          "time:, settings:, set:, cache_dir:).")
    return expand_grid(spec, base=path.parent, overrides=overrides)


def expand_grid(spec: Mapping[str, Any], *, base: Path = Path("."), overrides: Sequence[str] = ()) -> list[Cell]:
    """Every combination of the axes of ``spec`` (a parsed sweep file) as cells; paths relative to ``base``."""
    unknown = sorted(set(spec) - _AXES)
    if unknown:
        raise ConfigError(f"the sweep file has unknown key(s) {unknown}; its keys are {sorted(_AXES)}.")
    models = [variant for entry in _listed(spec, "models", required=True) for variant in _model_variants(entry, base)]
    benchmarks = [_benchmark(entry, base) for entry in _listed(spec, "benchmarks", required=True)]
    metrics = [_metric(entry) for entry in _listed(spec, "metrics")] or [None]
    times = [_time_modes(entry) for entry in _listed(spec, "time")] or [list(TIME_MODES)]
    settings = [_settings(entry, index) for index, entry in enumerate(_listed(spec, "settings"))] or [("", [])]
    common = [str(item) for item in _listed(spec, "set")] + list(overrides)
    cache = ["--cache-dir", str(_resolved(spec["cache_dir"], base))] if spec.get("cache_dir") else []
    label_settings = len(settings) > 1
    cells: dict[str, Cell] = {}
    for model, benchmark, metric, modes, (settings_label, sets) in itertools.product(
            models, benchmarks, metrics, times, settings):
        labels = {"model": model["label"], "checkpoint": model["checkpoint"], "benchmark": benchmark["label"],
                  "metric": metric or "default", "time": "+".join(modes), "settings": settings_label}
        argv = [*model["argv"], *benchmark["argv"], *(["--metric", metric] if metric else []), "--time", *modes,
                *[item for value in common + sets for item in ("--set", value)], *cache, "--quiet"]
        parts = [labels["model"] + (f"@{labels['checkpoint']}" if labels["checkpoint"] else ""),
                 labels["benchmark"], labels["metric"], labels["time"]] + ([settings_label] if label_settings else [])
        name = _UNSAFE.sub("_", "__".join(parts)).strip("._")
        if name in cells:
            raise ConfigError(f"two cells of the sweep would both be written to {name!r}; give the models, "
                              "benchmarks or settings distinct labels (label: ..., name: ...).")
        cells[name] = Cell(name, tuple(argv), tuple(model["inputs"] + benchmark["inputs"]), labels)
    return list(cells.values())


def _listed(spec: Mapping[str, Any], key: str, required: bool = False) -> list:
    value = spec.get(key)
    if value is None:
        if required:
            raise ConfigError(f"the sweep file names no {key}; add a list, e.g. {key}: [...].")
        return []
    return list(value) if isinstance(value, list) else [value]


def _resolved(value: Any, base: Path) -> Path:
    path = Path(str(value)).expanduser()
    return path if path.is_absolute() else base / path


def _model_variants(entry: Any, base: Path) -> list[dict[str, Any]]:
    """One model entry as its variants (one per checkpoint for a training run): label, checkpoint, argv, inputs."""
    if isinstance(entry, str):
        entry = {_source_kind(entry, base): entry}
    if not isinstance(entry, Mapping):
        raise ConfigError(f"a model entry must be a name or a mapping, got {entry!r}.")
    sources = [key for key in _MODEL_SOURCES if key in entry]
    unknown = sorted(set(entry) - set(_MODEL_SOURCES) - _MODEL_OPTIONS)
    if len(sources) != 1 or unknown:
        raise ConfigError(f"the model entry {dict(entry)} must have exactly one of {list(_MODEL_SOURCES)} and only "
                          f"the options {sorted(_MODEL_OPTIONS)}" + (f" (unknown: {unknown})" if unknown else "") + ".")
    kind = sources[0]
    source = str(entry[kind])
    argv, inputs = _model_options(entry, base)
    if kind == "run":
        folder = _resolved(source, base)
        label = str(entry.get("label", folder.name))
        return [{"label": label, "checkpoint": checkpoint, "argv": [str(folder), "--checkpoint", checkpoint, *argv],
                 "inputs": [file, *inputs]}
                for checkpoint, file in _run_checkpoints(folder, entry.get("checkpoints", "best"))]
    if "checkpoints" in entry:
        raise ConfigError(f"checkpoints: applies to a training run (run: FOLDER), not to {kind}: {source}.")
    if kind == "file":
        file_name, _, function = source.rpartition(":")
        file = _resolved(file_name, base)
        source, label, inputs = f"{file}:{function}", f"{file.stem}.{function}", [str(file), *inputs]
    else:
        label = source
    return [{"label": str(entry.get("label", label)), "checkpoint": "", "argv": [source, *argv], "inputs": inputs}]


def _source_kind(text: str, base: Path) -> str:
    file_name, separator, _ = text.rpartition(":")
    if separator and file_name.endswith(".py"):
        return "file"
    return "run" if _resolved(text, base).is_dir() else "name"


def _model_options(entry: Mapping[str, Any], base: Path) -> tuple[list[str], list[str]]:
    """``score``'s model options of a model entry, and the files among them."""
    argv: list[str] = []
    for key, value in (entry.get("model_args") or {}).items():
        argv += ["--model-arg", f"{key}={json.dumps(value)}"]
    for key in ("image_size", "steps", "init_seed"):
        if entry.get(key) is not None:
            if not isinstance(entry[key], int) or isinstance(entry[key], bool):
                raise ConfigError(f"{key}: {entry[key]!r} in the model entry {dict(entry)}; give a whole number.")
            argv += [f"--{key.replace('_', '-')}", str(entry[key])]
    if entry.get("areas"):
        argv += ["--areas", str(entry["areas"])]
    if entry.get("select_areas"):
        argv.append("--select-areas")
    inputs = []
    if entry.get("weights"):
        weights = str(_resolved(entry["weights"], base))
        argv += ["--weights", weights]
        inputs.append(weights)
    return argv, inputs


def _run_checkpoints(folder: Path, which: Any) -> list[tuple[str, str]]:
    """(checkpoint argument, file) of each checkpoint of a training run that ``which`` selects."""
    from chronoscore.models.training.checkpoints import BEST_NAME, CheckpointStore

    store = CheckpointStore(folder / "checkpoints")
    text = str(which).strip()
    every = re.fullmatch(r"every\s+(\d+)", text)
    entries = store.entries()
    if text == "best":
        if store.best() is None:
            raise ConfigError(f"the training run {folder} has no best checkpoint ({store.folder / BEST_NAME}); "
                              "train it further, or give checkpoints: last|all|every N.")
        return [("best", str(store.folder / BEST_NAME))]
    if text == "last":
        chosen = entries[-1:]
    elif text == "all":
        chosen = entries
    elif every and int(every.group(1)) > 0:
        chosen = [entry for entry in entries if entry.step % int(every.group(1)) == 0]
    else:
        raise ConfigError(f"checkpoints: {which!r} for {folder}; give best, last, all or every N (N > 0).")
    if not chosen:
        raise ConfigError(f"checkpoints: {which} selects no checkpoint of the training run {folder} (its saved "
                          f"steps: {[entry.step for entry in entries]}).")
    return [(str(entry.step), str(store.folder / entry.file)) for entry in chosen]


def _benchmark(entry: Any, base: Path) -> dict[str, Any]:
    if isinstance(entry, str):
        entry = {"name": entry}
    if not isinstance(entry, Mapping) or "name" not in entry or set(entry) - {"name", "data_folder", "label",
                                                                             "align_time_bins"}:
        raise ConfigError(f"a benchmark entry is a name, a folder, or a mapping with name: and optionally "
                          f"data_folder:, label:, align_time_bins:; got {entry!r}.")
    name = str(entry["name"])
    folder = _resolved(name, base)
    argv, inputs = ["--benchmark", name], []
    if folder.is_dir():
        argv, inputs = ["--benchmark", str(folder)], [str(path) for path in sorted(folder.glob("*.nc"))]
        name = folder.name
    if entry.get("data_folder"):
        data = _resolved(entry["data_folder"], base)
        argv += ["--data-folder", str(data)]
        inputs += [str(path) for path in sorted(data.glob("*.nc"))]
    if entry.get("align_time_bins"):
        argv.append("--align-time-bins")
    return {"label": str(entry.get("label", name)), "argv": argv, "inputs": inputs}


def _metric(entry: Any) -> str:
    from chronoscore.neural_fit.metrics import list_metrics

    if str(entry) not in list_metrics():
        raise ConfigError(f"metrics: {entry!r} is not a registered metric; choose from {list_metrics()}.")
    return str(entry)


def _time_modes(entry: Any) -> list[str]:
    modes = [str(mode) for mode in (entry if isinstance(entry, list) else [entry])]
    unknown = [mode for mode in modes if mode not in TIME_MODES]
    if unknown or not modes:
        raise ConfigError(f"time: {entry!r}; each entry is one of {list(TIME_MODES)} or a list of them.")
    return modes


def _settings(entry: Any, index: int) -> tuple[str, list[str]]:
    """(label, ``--set`` values) of one settings entry."""
    if not isinstance(entry, Mapping):
        raise ConfigError(f"settings: each entry is a mapping of fit settings (e.g. {{n_splits: 5}}), got {entry!r}.")
    values = {key: value for key, value in entry.items() if key != "name"}
    label = str(entry.get("name", f"settings{index}"))
    return label, [f"{key}={json.dumps(value)}" for key, value in values.items()]
