"""Train the demo models with the trainer and write their weights for shipping.

Usage::

    python -m chronoscore.analyses.make_demo_weights [--out DIR] [--models NAME ...]

For each model ``NAME`` the shipped recipe ``demo_NAME.yaml`` is trained on the
CPU; the trained state dict is written to ``DIR/NAME.pt`` and a record to
``DIR/NAME.yaml`` (recipe, classes, SHA-256 of the ``.pt`` file, parameter
count, accuracy on the first training images and on the held-out set), and
``DIR/README.md`` gets a table of every record in ``DIR``. The held-out set is
the first :data:`HELDOUT` ``n`` images of the objects test split as the embedded
benchmark renders them (seed 0, 64 px), never seen in training. ``DIR``
defaults to the package's ``models/weights/`` folder.
"""

from __future__ import annotations

import argparse
import io
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
import yaml
from torch import nn

import chronoscore
from chronoscore.analyses.training_data import train
from chronoscore.models.training.checkpoints import atomic_write_bytes, sha256_bytes
from chronoscore.models.training.recipe import Recipe, load_recipe
from chronoscore.models.training.shipped import list_shipped_weights, shipped_weights_dir, shipped_weights_info
from chronoscore.models.training.trained_models import load_trained_model
from chronoscore.stimuli import generate, load_batch

__all__ = ["DEMO_MODELS", "HELDOUT", "TRAIN_SUBSET", "main", "classification_accuracy"]

DEMO_MODELS = ("convrnn_shallow_rgc", "ff_shallow", "convrnn_shallow_lstm")
"""Models with a ``demo_<name>.yaml`` recipe."""
HELDOUT = {"generator": "objects", "split": "test", "n": 192, "seed": 0, "generated_size": 64}
"""The held-out images: each of the 64 objects once at each variation level, from the test split."""
TRAIN_SUBSET = 384
"""Training accuracy is measured on this many training images (the first ones)."""


def main(argv: Sequence[str] | None = None) -> int:
    """Train the requested demo models and write their weights, records and the README table."""
    parser = argparse.ArgumentParser(prog="python -m chronoscore.analyses.make_demo_weights",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=None, help="where to write the weights (default: the package's)")
    parser.add_argument("--models", nargs="+", choices=DEMO_MODELS, default=list(DEMO_MODELS))
    parser.add_argument("--runs", type=Path, default=None, help="keep the training runs here (default: discarded)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a setting of every demo recipe (for quick trials)")
    parser.add_argument("--train-images", type=int, default=TRAIN_SUBSET,
                        help="training images on which to measure accuracy (the first ones)")
    parser.add_argument("--heldout-images", type=int, default=HELDOUT["n"], help="held-out images")
    parser.add_argument("--threads", type=int, default=1,
                        help="CPU threads (default 1: faster for these small models on a busy machine)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    out = args.out if args.out is not None else shipped_weights_dir()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="chronoscore-demo-") as scratch:
        runs = args.runs if args.runs is not None else Path(scratch)
        for name in args.models:
            recipe = load_recipe(f"demo_{name}", args.overrides)
            summary = train(recipe, runs / name, progress=not args.quiet)
            record = write_weights(load_trained_model(runs / name), recipe, summary, out,
                                   train_images=args.train_images, heldout_images=args.heldout_images)
            print(f"{name}: {record['size_bytes'] / 1e6:.2f} MB, train accuracy "
                  f"{record['train_accuracy']['accuracy']:.1%}, held-out {record['heldout']['accuracy']:.1%}")
    (out / "README.md").write_text(readme_table(out))
    return 0


def write_weights(model: nn.Module, recipe: Recipe, summary: dict[str, Any], out: Path, *,
                  train_images: int = TRAIN_SUBSET, heldout_images: int = HELDOUT["n"]) -> dict[str, Any]:
    """Write ``<name>.pt`` and its record ``<name>.yaml`` into ``out``; return the record.

    Accuracy is measured on the first ``train_images`` training images and the
    first ``heldout_images`` images of the held-out set (:data:`HELDOUT`).
    """
    name = recipe.model.name
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    data = buffer.getvalue()
    classes = summary["classes"]
    train_options = {**recipe.data.options, **recipe.data.train_options}
    train_set = generate(recipe.data.generator, n=train_images, size=recipe.data.generated_size,
                         seed=recipe.data.seed, **train_options)
    heldout_set = generate(HELDOUT["generator"], n=heldout_images, size=HELDOUT["generated_size"],
                           seed=HELDOUT["seed"], split=HELDOUT["split"], **recipe.data.options)
    record = {
        "model": name, "file": f"{name}.pt", "sha256": sha256_bytes(data), "size_bytes": len(data),
        "n_parameters": summary["n_parameters"], "recipe": recipe.to_dict(), "classes": classes,
        "training": {"steps": summary["steps"], "seconds": round(summary["training_seconds"], 1),
                     "final_loss": summary["train"]["loss"]},
        "train_accuracy": {"images": train_images, **classification_accuracy(model, train_set, recipe, classes)},
        "heldout": {**HELDOUT, "n": heldout_images, **classification_accuracy(model, heldout_set, recipe, classes)},
        "chronoscore_version": chronoscore.__version__, "torch_version": str(torch.__version__),
    }
    atomic_write_bytes(out / f"{name}.pt", data)
    (out / f"{name}.yaml").write_text(yaml.safe_dump(record, sort_keys=False))
    return record


def classification_accuracy(model: nn.Module, stimulus_set, recipe: Recipe, classes: Sequence,
                            batch_size: int = 64) -> dict[str, Any]:
    """Correct predictions of ``model`` (eval mode) on a stimulus set, labelled by ``recipe.data.label``.

    Returns
    -------
    dict
        ``correct`` (int) and ``accuracy`` (float) over the set's images.
    """
    labels = torch.tensor([list(classes).index(value) for value in stimulus_set.table[recipe.data.label]])
    correct = 0
    model.eval()
    with torch.no_grad():
        for start in range(0, len(stimulus_set), batch_size):
            indices = range(start, min(start + batch_size, len(stimulus_set)))
            images = load_batch(stimulus_set, indices, recipe.data.image_size, recipe.data.model_degrees)
            correct += int((model(images).argmax(dim=1) == labels[start:indices.stop]).sum())
    return {"correct": correct, "accuracy": correct / len(stimulus_set)}


def readme_table(folder: Path) -> str:
    """The README of a weights folder: a table of every model recorded in it."""
    introduction = ("Small models trained by `python -m chronoscore.analyses.make_demo_weights` on the "
                    "generated objects task (8 categories, chance 12.5 %; recipes `demo_<model>.yaml`). Held-out "
                    f"accuracy is on the first images of the objects test split (seed {HELDOUT['seed']}, "
                    f"{HELDOUT['generated_size']} px: the embedded benchmark's images), never seen in training; "
                    "training accuracy on the first training images. Load a model with "
                    "`chronoscore.models.training.load_shipped_weights(name)`.")
    lines = ["# Shipped demo weights", "", introduction, "",
             "| model | parameters | file (MB) | input (px) | training steps | train accuracy | held-out accuracy |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name in list_shipped_weights(folder):
        info = shipped_weights_info(name, folder)
        train_part, heldout = info["train_accuracy"], info["heldout"]
        lines.append(f"| `{name}` | {info['n_parameters']:,} | {info['size_bytes'] / 1e6:.2f} | "
                     f"{info['recipe']['data']['image_size']} | {info['training']['steps']} | "
                     f"{train_part['accuracy']:.1%} of {train_part['images']} | "
                     f"{heldout['accuracy']:.1%} of {heldout['n']} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
