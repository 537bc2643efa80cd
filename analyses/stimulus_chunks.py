"""A large generated stimulus set written in chunks, so that a killed run resumes where it stopped.

The output folder holds ``settings.json`` (what the set is: generator, version,
options, ``n``, chunk size) and one folder per chunk, ``chunk-00000``,
``chunk-00001``, ..., each a stimulus set in Brain-Score's format (csv, zip,
json) of consecutive images. A chunk is written into a hidden scratch folder
and renamed when complete, so a chunk folder is always whole; a rerun with the
same settings skips the chunks that exist, removes scratch folders a killed run
left behind, and writes the rest. A folder holding a different set is refused.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from chronoscore.errors import ConfigError
from chronoscore.stimuli.brainscore_format import write_stimulus_set
from chronoscore.stimuli.stimulus_set import StimulusSet

__all__ = ["SETTINGS", "Chunk", "chunk_folder", "write_in_chunks"]

SETTINGS = "settings.json"
_SCRATCH_PREFIX = ".chunk-"

ChunkMaker = Callable[[int, int], StimulusSet]
"""``make(start, stop)``: the images ``start`` to ``stop - 1`` of the set (picklable for worker processes)."""


@dataclass(frozen=True)
class Chunk:
    """Images ``start`` to ``stop - 1``, the ``number``-th chunk."""

    number: int
    start: int
    stop: int


def chunk_folder(out: Path, number: int) -> Path:
    """``out / chunk-<number, five digits>``."""
    return Path(out) / f"chunk-{number:05d}"


def write_in_chunks(out: Path, settings: dict[str, Any], n: int, chunk_size: int, make: ChunkMaker, *,
                    workers: int = 1, progress: bool = True) -> list[Path]:
    """Write the ``n`` images of a set into ``out`` in chunks of ``chunk_size``, skipping finished chunks.

    Parameters
    ----------
    out : Path
        Output folder (created if missing).
    settings : dict
        JSON-able description of the set (generator, version, options, seed, size);
        stored with ``n`` and ``chunk_size`` in ``settings.json`` and compared on a rerun.
    n, chunk_size : int
    make : callable
        ``make(start, stop) -> StimulusSet``.
    workers : int
        Processes writing chunks at once (1: in this process).
    progress : bool
        Show a progress bar of images written.

    Returns
    -------
    list of Path
        Every chunk folder, in order.

    Raises
    ------
    ConfigError
        If ``out`` holds a set with other settings.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    _claim(out, {**settings, "n": n, "chunk_size": chunk_size})
    for scratch in out.glob(f"{_SCRATCH_PREFIX}*"):
        shutil.rmtree(scratch)
    chunks = [Chunk(number, start, min(start + chunk_size, n)) for number, start in enumerate(range(0, n, chunk_size))]
    todo = [chunk for chunk in chunks if not chunk_folder(out, chunk.number).is_dir()]
    written = n - sum(chunk.stop - chunk.start for chunk in todo)
    with tqdm(total=n, initial=written, unit="image", desc=out.name, disable=not progress) as bar:
        if workers <= 1:
            for chunk in todo:
                bar.update(_write_chunk(out, chunk, make))
        else:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                for done in as_completed([pool.submit(_write_chunk, out, chunk, make) for chunk in todo]):
                    bar.update(done.result())
    return [chunk_folder(out, chunk.number) for chunk in chunks]


def _claim(out: Path, settings: dict[str, Any]) -> None:
    """Write ``settings.json``, or check that the one there describes the same set."""
    path = out / SETTINGS
    expected = json.loads(json.dumps(settings, sort_keys=True))
    if path.is_file():
        found = json.loads(path.read_text())
        if found != expected:
            differing = sorted(key for key in set(found) | set(expected) if found.get(key) != expected.get(key))
            raise ConfigError(f"{out} holds another set (different {', '.join(differing)}); choose another --out "
                              "folder or delete that one.")
        return
    scratch = path.with_name(f".{SETTINGS}.tmp")
    scratch.write_text(json.dumps(expected, indent=2, sort_keys=True) + "\n")
    os.replace(scratch, path)


def _write_chunk(out: Path, chunk: Chunk, make: ChunkMaker) -> int:
    """Make and write one chunk through a scratch folder; returns its number of images."""
    stimuli = make(chunk.start, chunk.stop)
    scratch = Path(tempfile.mkdtemp(prefix=f"{_SCRATCH_PREFIX}{chunk.number:05d}-", dir=out))
    try:
        write_stimulus_set(stimuli, scratch)
        os.replace(scratch, chunk_folder(out, chunk.number))
    finally:
        if scratch.exists():
            shutil.rmtree(scratch)
    return chunk.stop - chunk.start
