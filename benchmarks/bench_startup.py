"""Start-up time of the command line and the package faces, against a reference tree.

Measured, each in ``--repeats`` fresh processes (after one unmeasured run that
writes the bytecode caches): ``python -m chronoscore --help``, ``... score --help``
and a mistyped option (``score --no-such-option``), which must each take at most
1.0 s (the target); the ``--help`` of the commands that loaded torch or
matplotlib before they moved to ``chronoscore.cli``; and ``python -c "import
chronoscore.<package>"`` for each package face. Two trees run side by side:

``chronoscore``
    the installed package (this working tree);
``reference``
    the tree of the git commit ``--reference`` (default: the commit before the
    command line moved to ``chronoscore.cli``), exported with ``git archive`` into
    a temporary folder laid out as the distribution maps it (``chronoscore/``,
    ``chronoscore/models/`` from ``models/``, ...) and put first on
    ``PYTHONPATH``, so the same interpreter and installed dependencies run it.

The wall time of each process (start to exit) is recorded; the table gives the
median, the 1.0 s target and each median's ratio to the target, and the ratio
of the reference's median to ours. The machine's load average is printed beside
them (on a loaded machine every time is longer). Also printed: which of torch,
numpy, xarray, pandas, scipy, sklearn and matplotlib each tree's process loaded.
Ends with one JSON line of the key figures.

Run: ``python benchmarks/bench_startup.py [--repeats 5] [--reference f3b1371]``
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

TARGET_S = 1.0
TARGETED = {"--help": ["-m", "chronoscore", "--help"], "score --help": ["-m", "chronoscore", "score", "--help"],
            "bad argument": ["-m", "chronoscore", "score", "--no-such-option"]}
"""The command lines with the 1.0 s target: name -> arguments of ``python``."""
OTHERS = {**{f"{command} --help": ["-m", "chronoscore", command, "--help"]
             for command in ("models", "train", "demo", "figures")},
          **{f"import {package}": ["-c", f"import chronoscore.{package}"]
             for package in ("models", "neural_fit", "stimuli", "analyses", "figures")}}
"""Further command lines, shown beside them."""
COMMANDS = {**TARGETED, **OTHERS}
HEAVY = ("torch", "numpy", "xarray", "pandas", "scipy", "sklearn", "matplotlib")
FOLDERS = {"models": "models", "neural_fit": "neural_fit", "stimuli": "stimuli", "analyses": "analyses",
           "figures": "figures"}
"""Top-level folder of the repository -> its subpackage under ``chronoscore/``."""
REPOSITORY = Path(__file__).resolve().parents[1]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="fresh processes per command line (default 5)")
    parser.add_argument("--reference", default="f3b1371", help="git commit of the reference tree (default f3b1371)")
    return parser.parse_args(argv)


def export_tree(commit: str, destination: Path) -> Path:
    """The ``chronoscore`` package of ``commit``, laid out as installed, in ``destination``; returns the folder."""
    archive = destination / "tree.tar"
    with archive.open("wb") as file:
        subprocess.run(["git", "-C", str(REPOSITORY), "archive", "--format=tar", commit], stdout=file, check=True)
    source = destination / "source"
    with tarfile.open(archive) as tar:
        tar.extractall(source)
    root = destination / "root"
    shutil.copytree(source / "chronoscore", root / "chronoscore")
    for folder, package in FOLDERS.items():
        shutil.copytree(source / folder, root / "chronoscore" / package)
    shutil.rmtree(source)
    return root


def environment_for(path: Path | None) -> dict[str, str]:
    """The environment of a process that imports the tree at ``path`` (None: the installed one)."""
    environment = dict(os.environ, BS_INSTALL_DEPENDENCIES="no")
    if path is not None:
        environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(path), environment.get("PYTHONPATH")]))
    return environment


def run_python(arguments: list[str], path: Path | None, **options) -> subprocess.CompletedProcess:
    """``python ARGS`` with the tree at ``path``, in a folder holding no ``chronoscore/`` to shadow it."""
    return subprocess.run([sys.executable, *arguments], env=environment_for(path), cwd=tempfile.gettempdir(),
                          check=False, **options)


def run_once(arguments: list[str], path: Path | None) -> float:
    """Wall seconds of one ``python ARGS`` process."""
    started = time.perf_counter()
    run_python(arguments, path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def loaded_modules(arguments: list[str], path: Path | None) -> list[str]:
    """Which of :data:`HEAVY` ``python ARGS`` loads before it exits."""
    if arguments[0] == "-c":
        run = arguments[1]
    else:
        run = (f"sys.argv = ['chronoscore', *{arguments[2:]!r}]\n"
               "try:\n    runpy.run_module('chronoscore', run_name='__main__')\nexcept SystemExit:\n    pass")
    probe = f"import runpy, sys\n{run}\nprint(sorted(name for name in {HEAVY!r} if name in sys.modules))\n"
    done = run_python(["-c", probe], path, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1].replace("'", '"'))


def where_chronoscore_is(path: Path | None) -> str:
    """The folder ``import chronoscore`` finds (to show the two trees are really different)."""
    done = run_python(["-c", "import chronoscore; print(chronoscore.__file__)"], path, capture_output=True,
                      text=True)
    return str(Path(done.stdout.strip()).parent)


def measure(trees: dict[str, Path | None], repeats: int) -> dict[str, dict[str, list[float]]]:
    """Wall seconds per tree and command line; the processes of the two trees alternate."""
    times: dict[str, dict[str, list[float]]] = {tree: {name: [] for name in COMMANDS} for tree in trees}
    for name, arguments in COMMANDS.items():
        for path in trees.values():
            run_once(arguments, path)  # writes the bytecode caches
        for _ in range(repeats):
            for tree, path in trees.items():
                times[tree][name].append(run_once(arguments, path))
    return times


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        trees = {"chronoscore": None, "reference": export_tree(args.reference, Path(folder))}
        locations = {tree: where_chronoscore_is(path) for tree, path in trees.items()}
        if locations["chronoscore"] == locations["reference"]:
            raise SystemExit("the reference tree is not the one imported; is chronoscore installed in a way "
                             "PYTHONPATH cannot shadow?")
        load_before = os.getloadavg()
        times = measure(trees, args.repeats)
        load_after = os.getloadavg()
        loaded = {tree: {name: loaded_modules(arguments, path) for name, arguments in COMMANDS.items()}
                  for tree, path in trees.items()}
    medians = {tree: {name: statistics.median(values) for name, values in by_name.items()}
               for tree, by_name in times.items()}
    print(f"median wall time of {args.repeats} fresh processes; reference: "
          f"{args.reference}; {os.cpu_count()} CPUs, load average {load_before[0]:.2f} before and "
          f"{load_after[0]:.2f} after (1 min)\n")
    print(f"{'python ...':<22} {'reference (s)':>14} {'chronoscore (s)':>16} {'target (s)':>11} "
          f"{'ours / target':>14} {'speed-up':>9}  heavy modules loaded (ours | reference)")
    for name in COMMANDS:
        ours, reference = medians["chronoscore"][name], medians["reference"][name]
        target = f"{TARGET_S:>11.1f} {ours / TARGET_S:>14.2f}" if name in TARGETED else f"{'-':>11} {'-':>14}"
        print(f"{name:<22} {reference:>14.3f} {ours:>16.3f} {target} {reference / ours:>8.2f}x  "
              f"{','.join(loaded['chronoscore'][name]) or '-'} | {','.join(loaded['reference'][name]) or '-'}")
    met = all(medians["chronoscore"][name] <= TARGET_S for name in TARGETED)
    print(f"\n--help, score --help and the bad argument each within the {TARGET_S:.1f} s target: "
          f"{'yes' if met else 'no'}")
    summary = {"benchmark": "startup", "repeats": args.repeats, "reference": args.reference,
               "target_s": TARGET_S, "load_average": [round(load_before[0], 2), round(load_after[0], 2)],
               "median_s": {tree: {name: round(value, 4) for name, value in by_name.items()}
                            for tree, by_name in medians.items()},
               "all_within_target": met}
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
