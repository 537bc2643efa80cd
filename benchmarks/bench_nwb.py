"""Converting a ~2 GB NWB file into an assembly: chronoscore's streaming reader against loading every spike.

The file is generated with pynwb in a temporary folder (deleted afterwards): one
session of ``--units`` units firing 20–80 spikes/s (Poisson, sorted spike times
per unit) for as long as it takes to fill ``--size-gb`` of float64 spike times,
a units table with a ``brain_area`` column, a subject, and ``intervals/trials``
with a ``stimulus_id`` column: ``--presentations`` presentations (100 ms on,
100 ms off) of 100 stimuli, in ten blocks spread over the session. The spike
times are written through an hdmf ``GenericDataChunkIterator``, so generating
does not hold them either.

Two ways of binning every unit's spikes in ``--bins`` around each onset, each in
a fresh subprocess:

``chronoscore``
    :func:`chronoscore.neural_fit.read_nwb_assembly` (``statistic="count"``):
    reads each unit's slice of ``spike_times`` from the file in blocks;
``to_dataframe``
    the usual pynwb recipe: ``nwbfile.units.to_dataframe()`` (every spike time
    in memory, as one array per unit) and ``nwbfile.trials.to_dataframe()``,
    then the same counting (:func:`~chronoscore.neural_fit.spike_counts.count_spikes`
    on each unit's array), without building an assembly: the two differ only
    in how the spikes are read.

Memory is each subprocess's peak resident set (``ru_maxrss``) and its growth
over the value after imports. The two count arrays must be equal. The
reference is skipped, saying so, when the machine's available memory is below
three times the file's size. Prints a table and the ratios; ends with one JSON
line of the key figures.

Run: ``python benchmarks/bench_nwb.py [--size-gb 2 --units 500 --presentations 1000 --bins 0:300:10
--dir /tmp]``
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

STIMULI = 100
BLOCKS = 10
ON_S, OFF_S = 0.1, 0.1
METHODS = ("chronoscore", "to_dataframe")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-gb", type=float, default=2.0, help="size of the spike times (GB, 1e9 bytes)")
    parser.add_argument("--units", type=int, default=500, help="number of units")
    parser.add_argument("--presentations", type=int, default=1000, help="number of presentations (of 100 stimuli)")
    parser.add_argument("--bins", default="0:300:10", help="START:STOP:WIDTH in ms")
    parser.add_argument("--dir", type=Path, help="where the temporary folder goes (default: the system's)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--measure", choices=METHODS, help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--counts", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def bins_ms(text: str) -> list[tuple[float, float]]:
    from chronoscore.cli.data import parse_bins

    return parse_bins(text)


def peak_mb() -> float:
    """This process's peak resident set so far (MB; ru_maxrss is in kB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def spikes_per_unit(args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray, float]:
    """Each unit's rate (Hz) and spike count, and the session's length (s), filling ``--size-gb``."""
    rates = np.random.default_rng(args.seed).uniform(20.0, 80.0, args.units)
    duration = args.size_gb * 1e9 / 8 / rates.sum()
    return rates, np.round(rates * duration).astype(np.int64), float(duration)


def unit_spikes(seed: int, unit: int, rate: float, count: int) -> np.ndarray:
    """Sorted Poisson spike times (s) of one unit, the same on every call."""
    return np.cumsum(np.random.default_rng([seed, unit]).exponential(1.0 / rate, count))


def write_recording(args: argparse.Namespace, path: Path) -> None:
    """Write the benchmark's NWB file (see the module docstring)."""
    from hdmf.common import ElementIdentifiers, VectorData, VectorIndex
    from hdmf.data_utils import GenericDataChunkIterator
    from pynwb import NWBHDF5IO, NWBFile
    from pynwb.file import Subject
    from pynwb.misc import Units

    rates, counts, duration = spikes_per_unit(args)
    ends = np.cumsum(counts)

    class SpikeTimes(GenericDataChunkIterator):
        """Every unit's spike times, unit after unit, generated for each requested slice."""

        def __init__(self, **kwargs):
            self._cached = (-1, None)
            super().__init__(**kwargs)

        def _unit(self, unit: int) -> np.ndarray:
            if self._cached[0] != unit:
                self._cached = (unit, unit_spikes(args.seed, unit, rates[unit], counts[unit]))
            return self._cached[1]

        def _get_data(self, selection: tuple[slice]) -> np.ndarray:
            start, stop = selection[0].start, selection[0].stop
            pieces = []
            for unit in range(int(np.searchsorted(ends, start, side="right")), len(ends)):
                first = ends[unit] - counts[unit]
                if first >= stop:
                    break
                pieces.append(self._unit(unit)[max(start - first, 0):stop - first])
            return np.concatenate(pieces)

        def _get_maxshape(self) -> tuple[int]:
            return (int(ends[-1]),)

        def _get_dtype(self) -> np.dtype:
            return np.dtype("float64")

        def __len__(self) -> int:
            return int(ends[-1])

    spike_times = VectorData(name="spike_times", description="spike times (s)",
                             data=SpikeTimes(buffer_gb=0.25, chunk_mb=8.0, display_progress=False))
    index = VectorIndex(name="spike_times_index", data=ends, target=spike_times)
    areas = VectorData(name="brain_area", description="area", data=["IT" if u % 2 else "V4" for u in range(args.units)])
    nwbfile = NWBFile(session_description="benchmark", identifier="bench-nwb",
                      session_start_time=datetime(2024, 1, 1, tzinfo=timezone.utc), session_id="bench",
                      subject=Subject(subject_id="monkeyA", species="Macaca mulatta"))
    nwbfile.units = Units(name="units", id=ElementIdentifiers(name="id", data=np.arange(args.units)),
                          columns=[index, spike_times, areas], description="sorted units")
    nwbfile.add_trial_column("stimulus_id", "the image shown")
    random = np.random.default_rng(args.seed + 1)
    per_block = args.presentations // BLOCKS
    for block in range(BLOCKS):
        block_start = (block + 0.5) * duration / BLOCKS
        for position in range(per_block):
            onset = block_start + position * (ON_S + OFF_S)
            stimulus = int(random.integers(STIMULI)) if position >= STIMULI else (position + block) % STIMULI
            nwbfile.add_trial(start_time=onset, stop_time=onset + ON_S, stimulus_id=f"image_{stimulus:03d}")
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwbfile)


