"""``chronoscore extract``: time-resolved activations of a model on a stimulus set, as a netCDF file.

Examples::

    chronoscore extract convrnn_intermediate_rgc --weights rgc.pt --stimuli hvm/ --out rgc_hvm.nc \\
        --projection random:1000
    chronoscore extract resnet18 --stimuli images/ --out resnet.nc --areas layer3,layer4
    chronoscore extract nets/cornet.py:build --areas V4=V4.output,IT=IT.output --steps 4 \\
        --stimuli images/ --out cornet.nc

MODEL is a registered model name (``chronoscore models`` lists them; ``--model-arg
key=value`` overrides a constructor argument, ``--weights FILE`` loads a state
dict), a training run's output folder (``chronoscore train ... --out DIR``: its
recipe's model with the weights of its best checkpoint, recorded in FILE's
attributes), or ``path/to/file.py:function`` returning an ``nn.Module``, whose recorded
submodules ``--areas name=submodule,...`` names (``--steps`` is then the most
calls of any of them in one pass). For a registered model or a training run
``--areas A,B`` picks areas by name.

DIR is a stimulus set in Brain-Score's format (the one ``.csv`` in the folder
with its zip or image folder beside it; or give the csv itself) or a plain folder
of images (each file's name is its stimulus id).

FILE holds the Activations (presentation × neuroid × time_step) as netCDF4,
readable by ``chronoscore fit --features``, in the ``--dtype`` asked for
(``float16`` halves memory while extracting and the file's size).
Activations are cached (``--cache-dir``, ``--no-cache``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from typing import TYPE_CHECKING

from chronoscore.cli.options import add_cache_options, add_init_seed_option, add_seed_alias, cache_option
from chronoscore.errors import ConfigError, FileFormatError

if TYPE_CHECKING:
    from chronoscore.stimuli.stimulus_set import StimulusSet

__all__ = ["add_parser", "run", "load_stimuli", "parse_projection_option"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``extract`` and its options on the command line."""
    parser = subparsers.add_parser(
        "extract", help="extract a model's activations at every time step for a stimulus set",
        description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", metavar="MODEL",
                        help="registered model name, training run folder, or path/to/file.py:function")
    parser.add_argument("--stimuli", required=True, type=Path, metavar="DIR",
                        help="stimulus set folder (Brain-Score csv + images) or plain image folder")
    parser.add_argument("--out", required=True, type=Path, metavar="FILE", help="netCDF file to write")
    parser.add_argument("--areas", action="append", metavar="A,B | NAME=SUBMODULE,...",
                        help="areas to record (registered model) or submodules to wrap (file.py:function)")
    parser.add_argument("--steps", type=int, metavar="N", help="time steps (default: the model's)")
    parser.add_argument("--weights", type=Path, metavar="FILE", help="state dict to load into the model")
    parser.add_argument("--model-arg", dest="model_args", action="append", default=[], metavar="KEY=VALUE",
                        help="constructor argument, e.g. --model-arg width=0.5 (repeatable)")
    parser.add_argument("--projection", metavar="random:D | pca:D",
                        help="keep at most D features per area (pca needs --pca-stimuli)")
    parser.add_argument("--pca-stimuli", type=Path, metavar="DIR", help="stimulus set the PCA is fitted on")
    parser.add_argument("--image-size", type=int, metavar="PX", help="input side in pixels (default: the model's)")
    add_init_seed_option(parser)
    add_seed_alias(parser, "init_seed")
    parser.add_argument("--model-degrees", type=float, default=8.0, metavar="DEG",
                        help="visual angle of the model's input (default 8)")
    parser.add_argument("--stimulus-degrees", type=float, metavar="DEG",
                        help="visual angle of the stimuli (default: the set's own, else 8)")
    parser.add_argument("--batch-size", type=int, metavar="N",
                        help="images per batch (default: at most 64, fewer when a batch's recorded activity would "
                             "exceed 512 MiB)")
    parser.add_argument("--dtype", choices=["float32", "float16"], default="float32",
                        help="storage type while extracting")
    add_cache_options(parser)
    parser.add_argument("--device", help="torch device, e.g. cuda (default: cpu)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Build the model, read the stimuli, extract, write FILE and print one summary line."""
    from chronoscore.analyses.extraction import extract
    from chronoscore.analyses.model_source import load_model, parse_areas
    from chronoscore.config import parse_override
    from chronoscore.neural_fit.results_io import write_features

    names, wrap_areas = parse_areas(args.areas)
    model_args = dict(parse_override(text) for text in args.model_args)
    model, name = load_model(args.model, weights=args.weights, wrap_areas=wrap_areas, wrap_steps=args.steps,
                             model_args=model_args, image_size=args.image_size, seed=args.init_seed)
    stimuli = load_stimuli(args.stimuli, args.stimulus_degrees)
    projection = parse_projection_option(args.projection, args.pca_stimuli, args.stimulus_degrees)
    activations = extract(model, stimuli, areas=names, n_steps=args.steps, image_size=args.image_size,
                          model_degrees=args.model_degrees, batch_size=args.batch_size, projection=projection,
                          dtype=args.dtype, cache=cache_option(args), device=args.device, progress=not args.quiet,
                          model_name=name)
    write_features(activations, args.out)
    sizes = activations.sizes
    areas = list(dict.fromkeys(activations["layer"].values.tolist()))
    print(f"wrote {args.out}: {sizes['presentation']} stimuli x {sizes['neuroid']} neuroids x "
          f"{sizes['time_step']} time steps of {name} ({', '.join(areas)})")
    return 0


def load_stimuli(path: Path, degrees: float | None = None) -> StimulusSet:
    """A stimulus set from a Brain-Score csv (or the one csv in a folder), else from a folder of images.

    Raises
    ------
    FileFormatError
        If ``path`` does not exist.
    ConfigError
        If a folder holds several csv files (give the csv itself).
    """
    from chronoscore.stimuli.brainscore_format import read_image_folder, read_stimulus_set

    if path.is_file() and path.suffix.lower() == ".csv":
        return read_stimulus_set(path, degrees=degrees)
    if not path.is_dir():
        raise FileFormatError(f"{path}: no such folder; give a stimulus set folder or a folder of images.")
    tables = sorted(path.glob("*.csv"))
    if len(tables) > 1:
        raise ConfigError(f"{path} holds several csv files {[table.name for table in tables]}; give the stimulus "
                          "table itself, e.g. --stimuli DIR/stimulus_<name>.csv.")
    if tables:
        return read_stimulus_set(tables[0], degrees=degrees)
    return read_image_folder(path, degrees=8.0 if degrees is None else degrees)


def parse_projection_option(text: str | None, fit_stimuli: Path | None, degrees: float | None) -> tuple | None:
    """``random:D`` -> ``("random", D)``; ``pca:D`` -> ``("pca", D, <the --pca-stimuli set>)``."""
    if text is None:
        if fit_stimuli is not None:
            raise ConfigError("--pca-stimuli is only used with --projection pca:D.")
        return None
    kind, _, count = text.partition(":")
    if kind not in ("random", "pca") or not count.isdigit():
        raise ConfigError(f"--projection {text!r} is not understood; use random:D or pca:D, e.g. random:1000.")
    if kind == "random":
        return ("random", int(count))
    if fit_stimuli is None:
        raise ConfigError("--projection pca:D fits the PCA on a separate stimulus set; give it with --pca-stimuli DIR.")
    return ("pca", int(count), load_stimuli(fit_stimuli, degrees))

