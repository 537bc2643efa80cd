"""NWB recordings into a benchmark folder (``chronoscore data nwb``), scored and drawn as the README shows."""

import re
import shlex
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from chronoscore.analyses.datasets import load_benchmark
from chronoscore.analyses.nwb_benchmark import convert_nwb
from chronoscore.cli import main
from chronoscore.errors import DataFormatError, StimulusMismatchError
from chronoscore.neural_fit import time_bins
from chronoscore.stimuli.brainscore_format import read_image_folder, read_stimulus_set, write_stimulus_set
from chronoscore.stimuli.stimulus_set import StimulusSet
from tests.neural_fit.nwb_recordings import hand_counts, simulate_recording, template_pixels, write_nwb
from tests.stimuli.tiny_sets import random_pixels, save_images

pytest.importorskip("pynwb")

README = Path(__file__).resolve().parents[2] / "README.md"
STIMULI = [f"img_{index:02d}" for index in range(16)]
TINY_SCORING = {
    "score": ["--image-size", "32", "--model-arg", "width=0.05", "--time", "per_bin",
              "--set", "metric_options.n_components=4", "--set", "n_splits=2",
              "--set", "train_size=0.75", "--no-cache", "--quiet"],
}
"""Options the test adds to the README's commands so that they run in seconds."""


def _write_images(folder: Path, names: list[str]) -> Path:
    save_images(folder, random_pixels(len(names), 32, 32, seed=3), [f"{name}.png" for name in names])
    return folder


def _readme_block(language: str) -> str:
    """The README's NWB section's code block in ``language``."""
    section = README.read_text().split("## Recordings shared as NWB (DANDI)", 1)[1].split("\n## ", 1)[0]
    return re.search(rf"```{language}\n(.*?)```", section, re.S).group(1)


def _readme_commands() -> list[list[str]]:
    """The chronoscore commands of the README's NWB section, split into words."""
    return [shlex.split(line.split("#", 1)[0]) for line in _readme_block("bash").splitlines() if line.strip()]


