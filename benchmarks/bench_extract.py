"""Activation extraction: chronoscore's ``extract`` against Brain-Score's ``PytorchWrapper``, and a ConvRNN's memory.

Part 1, side by side: the same randomly initialised torchvision network (seed 0,
no download) extracts the same layers (for resnet18 the ones Brain-Score users
record: layer1 to layer4 and avgpool) for the same image files at the same
resolution, once through Brain-Score's ``PytorchWrapper`` /
``ActivationsExtractorHelper.from_paths`` (its own image loading and
preprocessing, result caching off) and once through
``chronoscore.analyses.extraction`` (a file-backed stimulus set read from the same
folder, cache off), each in a fresh process with the same number of torch
threads (``--threads``, default: all CPUs). Both keep every feature in float32;
the time counted is that of the extraction call, from image files to the
finished assembly. Runs alternate, each extractor going first every other time.
Parity: rows from the first, middle and last batches of both outputs, every
feature of every layer, are compared; ``parity_ok`` says whether the largest
difference in each layer is below 1e-4 of that layer's largest value
(chronoscore runs convolutions in channels-last memory format on the CPU, which
sums in another order, and folds each batch norm into the convolution before it:
differences of a few float32 ulps; the seeded network's batch norms hold their
initial statistics, so folding changes its weights little, but it costs and
saves the same as for a trained network).

Speeds are compared by CPU time (user + system, of the process and of any
finished children), which other work on a shared machine disturbs least; wall-clock ratios are reported beside
it. ``speedup`` is the ratio of the median CPU times (Brain-Score /
chronoscore), ``wall_speedup`` that of the fastest wall-clock runs.

After each pair of runs, chronoscore's model runs alone in a third process: the
same network, prepared as ``extract`` prepares it (eval mode, channels-last,
batch norms folded, convolutions fused, after the same check against the plain
network, whose cost is reported as ``check_cpu_s``), over as many images as
the files, from one random batch already in memory, its recorded outputs
discarded. No reading, preprocessing
or storing is left in that time, so Brain-Score's CPU time over it
(``speedup_bound``) is the most any extraction pipeline computing the same
convolutions in float32 could reach on this machine.

Part 2: speed and peak memory of extracting ``convrnn_intermediate_rgc`` (the
release's model: 10 layers, its default 17 steps, width 1, 15.4 M parameters)
with a random projection to 1000 features per area, float32, through the on-disk
cache (the result goes into the cache entry batch by batch and is read back at
the end), ``--convrnn-batch-size`` images at a time (default: ``extract``'s own,
at most 64 and no more than 512 MiB of recorded activity: 6 images here), all ten areas or
``--convrnn-areas``, on ``--device``. It runs once for each count of
``--convrnn-images`` (generated PNG files of ``--convrnn-size`` px, default 224,
the release's input, read from disk as a user's images are), each in its own
process, with chronoscore's blocked projection (the matrix drawn in row blocks,
never held whole); and once for ``--reference-images`` images (default: the
smallest count; 0 skips it) with the reference, the projection as it was before
(``benchmarks/frozen/random_projection_v1.py``: each area's whole matrix, F·1000·4
bytes, held: 1.6 GB for each of conv2 and conv3, 56×56×128 features, at 224 px).
The table gives each run's time and peak; the peak's growth per image is the
least-squares slope of chronoscore's peaks over the counts. The peak at
``--extrapolate-to`` images (default 3200) is the larger of two: while the model
runs, the largest count's peak plus that growth over the images it lacks; once
the model is done and the result is read back from the cache entry, what the
process held after the largest count (``VmRSS``) with its result replaced by the
larger one. ``images_per_s`` is the marginal rate between the smallest and the
largest count (it leaves out what every run pays once: imports, the speed tricks'
check on 8 images); the rate of each run is in the table. At 224 px the model
costs about 100 GFLOP per image over its 17 steps: hours for 3200 images on two
CPU cores, so measure small counts there and run ``--convrnn-images 3200`` on a
GPU (``--device cuda``). ``--convrnn-only`` skips part 1.

Each measurement runs in its own process; peak memory is that process's maximum
resident set size (``ru_maxrss``), imports included (on the CPU chronoscore
reads the images in the same process). Brain-Score's part runs with this Python when
``brainscore_vision`` imports here, else with ``--brainscore-python`` (default: the
repository's ``.venv-brainscore``, made by ``make install-brainscore``), whose
older stack it pins. The images are generated
(smooth random colour fields) and written as PNG files to a temporary folder.
Prints a table and ends with one JSON line: ``speedup`` (median CPU times,
Brain-Score / chronoscore), ``wall_speedup``, ``forward_only_cpu_s``,
``speedup_bound``, ``check_cpu_s``, ``parity_ok`` and, of the ConvRNN runs,
``images_per_s``, ``peak_rss_gb`` (at the largest count), ``reference_peak_rss_gb``,
``peak_ratio`` (reference / chronoscore at the reference's count),
``peak_growth_mb_per_image`` and ``extrapolated_peak_rss_gb``. Peaks are of the
process's resident memory; on a GPU, each run's ``device_peak_gb`` (torch's
largest allocation on the device) is in its JSON line and the table.

Run: ``python benchmarks/bench_extract.py [--images 1000 --image-size 224 --network resnet18 --repeats 3
--convrnn-images 32 96 160 --reference-images 32 --convrnn-size 224 [--convrnn-batch-size N] --device cpu
--convrnn-only]``
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.util import find_spec
from pathlib import Path

import numpy as np
from brainscore_side import BRAINSCORE_PYTHON, require_brainscore_python
from PIL import Image

LAYERS = {
    "resnet18": {"layer1": "layer1", "layer2": "layer2", "layer3": "layer3", "layer4": "layer4",
                 "avgpool": "avgpool"},
    "alexnet": {"conv1": "features.2", "conv2": "features.5", "conv3": "features.7", "conv4": "features.9",
                "conv5": "features.12", "fc6": "classifier.2", "fc7": "classifier.5"},
}
PARITY_TOLERANCE = 1e-4


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=1000, help="images for the side-by-side comparison")
    parser.add_argument("--image-size", type=int, default=224, help="their side in pixels")
    parser.add_argument("--network", choices=sorted(LAYERS), default="resnet18", help="feedforward network")
    parser.add_argument("--batch-size", type=int, default=64, help="images per batch (Brain-Score's default)")
    parser.add_argument("--repeats", type=int, default=3, help="alternating runs of each extractor")
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="torch CPU threads of both extractors")
    parser.add_argument("--convrnn-images", type=int, nargs="+", default=[3200],
                        help="image counts of the ConvRNN runs, one run each (0: skip)")
    parser.add_argument("--reference-images", type=int, default=None,
                        help="images of the ConvRNN run with the reference projection (default: the smallest count; "
                             "0: skip)")
    parser.add_argument("--extrapolate-to", type=int, default=3200, help="image count the peak is extrapolated to")
    parser.add_argument("--device", default="cpu", help="device of the ConvRNN runs (cpu or cuda)")
    parser.add_argument("--convrnn-size", type=int, default=224, help="ConvRNN input side in pixels (release: 224)")
    parser.add_argument("--convrnn-width", type=float, default=1.0, help="ConvRNN channel multiplier (paper: 1)")
    parser.add_argument("--convrnn-features", type=int, default=1000, help="random projection's D per area")
    parser.add_argument("--convrnn-batch-size", type=int, default=None,
                        help="ConvRNN images per batch (default: extract's, bounded by its activity budget)")
    parser.add_argument("--convrnn-only", action="store_true", help="skip part 1 (the side-by-side comparison)")
    parser.add_argument("--convrnn-areas", nargs="+", default=None,
                        help="ConvRNN areas to extract (default: all ten)")
    parser.add_argument("--brainscore-python", type=Path, default=BRAINSCORE_PYTHON,
                        help="Python of an environment with Brain-Score, used when it is not importable here")
    parser.add_argument("--part", choices=["brainscore", "chronoscore", "forward", "convrnn"], help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--run-images", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--reference", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def write_images(folder: Path, n: int, size: int, seed: int = 0) -> None:
    """``n`` PNG files of smooth random colour fields (a coarse random grid resized bilinearly, plus noise)."""
    folder.mkdir(parents=True, exist_ok=True)
    for index, pixels in enumerate(random_images(n, size, seed)):
        Image.fromarray(pixels).save(folder / f"image_{index:05d}.png")


def random_images(n: int, size: int, seed: int = 0) -> np.ndarray:
    """(n, size, size, 3) uint8 smooth random colour fields."""
    rng = np.random.default_rng(seed)
    images = np.empty((n, size, size, 3), dtype=np.uint8)
    for index in range(n):
        coarse = Image.fromarray(rng.integers(0, 256, (6, 6, 3), dtype=np.uint8))
        smooth = np.asarray(coarse.resize((size, size), Image.Resampling.BILINEAR), dtype=np.int16)
        images[index] = np.clip(smooth + rng.integers(-20, 21, smooth.shape), 0, 255)
    return images


def seeded_network(name: str):
    """The torchvision network ``name`` with random weights drawn after ``torch.manual_seed(0)``."""
    import torch
    import torchvision

    torch.manual_seed(0)
    return getattr(torchvision.models, name)(weights=None).eval()


def cpu_seconds() -> tuple[float, float]:
    """User and system CPU time used so far by this process's threads and its finished child processes."""
    usages = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    return sum(usage.ru_utime for usage in usages), sum(usage.ru_stime for usage in usages)


