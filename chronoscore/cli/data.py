"""``chronoscore data``: list the data sets (``list``), build the embedded simulated V4/IT benchmark (``synth``),
convert NWB recordings (``nwb``) or save an assembly's noise ceilings for the figures (``ceilings``).

``chronoscore data list`` prints every registered data set (see :mod:`chronoscore.analyses.datasets`): its name,
what it is, its regions, what it holds and what ``chronoscore score --benchmark NAME`` needs for it.

``chronoscore data nwb FILE.nwb [FILE2.nwb ...] --stimuli IMAGES_DIR|STIMULUS_CSV --bins 0:300:10 --out
FOLDER/assembly.nc`` bins the spikes of the files' units around each stimulus presentation and writes a benchmark
folder for ``chronoscore score --benchmark FOLDER`` (see :mod:`chronoscore.analyses.nwb_benchmark`). Without
``--stimuli``, the stimuli are the images of the files' ``IndexSeries``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from chronoscore.errors import ConfigError

__all__ = ["add_parser", "run_list", "run_ceilings", "run_synth", "run_nwb", "parse_bins", "parse_units_filter"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``data`` and its ``list``, ``ceilings``, ``synth`` and ``nwb`` actions."""
    parser = subparsers.add_parser(
        "data", help="build the embedded simulated V4/IT benchmark, or convert NWB recordings into a benchmark folder",
        description="List the data sets (list), build the embedded simulated V4/IT benchmark (synth), convert NWB "
                    "recordings into a benchmark folder (nwb) or save an assembly's noise ceilings (ceilings).")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="list the data sets a model can be scored on, with what each holds",
                                 description="List the registered data sets: name, description, regions, contents "
                                             "and what chronoscore score --benchmark NAME needs for each.")
    listing.set_defaults(func=run_list)
    ceilings = actions.add_parser(
        "ceilings", help="save the split-half noise ceilings of raw-trial assemblies beside them (for figures)",
        description="Compute the split-half (Spearman-Brown corrected) noise ceilings of each assembly's raw trials "
                    "and save them beside it (ceilings.nc beside assembly.nc), where the figures read them.")
    ceilings.add_argument("assemblies", nargs="+", type=Path, metavar="FILE_OR_FOLDER",
                          help="an assembly netCDF file, or a folder holding assembly.nc")
    ceilings.set_defaults(func=run_ceilings)
    synth = actions.add_parser(
        "synth", help="generate object images and simulated V4/IT recordings",
        description="Generate the objects test images, simulate V4 and IT raw trials in 10 ms bins from 70 to "
                    "260 ms and write them in Brain-Score's formats.")
    synth.add_argument("--out", type=Path,
                       help="destination folder (default: the embedded benchmark's folder in chronoscore's cache, "
                            "where score --benchmark simulated reads it)")
    synth.add_argument("--n", type=int, default=384, help="number of images (default 384)")
    synth.add_argument("--size", type=int, default=64, help="image side in pixels (default 64)")
    synth.add_argument("--seed", type=int, default=0, help="seed of images and simulation (default 0)")
    synth.set_defaults(func=run_synth)
    _add_nwb_parser(actions)


def _add_nwb_parser(actions: argparse._SubParsersAction) -> None:
    nwb = actions.add_parser(
        "nwb", help="bin NWB recordings (e.g. from DANDI) into an assembly and a stimulus set",
        description="Bin the spikes of NWB files' units around each stimulus presentation into a raw-trial "
                    "assembly (presentation x neuroid x time_bin, brainio netCDF) and write the stimuli shown "
                    "beside it, as a folder chronoscore score --benchmark FOLDER reads. Several files (sessions) "
                    "are merged over the stimuli they share.")
    nwb.add_argument("files", nargs="+", type=Path, metavar="FILE.nwb", help="one NWB file per session")
    nwb.add_argument("--stimuli", type=Path, metavar="IMAGES_DIR|STIMULUS_CSV",
                     help="folder of images named <stimulus_id>.<ext>, or a stimulus set csv (Brain-Score format); "
                          "default: the images of the files' IndexSeries (their Images container)")
    nwb.add_argument("--out", required=True, type=Path, metavar="FOLDER/assembly.nc",
                     help="assembly file; the stimuli go into stimuli/ beside it")
    nwb.add_argument("--bins", default="0:300:10", metavar="START:STOP:WIDTH",
                     help="time bins in ms from each presentation's onset or offset (default 0:300:10)")
    nwb.add_argument("--align", choices=["onset", "offset"], default="onset",
                     help="measure the bins from the onset (default) or the offset")
    nwb.add_argument("--units-filter", action="append", default=[], metavar="COLUMN=VALUE",
                     help="keep units whose column holds the value, e.g. quality=good (repeatable)")
    nwb.add_argument("--presentations", metavar="NAME",
                     help="intervals table or IndexSeries of the presentations (default: the one naming stimuli)")
    nwb.add_argument("--stimulus-column", metavar="NAME",
                     help="the intervals table's column naming the stimulus (default: stimulus_id, image_id, ...)")
    nwb.add_argument("--region", help="region of every unit (default: its electrode's location)")
    nwb.add_argument("--animal", help="animal of every unit (default: the file's subject_id)")
    nwb.add_argument("--statistic", choices=["rate", "count"], default="rate",
                     help="spikes per second (default) or spike counts")
    nwb.add_argument("--drop-silent-units", action="store_true",
                     help="leave out units without a spike in any bin (by default they are an error)")
    nwb.add_argument("--stimulus-degrees", type=float, metavar="DEG",
                     help="visual angle of the stimuli (default: the set's own, else 8)")
    nwb.set_defaults(func=run_nwb)