def test_the_readme_path_from_nwb_files_to_a_time_course_figure(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    first = simulate_recording(STIMULI, repetitions=4, n_units=5, seed=1, session_id="ses-1")
    second = simulate_recording(STIMULI[:12] + ["img_99"], repetitions=3, n_units=4, seed=2, session_id="ses-2")
    write_nwb(first, tmp_path / "sub-A_ses-1.nwb")
    write_nwb(second, tmp_path / "sub-A_ses-2.nwb", layout="index_series")
    _write_images(tmp_path / "images", STIMULI + ["img_99"])
    commands = _readme_commands()
    assert [words[:2] for words in commands] == [["chronoscore", "data"], ["chronoscore", "score"],
                                                 ["chronoscore", "figures"]]
    for words in commands:
        assert main(words[1:] + TINY_SCORING.get(words[1], [])) == 0
    printed = capsys.readouterr().out
    assert "48 presentations of 12 stimuli x 9 neuroids (IT 5, V4 4) x 30 time bins" in printed
    assert "left out stimuli shown in only some sessions: ses-1 4, ses-2 1" in printed
    benchmark = load_benchmark(tmp_path / "nwb_benchmark")
    assert sorted(benchmark.stimulus_set.stimulus_ids) == STIMULI[:12]
    assert (tmp_path / "results/nwb/time_decay/scores_per_bin.nc").is_file()
    assert (tmp_path / "results/nwb/figures/predictivity_timecourse.png").is_file()
    assert (tmp_path / "results/nwb/figures/neural_overview.png").is_file()
    namespace = {}
    exec(_readme_block("python"), namespace)
    assert namespace["assembly"]["unit_id"].values.tolist() == [1, 2, 4]  # quality "good": units 1, 2 and 4


def test_the_written_folder_is_the_recording_with_the_stimulus_metadata(tmp_path):
    recording = simulate_recording(STIMULI[:6], repetitions=3, n_units=3, seed=4)
    path = write_nwb(recording, tmp_path / "s.nwb", layout="intervals")
    pixels = random_pixels(8, 16, 16, seed=5)
    table = {"stimulus_id": STIMULI[:8], "object_name": [f"object{index % 4}" for index in range(8)]}
    import pandas as pd

    stimulus_set = StimulusSet(pd.DataFrame(table), "tiny.nwb.set", 10.0, pixels=pixels)
    csv = write_stimulus_set(stimulus_set, tmp_path / "given").csv
    bins = time_bins(0, 200, 20)
    written = convert_nwb(path, read_stimulus_set(csv), tmp_path / "bench" / "assembly.nc", bins=bins,
                          statistic="count")
    benchmark = load_benchmark(tmp_path / "bench")
    assert sorted(benchmark.stimulus_set.stimulus_ids) == STIMULI[:6]
    assert benchmark.stimulus_set.degrees == 10.0
    assembly = benchmark.assembly
    expected = hand_counts(recording, bins)
    seen = {}
    for row, stimulus in enumerate(recording.stimulus_id):
        repetition = seen.get(stimulus, 0)
        seen[stimulus] = repetition + 1
        index = np.flatnonzero((assembly["stimulus_id"].values == stimulus)
                               & (assembly["repetition"].values == repetition))
        np.testing.assert_array_equal(assembly.values[index[0]], expected[row])
        assert assembly["object_name"].values[index[0]] == table["object_name"][STIMULI.index(stimulus)]
    assert written.assembly.attrs["presentations"] == {"session1": "intervals/presentations"}


def test_a_stimulus_missing_from_the_stimulus_set_is_refused(tmp_path, capsys):
    recording = simulate_recording(STIMULI[:4], repetitions=2, n_units=2, seed=6)
    path = write_nwb(recording, tmp_path / "s.nwb")
    images = _write_images(tmp_path / "images", STIMULI[:3])
    with pytest.raises(StimulusMismatchError, match=r"1 stimulus id\(s\).*'img_03'.*<stimulus_id>.<extension>"):
        convert_nwb(path, read_image_folder(images), tmp_path / "out" / "assembly.nc")
    code = main(["data", "nwb", str(path), "--stimuli", str(images), "--out", str(tmp_path / "out/assembly.nc")])
    assert code == 2 and "img_03" in capsys.readouterr().err
    assert not (tmp_path / "out" / "assembly.nc").exists()


@pytest.mark.parametrize("option, message", [
    (["--bins", "0:300"], "START:STOP:WIDTH"),
    (["--bins", "0:300:7"], "divides"),
    (["--units-filter", "quality"], "COLUMN=VALUE"),
])
def test_bad_options_are_refused(tmp_path, capsys, option, message):
    recording = simulate_recording(STIMULI[:2], repetitions=2, n_units=2, seed=7)
    path = write_nwb(recording, tmp_path / "s.nwb")
    images = _write_images(tmp_path / "images", STIMULI[:2])
    code = main(["data", "nwb", str(path), "--stimuli", str(images), "--out", str(tmp_path / "assembly.nc"), *option])
    assert code == 2 and message in capsys.readouterr().err


@pytest.mark.parametrize("mode", ["rgb", "grey", "rgba"])
def test_without_stimuli_the_images_of_the_files_index_series_are_the_stimulus_set(tmp_path, mode):
    first = simulate_recording(["b", "a", "c"], repetitions=2, n_units=2, seed=8, session_id="day1")
    second = simulate_recording(["a", "b"], repetitions=2, n_units=2, seed=9, session_id="day2")
    paths = [write_nwb(first, tmp_path / "1.nwb", layout="index_series", image_mode=mode),
             write_nwb(second, tmp_path / "2.nwb", layout="index_series", image_mode=mode)]
    assert main(["data", "nwb", *map(str, paths), "--out", str(tmp_path / "bench/assembly.nc"),
                 "--stimulus-degrees", "6"]) == 0
    stimulus_set = load_benchmark(tmp_path / "bench").stimulus_set
    assert stimulus_set.identifier == "natural_images" and stimulus_set.degrees == 6.0
    assert sorted(stimulus_set.stimulus_ids) == ["a", "b"]  # c was shown in one session only
    for index, stimulus in enumerate(stimulus_set.stimulus_ids):
        written = np.asarray(Image.open(stimulus_set.image_path(index)).convert("RGB"))
        pixels = template_pixels(["a", "b", "c"].index(stimulus), mode)  # day1's images, sorted ids
        expected = np.stack([pixels] * 3, axis=2) if mode == "grey" else pixels[:, :, :3]
        np.testing.assert_array_equal(written, expected)


def test_without_stimuli_a_table_of_presentations_is_refused(tmp_path, capsys):
    path = write_nwb(simulate_recording(STIMULI[:2], repetitions=2, n_units=2, seed=10), tmp_path / "s.nwb")
    assert main(["data", "nwb", str(path), "--out", str(tmp_path / "bench/assembly.nc")]) == 2
    error = capsys.readouterr().err
    assert "intervals/trials, which names the stimuli but holds no images" in error and "--stimuli" in error


def test_images_of_several_sizes_ask_for_an_image_folder(monkeypatch):
    from chronoscore.analyses import nwb_benchmark

    images = {"a": np.zeros((4, 5, 3), np.uint8), "b": np.zeros((6, 5, 3), np.uint8)}
    monkeypatch.setattr(nwb_benchmark, "read_nwb_images", lambda paths, presentations: ("set", images))
    with pytest.raises(DataFormatError, match=r"2 sizes.*--stimuli IMAGES_DIR"):
        nwb_benchmark.nwb_stimulus_set(["s.nwb"])
