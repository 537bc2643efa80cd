"""Images per second of the ``pathfinder`` generator against the first one it replaced.

The reference is the first generator (version 1: paths grown paddle by paddle
with a Python loop per paddle, one image at a time), run from its frozen copy
``benchmarks/frozen/pathfinder_v1.py``, which keeps that code unchanged outside
the package. chronoscore's generator is timed through
``generate("pathfinder", ...)``, so its time includes the table and the
three-channel pixels of the stimulus set; the reference's covers only its
grey images, labels and markers. Both draw classification images with the
default distractors, on one core (numpy runs these loops on one thread), at 48
and 150 px. Speeds are images per second of this process's CPU time (on a
shared machine not slowed by other processes) and, for reference, of wall-clock
time. Each measurement is the best of ``--repeats`` runs.

Prints a table and ends with one JSON line: ``images_per_s_48`` and
``images_per_s_150`` (chronoscore, per CPU second), ``reference_images_per_s_48``,
``reference_images_per_s_150``, ``speedup_48``, ``speedup_150`` and ``speedup``
(the smaller of the two), ``path_length``.

Run: ``python benchmarks/bench_pathfinder.py [--path-length 14 --images 2048 --reference-images 24 --repeats 3]``
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

from chronoscore.stimuli import generate

sys.path.insert(0, str(Path(__file__).parent / "frozen"))
from pathfinder_v1 import pathfinder_v1_images  # noqa: E402

SIZES = (48, 150)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path-length", type=int, default=14, help="paddles per long path (default 14)")
    parser.add_argument("--images", type=int, default=2048, help="images per run of chronoscore's generator")
    parser.add_argument("--reference-images", type=int, default=24, help="images per run of the first generator")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each; the best counts")
    return parser.parse_args(argv)


def best_speed(draw: Callable[[int], object], count: int, repeats: int) -> tuple[float, float]:
    """(images per CPU second, images per wall-clock second), best of ``repeats`` runs of ``draw(seed)``."""
    cpu, wall = [], []
    for repeat in range(repeats):
        started_cpu, started_wall = time.process_time(), time.perf_counter()
        draw(repeat + 1)
        cpu.append(count / (time.process_time() - started_cpu))
        wall.append(count / (time.perf_counter() - started_wall))
    return max(cpu), max(wall)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    generate("pathfinder", n=8, size=48, seed=0, path_length=args.path_length)  # imports and first-call costs
    rows, figures = [], {"path_length": args.path_length}
    for size in SIZES:
        ours = best_speed(lambda seed: generate("pathfinder", n=args.images, size=size, seed=seed,
                                                path_length=args.path_length), args.images, args.repeats)
        reference = best_speed(lambda seed: pathfinder_v1_images(args.reference_images, size, seed, args.path_length),
                               args.reference_images, args.repeats)
        rows.append((size, reference, ours))
        figures.update({f"images_per_s_{size}": round(ours[0], 1),
                        f"reference_images_per_s_{size}": round(reference[0], 2),
                        f"speedup_{size}": round(ours[0] / reference[0], 1)})
    print(f"pathfinder generation, path length {args.path_length}, images per second (CPU / wall), best of "
          f"{args.repeats}")
    print(f"{'size':>6} {'first generator (v1)':>24} {'chronoscore (v2)':>22} {'speed-up (CPU)':>16}")
    for size, reference, ours in rows:
        print(f"{size:>4}px {reference[0]:>11.2f} / {reference[1]:>8.2f} {ours[0]:>10.1f} / {ours[1]:>8.1f} "
              f"{ours[0] / reference[0]:>15.1f}x")
    figures["speedup"] = min(figures[f"speedup_{size}"] for size in SIZES)
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