def run_list(args: argparse.Namespace) -> int:
    """Print each registered data set: its name and description, then its regions, contents and needs."""
    from chronoscore.analyses.datasets import list_datasets

    for entry in list_datasets():
        print(f"{entry.name}: {entry.description}")
        details = [("regions", ", ".join(entry.regions) or "as the data say"), ("holds", entry.contents),
                   ("needs", entry.needs or "nothing (offline)")]
        details += [("also named", ", ".join(entry.aliases))] if entry.aliases else []
        for label, text in details:
            print(f"    {label:<10} {text}")
        print()
    return 0


def run_ceilings(args: argparse.Namespace) -> int:
    """Save each assembly's ceilings and say where (or that trial-averaged data have none)."""
    from chronoscore.analyses.neural_ceilings import save_noise_ceilings

    for path in args.assemblies:
        written = save_noise_ceilings(path)
        print(f"{path}: trial-averaged data, no split-half ceilings" if written is None else f"wrote {written}")
    return 0


def run_synth(args: argparse.Namespace) -> int:
    """Build the benchmark and say where it is."""
    from chronoscore.analyses.embedded_benchmark import build_embedded_benchmark

    folder = build_embedded_benchmark(args.out, n_images=args.n, image_size=args.size, seed=args.seed)
    print(f"simulated V4/IT benchmark written to {folder}")
    return 0


def run_nwb(args: argparse.Namespace) -> int:
    """Convert the files, write the benchmark folder and print what it holds."""
    from chronoscore.cli.extract import load_stimuli
    from chronoscore.analyses.nwb_benchmark import convert_nwb, nwb_stimulus_set

    bins = parse_bins(args.bins)
    units_filter = parse_units_filter(args.units_filter)
    if args.stimuli is None:
        degrees = 8.0 if args.stimulus_degrees is None else args.stimulus_degrees
        stimulus_set = nwb_stimulus_set(args.files, args.presentations, degrees)
    else:
        stimulus_set = load_stimuli(args.stimuli, args.stimulus_degrees)
    written = convert_nwb(args.files, stimulus_set, args.out, bins=bins, align=args.align,
                          presentations=args.presentations, stimulus_column=args.stimulus_column,
                          units_filter=units_filter, region=args.region, animal=args.animal,
                          statistic=args.statistic, drop_silent_units=args.drop_silent_units)
    assembly = written.assembly
    regions = assembly["region"].to_series().value_counts().sort_index()
    print(f"wrote {written.assembly_file}: {assembly.sizes['presentation']} presentations of "
          f"{len(set(assembly['stimulus_id'].values))} stimuli x {assembly.sizes['neuroid']} neuroids "
          f"({', '.join(f'{region} {count}' for region, count in regions.items())}) x {assembly.sizes['time_bin']} "
          f"time bins, from {len(args.files)} session(s)")
    for label, counts in (("stimuli shown in only some sessions", assembly.attrs["stimuli_left_out"]),
                          ("silent units", assembly.attrs["silent_units_left_out"])):
        if any(counts.values()):
            print(f"left out {label}: " + ", ".join(f"{session} {count}" for session, count in counts.items()))
    print(f"wrote the stimulus set to {written.stimulus_files.csv.parent}")
    if written.assembly_file.name == "assembly.nc":
        print(f"score a model on it: chronoscore score MODEL --benchmark {written.assembly_file.parent}")
    else:
        print("name the file assembly.nc to score a model on its folder with chronoscore score --benchmark FOLDER")
    return 0


def parse_bins(text: str) -> list[tuple[float, float]]:
    """``"0:300:10"`` -> contiguous bins of 10 ms from 0 to 300 ms.

    Raises
    ------
    ConfigError
        If the text is not three numbers separated by ``:``, or they make no bins.
    """
    from chronoscore.neural_fit.binning import time_bins

    parts = text.split(":")
    try:
        start, stop, width = (float(part) for part in parts)
    except ValueError:
        raise ConfigError(f"--bins {text!r}: give START:STOP:WIDTH in ms, e.g. 0:300:10.") from None
    return time_bins(start, stop, width)


def parse_units_filter(items: list[str]) -> dict[str, str]:
    """``["quality=good"]`` -> ``{"quality": "good"}``.

    Raises
    ------
    ConfigError
        If an item has no ``=`` or an empty column name.
    """
    parsed = {}
    for item in items:
        column, separator, value = item.partition("=")
        if not separator or not column.strip():
            raise ConfigError(f"--units-filter {item!r}: give COLUMN=VALUE, e.g. quality=good.")
        parsed[column.strip()] = value.strip()
    return parsed
