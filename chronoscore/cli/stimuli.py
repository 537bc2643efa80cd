"""``chronoscore stimuli``: generate a procedural stimulus set and write it in Brain-Score's format.

Example::

    chronoscore stimuli objects --out stimuli/ --n 64 --size 128 --seed 1
    chronoscore stimuli pathfinder --out pathfinder14/ --n 200000 --path-length 14 --workers 2
    chronoscore stimuli --list

Writes ``stimulus_<identifier>.csv`` and ``.zip`` (Brain-Score's format),
``stimulus_<identifier>.json`` (identifier and visual angle) and
``contact_sheet.png`` (the first images, captioned with their ids) into the
output folder, and prints what it wrote. ``pathfinder`` sets are written in
chunks of ``--chunk-size`` images (``chunk-00000/``, ... each in Brain-Score's
format, and ``settings.json``) by ``--workers`` processes with a progress bar;
rerunning a killed command continues with the chunks it had not finished
(:mod:`~chronoscore.analyses.stimulus_chunks`).
"""

from __future__ import annotations

import argparse
from functools import partial
from pathlib import Path

from chronoscore.errors import ConfigError, FileFormatError

__all__ = ["add_parser", "run"]

CONTACT_SHEET = "contact_sheet.png"
CHUNKED = "pathfinder"
"""The generator written in chunks (its images are drawn by index range)."""
_DEFAULT_N = 500
_PATHFINDER_OPTIONS = (("path_length", "--path-length"), ("n_distractors", "--distractors"), ("task", "--task"))


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``stimuli`` and its options on the command line."""
    parser = subparsers.add_parser(
        "stimuli", help="generate a stimulus set and write it in Brain-Score's format",
        description=__doc__.split("\n\n")[0])
    parser.add_argument("name", nargs="?", help="generator name (see --list)")
    parser.add_argument("--out", type=Path, help="folder to write the stimulus set into")
    parser.add_argument("--n", type=int, help="number of stimuli (default: the generator's)")
    parser.add_argument("--size", type=int, help="image side in pixels (default: the generator's)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--list", action="store_true", help="print the generator names and stop")
    pathfinder = parser.add_argument_group("pathfinder")
    pathfinder.add_argument("--path-length", dest="path_length", type=int,
                            help="paddles per long path (6, 9, 14, 20, 25; default 14)")
    pathfinder.add_argument("--distractors", dest="n_distractors", type=int,
                            help="distractor paths (default 30 // (path length // 3))")
    pathfinder.add_argument("--task", choices=("classification", "segmentation"),
                            help="two markers and a label, or one marker and a path mask (default classification)")
    pathfinder.add_argument("--chunk-size", type=int, default=5_000,
                            help="images per chunk (default 5000)")
    pathfinder.add_argument("--workers", type=int, default=1, help="processes writing chunks (default 1)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """List the generators, or generate a set and write its files and contact sheet."""
    from chronoscore.stimuli.brainscore_format import write_stimulus_set
    from chronoscore.stimuli.contact_sheet import write_contact_sheet
    from chronoscore.stimuli.generators import generate, list_generators

    if args.list:
        print("\n".join(list_generators()))
        return 0
    if args.name is None or args.out is None:
        raise ConfigError("give a generator NAME and --out DIR (or --list to see the names).")
    for option, value in (("--n", args.n), ("--size", args.size), ("--chunk-size", args.chunk_size),
                          ("--workers", args.workers)):
        if value is not None and value < 1:
            raise ConfigError(f"{option} must be positive, got {value}.")
    options = {name: getattr(args, name) for name, _ in _PATHFINDER_OPTIONS if getattr(args, name) is not None}
    if args.name != CHUNKED and options:
        flags = [flag for name, flag in _PATHFINDER_OPTIONS if name in options]
        raise ConfigError(f"{', '.join(flags)} only apply to the pathfinder generator, not {args.name!r}.")
    out = _output_folder(args.out)
    if args.name == CHUNKED:
        return _run_chunked(args, out, options)
    stimulus_set = generate(args.name, n=args.n, size=args.size, seed=args.seed)
    files = write_stimulus_set(stimulus_set, out)
    sheet = write_contact_sheet(stimulus_set, out / CONTACT_SHEET)
    print(f"{stimulus_set.identifier}: {len(stimulus_set)} stimuli, {stimulus_set.degrees:g} degrees")
    for path in (*files, sheet):
        print(f"wrote {path}")
    return 0


def _run_chunked(args: argparse.Namespace, out: Path, options: dict) -> int:
    """Write a pathfinder set in chunks (resuming a killed run) and a contact sheet of its first images."""
    from chronoscore.analyses.stimulus_chunks import SETTINGS, write_in_chunks
    from chronoscore.stimuli.contact_sheet import write_contact_sheet
    from chronoscore.stimuli.generators import generate, generator_version
    from chronoscore.stimuli.generators.pathfinder import pathfinder_chunk

    first = generate(CHUNKED, n=1, size=args.size, seed=args.seed, **options)  # checks every option now
    size = first.pixels.shape[1]
    n = args.n if args.n is not None else _DEFAULT_N
    options = {name: first.table[name].iloc[0] for name, _ in _PATHFINDER_OPTIONS}  # defaults filled in
    options = {name: value if isinstance(value, str) else int(value) for name, value in options.items()}
    settings = {"generator": CHUNKED, "version": generator_version(CHUNKED), "seed": args.seed, "size": size,
                "options": options}
    make = partial(pathfinder_chunk, args.seed, size=size, **options)
    chunks = write_in_chunks(out, settings, n, args.chunk_size, make, workers=args.workers)
    sheet = write_contact_sheet(make(0, min(n, 16)), out / CONTACT_SHEET)
    print(f"{first.identifier}: {n} stimuli in {len(chunks)} chunk(s) of up to {args.chunk_size}, "
          f"{first.degrees:g} degrees")
    for path in (out / SETTINGS, *chunks, sheet):
        print(f"wrote {path}")
    return 0


def _output_folder(folder: Path) -> Path:
    """Create ``folder`` if needed and check that files can be written there, before generating."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".chronoscore-write-test"
        probe.touch()
        probe.unlink()
    except OSError as error:
        raise FileFormatError(f"{folder}: cannot write there ({error}); choose another --out folder.") from error
    return folder
