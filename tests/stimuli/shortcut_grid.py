"""The accuracies behind ``test_pathfinder_shortcuts.py`` as a table: every classifier, every path
length, three seeds (300 training and 300 held-out images each)::

    python -m tests.stimuli.shortcut_grid [--seeds 0 1 2]

Prints a table of held-out accuracies (mean and largest over seeds) and ends with one JSON line:
``largest`` (the largest accuracy of any classifier anywhere), ``limit`` (0.60) and ``passed``.
"""

from __future__ import annotations

import argparse
import json

from tests.stimuli.shortcut_classifiers import CLASSIFIERS, shortcut_accuracies
from tests.stimuli.test_pathfinder_shortcuts import GRID, LIMIT, N_TRAIN, SEEDS, pathfinder_sample


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    args = parser.parse_args(argv)
    results = {length: [shortcut_accuracies(pathfinder_sample(size, length, seed), N_TRAIN) for seed in args.seeds]
               for length, size in GRID.items()}
    print(f"held-out accuracy, {N_TRAIN} training and {N_TRAIN} held-out images, seeds {args.seeds} "
          "(mean / largest over seeds)")
    print(f"{'classifier':40s}" + "".join(f"  L={length:<2d} ({GRID[length]} px)" for length in GRID))
    largest = 0.0
    for name in CLASSIFIERS:
        cells = []
        for length in GRID:
            values = [run[name] for run in results[length]]
            largest = max(largest, max(values))
            cells.append(f"  {sum(values) / len(values):.3f} / {max(values):.3f}  ")
        print(f"{name:40s}" + "".join(cells))
    print(json.dumps({"largest": round(largest, 4), "limit": LIMIT, "passed": largest <= LIMIT}))
    return 0 if largest <= LIMIT else 1


if __name__ == "__main__":
    raise SystemExit(main())