def timed(function):
    """``function()``'s result with its wall-clock, user and system seconds."""
    start, (user, system) = time.perf_counter(), cpu_seconds()
    result = function()
    seconds, (user_end, system_end) = time.perf_counter() - start, cpu_seconds()
    return result, {"seconds": seconds, "user_seconds": user_end - user, "system_seconds": system_end - system,
                    "cpu_seconds": user_end - user + system_end - system}


def parity_rows(n: int, batch_size: int) -> list[int]:
    """Rows compared between the two outputs: two from the first batch, two from the middle, the last two."""
    last_batch = (n - 1) // batch_size * batch_size
    return sorted({0, 1, n // 2, n // 2 + 1, last_batch, n - 1} & set(range(n)))


def peak_gb() -> float:
    """Peak resident set size of this process in GB; Linux reports kilobytes."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9


def run_brainscore(args: argparse.Namespace) -> dict:
    """Brain-Score's extractor on the image files; saves a sample of its output."""
    import functools

    os.environ.setdefault("BS_INSTALL_DEPENDENCIES", "no")
    os.environ["RESULTCACHING_DISABLE"] = "1"
    from brainscore_vision.model_helpers.activations.pytorch import PytorchWrapper, load_preprocess_images

    import torch

    torch.set_num_threads(args.threads)
    paths = sorted(str(path) for path in (args.folder / "images").glob("*.png"))
    preprocessing = functools.partial(load_preprocess_images, image_size=args.image_size)
    wrapper = PytorchWrapper(model=seeded_network(args.network), preprocessing=preprocessing,
                             identifier=f"bench-{args.network}", batch_size=args.batch_size)
    layers = list(LAYERS[args.network].values())
    assembly, times = timed(lambda: wrapper.from_paths(stimuli_paths=paths, layers=layers))
    order = list(assembly["stimulus_path"].values)
    rows = [order.index(paths[row]) for row in parity_rows(len(paths), args.batch_size)]
    sample = {area: assembly.isel(presentation=rows).sel(neuroid=assembly["layer"].values == layer).values
              for area, layer in LAYERS[args.network].items()}
    np.savez(args.folder / "brainscore_sample.npz", **sample)
    return {**times, "peak_gb": peak_gb(), "shape": list(assembly.shape), "threads": torch.get_num_threads()}


def run_chronoscore(args: argparse.Namespace) -> dict:
    """chronoscore's extract on the same image files; saves a sample of its output."""
    import torch

    from chronoscore.analyses.extraction import extract
    from chronoscore.models import wrap_model
    from chronoscore.stimuli import read_image_folder

    torch.set_num_threads(args.threads)
    model = wrap_model(seeded_network(args.network), LAYERS[args.network])
    stimuli = read_image_folder(args.folder / "images")
    activations, times = timed(lambda: extract(model, stimuli, image_size=args.image_size,
                                               batch_size=args.batch_size, cache=False, model_name=args.network))
    rows = activations.isel(presentation=parity_rows(len(stimuli), args.batch_size), time_step=0)
    sample = {area: rows.sel(neuroid=rows["layer"].values == area).values for area in LAYERS[args.network]}
    np.savez(args.folder / "chronoscore_sample.npz", **sample)
    return {**times, "peak_gb": peak_gb(), "shape": list(activations.shape), "threads": torch.get_num_threads()}


def run_forward(args: argparse.Namespace) -> dict:
    """chronoscore's model run alone: the same network and settings as ``extract``, no images read, nothing kept.

    One batch of random input in memory goes through the prepared model (eval
    mode, channels-last, batch norms folded) as many times as the image files
    need; the recorded outputs are discarded. A convolution's cost does not
    depend on its input's values, so this is the part of an extraction that no
    image reading or result storing can save: Brain-Score's CPU time over this
    one bounds the speed-up any pipeline around the same arithmetic could reach.
    """
    import torch

    from chronoscore.analyses.extraction._activity_batches import evaluation_mode
    from chronoscore.analyses.extraction._verified_rewrites import (CHECK_IMAGES, fastest_rewrites, prepared_model,
                                                                    rewritten)
    from chronoscore.models import wrap_model

    torch.set_num_threads(args.threads)
    model = wrap_model(seeded_network(args.network), LAYERS[args.network])
    areas = list(LAYERS[args.network])
    batch = torch.randn(args.batch_size, 3, args.image_size, args.image_size,
                        generator=torch.Generator().manual_seed(0)).contiguous(memory_format=torch.channels_last)
    sizes = [min(args.batch_size, args.images - start) for start in range(0, args.images, args.batch_size)]

    def run() -> None:
        for size in sizes:
            model.forward_timesteps(batch[:size], None, areas)

    cpu = torch.device("cpu")
    with contextlib.ExitStack() as stack:  # the rewrites set up without the check, to tell the check's own cost
        stack.enter_context(evaluation_mode(model, cpu))
        _, setup = timed(lambda: stack.enter_context(rewritten(model, fastest_rewrites(model, cpu))))
    with contextlib.ExitStack() as stack, torch.no_grad():
        _, checked = timed(lambda: stack.enter_context(prepared_model(model, cpu, batch[:CHECK_IMAGES], areas, None)))
        _, times = timed(run)
    return {**times, "check_cpu_seconds": checked["cpu_seconds"] - setup["cpu_seconds"], "peak_gb": peak_gb(),
            "threads": torch.get_num_threads()}


def run_convrnn(args: argparse.Namespace) -> dict:
    """convrnn_intermediate_rgc over ``--run-images`` image files with a random projection, through the cache.

    With ``--reference`` the extraction uses the frozen whole-matrix projection.
    """
    import torch

    import chronoscore.analyses.extraction._extract as extraction
    from chronoscore.models import create_model
    from chronoscore.stimuli import read_image_folder

    if args.reference:
        sys.path.insert(0, str(Path(__file__).parent))
        from frozen.random_projection_v1 import RandomProjection as WholeMatrixProjection

        extraction.RandomProjection = WholeMatrixProjection
    stimuli = read_image_folder(args.folder / f"convrnn_{args.run_images}")
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = create_model("convrnn_intermediate_rgc", input_size=args.convrnn_size, width=args.convrnn_width)
    kind = "reference" if args.reference else "blocked"
    activations, times = timed(lambda: extraction.extract(
        model, stimuli, areas=args.convrnn_areas, projection=("random", args.convrnn_features),
        batch_size=args.convrnn_batch_size, cache=args.folder / f"cache_{kind}_{args.run_images}",
        device=args.device, progress=False, model_name="convrnn_intermediate_rgc"))
    device_peak = torch.cuda.max_memory_allocated() / 1e9 if args.device.startswith("cuda") else None
    return {**times, "images": args.run_images, "projection": kind, "peak_gb": peak_gb(),
            "rss_after_gb": resident_gb(), "device_peak_gb": device_peak, "shape": list(activations.shape),
            "result_gb": activations.nbytes / 1e9}


def resident_gb() -> float:
    """Resident set size of this process now, in GB (Linux's ``VmRSS``)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024 / 1e9
    raise RuntimeError("no VmRSS in /proc/self/status")


def convrnn_runs(args: argparse.Namespace, argv: list[str], folder: Path) -> list[dict]:
    """The reference run, then chronoscore's runs from the smallest count up; each printed as it ends."""
    counts = sorted(set(args.convrnn_images))
    reference = counts[0] if args.reference_images is None else args.reference_images
    plan = ([(reference, True)] if reference else []) + [(count, False) for count in counts]
    runs = []
    for count, is_reference in plan:
        if not (folder / f"convrnn_{count}").is_dir():
            write_images(folder / f"convrnn_{count}", count, args.convrnn_size, seed=1)
        extra = ["--run-images", str(count)] + (["--reference"] if is_reference else [])
        runs.append(run_part("convrnn", argv + extra, folder))
        print(json.dumps(runs[-1]), flush=True)
    return runs


def convrnn_report(args: argparse.Namespace, runs: list[dict]) -> dict:
    """Print the ConvRNN table, the peak's growth per image and its extrapolation; return the key figures."""
    ours = sorted((run for run in runs if run["projection"] == "blocked"), key=lambda run: run["images"])
    reference = [run for run in runs if run["projection"] == "reference"]
    areas = "all ten areas" if args.convrnn_areas is None else ", ".join(args.convrnn_areas)
    print(f"convrnn_intermediate_rgc (width {args.convrnn_width:g}, {areas}), {args.convrnn_size} px, batches of "
          f"{args.convrnn_batch_size or 'the default size'}, 17 steps, random projection to {args.convrnn_features} per area, float32, "
          f"cached, {args.threads} threads, {args.device}")
    print(f"{'projection':<34}{'images':>8}{'wall s':>9}{'CPU s':>9}{'images/s':>10}{'peak GB':>9}{'result GB':>11}")
    labels = {"blocked": "chronoscore (row blocks)", "reference": "reference (whole matrices held)"}
    for run in reference + ours:
        device_peak = "" if run["device_peak_gb"] is None else f"   {args.device} peak {run['device_peak_gb']:.2f} GB"
        print(f"{labels[run['projection']]:<34}{run['images']:>8}{run['seconds']:>9.0f}{run['cpu_seconds']:>9.0f}"
              f"{run['images'] / run['seconds']:>10.4f}{run['peak_gb']:>9.2f}{run['result_gb']:>11.3f}{device_peak}")
    first, last = ours[0], ours[-1]
    if len(ours) > 1:
        rate = (last["images"] - first["images"]) / (last["seconds"] - first["seconds"])
        counts = np.array([run["images"] for run in ours], dtype=float)
        growth = float(np.polyfit(counts, [run["peak_gb"] for run in ours], 1)[0])
    else:
        rate, growth = last["images"] / last["seconds"], float("nan")
    result_per_image = last["result_gb"] / last["images"]
    more = max(0, args.extrapolate_to - last["images"])
    # while the model runs (the peak of the measured counts), growing as measured; then the result read back
    # from the cache entry once the model's memory is freed: what the process holds after, with the larger result
    while_running = last["peak_gb"] + max(growth if growth == growth else result_per_image, 0.0) * more
    reading_back = last["rss_after_gb"] - last["result_gb"] + result_per_image * max(args.extrapolate_to,
                                                                                     last["images"])
    extrapolated = max(while_running, reading_back)
    summary = {"images_per_s": round(rate, 5), "peak_rss_gb": round(last["peak_gb"], 3),
               "peak_rss_images": last["images"], "peak_growth_mb_per_image": round(growth * 1e3, 3),
               "result_mb_per_image": round(result_per_image * 1e3, 3),
               "extrapolated_peak_rss_gb": round(extrapolated, 3), "extrapolated_to": args.extrapolate_to,
               "extrapolated_while_running_gb": round(while_running, 3),
               "extrapolated_reading_back_gb": round(reading_back, 3),
               "convrnn_size": args.convrnn_size, "convrnn_batch_size": args.convrnn_batch_size,
               "convrnn_areas": args.convrnn_areas or "all", "device": args.device}
    print(f"chronoscore: {rate:.4f} images/s between {first['images']} and {last['images']} images; peak grows "
          f"{growth * 1e3:.2f} MB per image (least squares; the result array alone: {result_per_image * 1e3:.2f} MB); "
          f"at {args.extrapolate_to} images: {while_running:.2f} GB while the model runs, "
          f"{reading_back:.2f} GB once the result is read back ({last['rss_after_gb']:.2f} GB held after "
          f"{last['images']} images, result {result_per_image * args.extrapolate_to:.2f} GB): peak about "
          f"{extrapolated:.2f} GB")
    if reference:
        same = [run for run in ours if run["images"] == reference[0]["images"]]
        mine = same[0] if same else first
        ratio = reference[0]["peak_gb"] / mine["peak_gb"]
        speed = (mine["images"] / mine["seconds"]) / (reference[0]["images"] / reference[0]["seconds"])
        print(f"peak memory: reference {reference[0]['peak_gb']:.2f} GB, chronoscore {mine['peak_gb']:.2f} GB "
              f"({mine['images']} images): {ratio:.2f}x less; speed chronoscore / reference {speed:.2f}")
        summary.update(reference_peak_rss_gb=round(reference[0]["peak_gb"], 3),
                       reference_images=reference[0]["images"], peak_ratio=round(ratio, 3),
                       speed_ratio=round(speed, 3))
    return summary


PARTS = {"brainscore": run_brainscore, "chronoscore": run_chronoscore, "forward": run_forward,
         "convrnn": run_convrnn}


def part_python(name: str, brainscore_python: Path) -> Path:
    """The Python that runs a part: Brain-Score's part in the environment that has Brain-Score."""
    if name != "brainscore" or find_spec("brainscore_vision") is not None:
        return Path(sys.executable)
    return require_brainscore_python(brainscore_python)


def run_part(name: str, argv: list[str], folder: Path) -> dict:
    """Run one part in a fresh Python process and return the JSON it prints last."""
    python = part_python(name, parse_args(argv).brainscore_python)
    command = [str(python), __file__, *argv, "--part", name, "--folder", str(folder)]
    finished = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True)
    return json.loads(finished.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> dict:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    if args.part is not None:
        result = PARTS[args.part](args)
        print(json.dumps(result))
        return result
    with tempfile.TemporaryDirectory(prefix="chronoscore-bench-extract-") as folder:
        folder = Path(folder)
        summary = {} if args.convrnn_only else side_by_side(args, argv, folder)
        runs = convrnn_runs(args, argv, folder) if any(args.convrnn_images) else []
    if runs:
        summary.update(convrnn_report(args, runs))
    print(json.dumps(summary))
    return summary


def side_by_side(args: argparse.Namespace, argv: list[str], folder: Path) -> dict:
    """Part 1: alternating runs of both extractors and of the forward pass alone; the printed table's figures."""
    write_images(folder / "images", args.images, args.image_size)
    runs = {"brainscore": [], "chronoscore": []}
    forward_runs = []
    for repeat in range(args.repeats):  # alternate, so that both see the same load on a shared machine
        for name in list(runs)[::1 if repeat % 2 == 0 else -1]:
            runs[name].append(run_part(name, argv, folder))
        forward_runs.append(run_part("forward", argv, folder))
    return report(args, runs, compare_samples(folder), forward_runs)


def compare_samples(folder: Path) -> dict[str, float]:
    """Per layer, the largest difference between the two outputs' sampled rows over that layer's largest value."""
    reference, ours = (np.load(folder / f"{name}_sample.npz") for name in ("brainscore", "chronoscore"))
    if sorted(reference.files) != sorted(ours.files):
        raise RuntimeError(f"the extractors recorded different layers: {reference.files} and {ours.files}")
    differences = {}
    for layer in reference.files:
        expected, values = reference[layer], ours[layer]
        if expected.shape != values.shape:
            raise RuntimeError(f"layer {layer}: Brain-Score gave {expected.shape}, chronoscore {values.shape}")
        differences[layer] = float(np.abs(expected - values).max() / np.abs(expected).max())
    return differences


def report(args: argparse.Namespace, runs: dict[str, list[dict]], differences: dict[str, float],
           forward_runs: list[dict]) -> dict:
    """Print the side-by-side table and the bound set by the model run alone; return the key figures."""
    median = {name: {key: statistics.median(run[key] for run in results) for key in
                     ("seconds", "cpu_seconds", "user_seconds", "system_seconds", "peak_gb")}
              for name, results in runs.items()}
    fastest = {name: min(run["seconds"] for run in results) for name, results in runs.items()}
    threads = {run["threads"] for results in runs.values() for run in results}
    print(f"{args.network}, {args.images} images of {args.image_size} px, layers {list(LAYERS[args.network])}, "
          f"batch {args.batch_size}, float32, {os.cpu_count()} CPUs, torch threads {sorted(threads)}, "
          f"{args.repeats} alternating run(s) each (medians)")
    print(f"{'extractor':<28}{'wall s':>9}{'fastest':>9}{'CPU s':>9}{'user':>9}{'system':>9}{'peak GB':>9}"
          "   runs in order (wall s / CPU s)")
    labels = {"brainscore": "Brain-Score PytorchWrapper", "chronoscore": "chronoscore extract"}
    for name, values in median.items():
        print(f"{labels[name]:<28}{values['seconds']:>9.1f}{fastest[name]:>9.1f}{values['cpu_seconds']:>9.1f}"
              f"{values['user_seconds']:>9.1f}{values['system_seconds']:>9.1f}{values['peak_gb']:>9.2f}   "
              + ", ".join(f"{run['seconds']:.1f}/{run['cpu_seconds']:.1f}" for run in runs[name]))
    speedup = median["brainscore"]["cpu_seconds"] / median["chronoscore"]["cpu_seconds"]
    wall_speedup = fastest["brainscore"] / fastest["chronoscore"]
    wall_median_speedup = median["brainscore"]["seconds"] / median["chronoscore"]["seconds"]
    forward_cpu = statistics.median(run["cpu_seconds"] for run in forward_runs)
    check_cpu = statistics.median(run["check_cpu_seconds"] for run in forward_runs)
    speedup_bound = median["brainscore"]["cpu_seconds"] / forward_cpu
    parity_ok = all(difference <= PARITY_TOLERANCE for difference in differences.values())
    print(f"speedup {speedup:.2f}x by CPU time (medians); wall clock {wall_speedup:.2f}x (fastest runs), "
          f"{wall_median_speedup:.2f}x (medians); peak memory ratio "
          f"{median['brainscore']['peak_gb'] / median['chronoscore']['peak_gb']:.2f}x")
    forward_list = ", ".join(f"{run['cpu_seconds']:.1f}" for run in forward_runs)
    print(f"chronoscore's model run alone (input in memory, outputs discarded): {forward_cpu:.1f} CPU s "
          f"(runs: {forward_list}); "
          f"Brain-Score's extraction / that = {speedup_bound:.2f}x, the most any pipeline around the same "
          "arithmetic could reach")
    print(f"the speed tricks' check before each extraction (plain and rewritten network on the first images, "
          f"compared; included in chronoscore's times): {check_cpu:.2f} CPU s, "
          f"{check_cpu / median['chronoscore']['cpu_seconds']:.1%} of an extraction")
    print(f"parity over {len(parity_rows(args.images, args.batch_size))} images, every feature: largest difference "
          "per layer / its largest value: " + ", ".join(f"{layer} {value:.1e}" for layer, value in differences.items())
          + f" ({'within' if parity_ok else 'OVER'} {PARITY_TOLERANCE:g})")
    return {"speedup": round(speedup, 3), "wall_speedup": round(wall_speedup, 3),
            "wall_median_speedup": round(wall_median_speedup, 3), "threads": sorted(threads),
            "brainscore_cpu_s": round(median["brainscore"]["cpu_seconds"], 2),
            "chronoscore_cpu_s": round(median["chronoscore"]["cpu_seconds"], 2),
            "forward_only_cpu_s": round(forward_cpu, 2), "speedup_bound": round(speedup_bound, 3),
            "check_cpu_s": round(check_cpu, 3),
            "brainscore_s": round(median["brainscore"]["seconds"], 2),
            "chronoscore_s": round(median["chronoscore"]["seconds"], 2),
            "brainscore_peak_gb": round(median["brainscore"]["peak_gb"], 3),
            "chronoscore_peak_gb": round(median["chronoscore"]["peak_gb"], 3),
            "max_relative_difference": max(differences.values()), "parity_ok": parity_ok}


if __name__ == "__main__":
    main()