def measure(args: argparse.Namespace) -> dict:
    """Bin the file with one method in this process; save the counts; return time and memory."""
    from chronoscore.neural_fit.nwb_assembly import read_nwb_assembly
    from chronoscore.neural_fit.spike_counts import count_spikes, presentation_windows
    from pynwb import NWBHDF5IO

    bins = np.asarray(bins_ms(args.bins))
    baseline = peak_mb()
    started = time.perf_counter()
    if args.measure == "chronoscore":
        counts = read_nwb_assembly(args.file, bins=bins, statistic="count").values
    else:
        with NWBHDF5IO(str(args.file), "r") as io:
            nwbfile = io.read()
            trials = nwbfile.trials.to_dataframe().sort_values("start_time", kind="stable")
            units = nwbfile.units.to_dataframe()
        windows = presentation_windows(trials["start_time"].to_numpy(), bins)
        counts = np.zeros((len(trials), len(units), len(bins)))
        for unit, spikes in enumerate(units["spike_times"]):
            counts[:, unit] = count_spikes(spikes, [0], [len(spikes)], windows)[0][:, 0]
    seconds = time.perf_counter() - started
    peak = peak_mb()
    np.save(args.counts, counts)
    return {"seconds": seconds, "peak_mb": peak, "growth_mb": peak - baseline, "output_mb": counts.nbytes / 2**20}


def run_measure(args: argparse.Namespace, method: str, path: Path, counts: Path) -> dict:
    command = [sys.executable, __file__, "--measure", method, "--file", str(path), "--counts", str(counts),
               "--bins", args.bins]
    finished = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True)
    return json.loads(finished.stdout.strip().splitlines()[-1])


def available_mb() -> float:
    """MemAvailable from /proc/meminfo (MB), or infinity where it cannot be read."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("inf")


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args)))
        return
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="bench_nwb_") as folder:
        path = Path(folder) / "recording.nwb"
        started = time.perf_counter()
        write_recording(args, path)
        written_s = time.perf_counter() - started
        size_mb = path.stat().st_size / 2**20
        print(f"generated {path.name}: {size_mb:.0f} MB ({args.units} units, {args.presentations} presentations) "
              f"in {written_s:.1f} s")
        results = {}
        for method in METHODS:
            if method == "to_dataframe" and available_mb() < 3 * size_mb:
                print(f"skipped {method}: {available_mb():.0f} MB available, under 3 x the file's {size_mb:.0f} MB")
                continue
            results[method] = run_measure(args, method, path, Path(folder) / f"{method}.npy")
        same = None
        if len(results) == 2:
            same = bool(np.array_equal(np.load(Path(folder) / "chronoscore.npy"),
                                       np.load(Path(folder) / "to_dataframe.npy")))
    report(args, size_mb, results, same)


def report(args: argparse.Namespace, size_mb: float, results: dict[str, dict], same: bool | None) -> None:
    print(f"\n{'method':<14}{'time (s)':>10}{'peak RSS (MB)':>15}{'growth (MB)':>13}{'counts (MB)':>13}")
    for method, result in results.items():
        print(f"{method:<14}{result['seconds']:>10.1f}{result['peak_mb']:>15.0f}{result['growth_mb']:>13.0f}"
              f"{result['output_mb']:>13.0f}")
    ours = results["chronoscore"]
    summary = {"file_mb": round(size_mb, 1), "units": args.units, "presentations": args.presentations,
               "bins": args.bins, "chronoscore_s": round(ours["seconds"], 2),
               "chronoscore_peak_mb": round(ours["peak_mb"], 1), "chronoscore_growth_mb": round(ours["growth_mb"], 1)}
    if "to_dataframe" in results:
        naive = results["to_dataframe"]
        growth_ratio = naive["growth_mb"] / ours["growth_mb"]
        time_ratio = naive["seconds"] / ours["seconds"]
        print(f"\nmemory growth: to_dataframe / chronoscore = {growth_ratio:.1f}x; "
              f"time: to_dataframe / chronoscore = {time_ratio:.2f}x; counts equal: {same}")
        summary.update({"to_dataframe_s": round(naive["seconds"], 2), "to_dataframe_peak_mb": round(naive["peak_mb"], 1),
                        "to_dataframe_growth_mb": round(naive["growth_mb"], 1),
                        "growth_ratio": round(growth_ratio, 2), "time_ratio": round(time_ratio, 2),
                        "counts_equal": same})
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
