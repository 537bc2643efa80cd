"""Time per update of the Recurrent Sparse Memory trained as the authors' release trains it, and the release's length.

Builds the ``rsm_reber`` claim's model and streams at the ``release`` scale (200 groups
x 8 cells, k = 25, 400 streams, the release's classifier; one-hot symbols) on the
chosen device, makes ``--warmup`` updates, then times ``--updates`` more
(:class:`~chronoscore.models.rsm_release_training.ReleaseTraining`, synchronised on
CUDA), and projects the release's 40,000 updates per seed. Prints a table; ends
with one JSON line: ``seconds_per_update``, ``release_hours``, ``device``, ``threads``.

Run: ``python benchmarks/bench_rsm_release_updates.py [--device cuda --updates 50 --warmup 5 --threads 1]``
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace

import torch

from chronoscore.analyses.claims.catalog import get_claim, recipe_path
from chronoscore.analyses.claims.reber_streams import load_stream_settings, stream_training


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--updates", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    claim = get_claim("rsm_reber")
    settings = load_stream_settings(recipe_path(claim.stream_recipe), claim.scale("release").overrides)
    settings = replace(settings, device=args.device)
    training = stream_training(settings, seed=0)
    for _ in range(args.warmup):
        training.update()
    synchronise = torch.cuda.synchronize if torch.device(args.device).type == "cuda" else (lambda: None)
    synchronise()
    started = time.perf_counter()
    for _ in range(args.updates):
        training.update()
    synchronise()
    per_update = (time.perf_counter() - started) / args.updates
    hours = per_update * settings.updates / 3600
    print(f"| device | threads | streams | timed updates | s / update | {settings.updates:,} updates (h) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    print(f"| {args.device} | {args.threads} | {settings.n_streams} | {args.updates} | {per_update:.3f} | {hours:.2f} |")
    print(json.dumps({"seconds_per_update": per_update, "release_hours": hours, "device": args.device,
                      "threads": args.threads}))


if __name__ == "__main__":
    main()
