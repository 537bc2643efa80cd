"""The data set registry: names, the list the command line prints, errors, and each local data set's loader."""

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from chronoscore.cli import main
from chronoscore.analyses.datasets import DataRequest, dataset, get_dataset, list_datasets, load_benchmark, load_dataset
from chronoscore.analyses.datasets import _registry
from chronoscore.errors import ConfigError, FileFormatError
from chronoscore.neural_fit import read_scores

REALDATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "realdata"
BUILT_IN = {"simulated", "majajhong2015", "cowley2023_v4", "kiani2007_it", "folder", "nwb"}
TINY_SCORING = ["--image-size", "32", "--time", "per_bin", "--set", "metric_options.n_components=2", "--set", "n_splits=2",
                "--set", "train_size=0.75", "--no-cache", "--quiet"]


def write_cowley_layout(folder: Path, n_images: int = 16, n_neurons: int = 3, slots: int = 4, seed: int = 0):
    """A folder shaped like the Cowley session: a zip of PNGs and NaN-padded (neurons, images, slots) counts."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    pixels = rng.integers(0, 256, (n_images, 12, 12, 3), dtype=np.uint8)
    with zipfile.ZipFile(folder / "images_210325.zip", "w") as archive:
        for index in range(n_images):
            buffer = io.BytesIO()
            Image.fromarray(pixels[index]).save(buffer, format="PNG")
            archive.writestr(f"images/image{index + 1:04d}.png", buffer.getvalue())
    signal = pixels.reshape(n_images, -1).mean(axis=1)[None, :, None] / 16.0
    counts = rng.poisson(signal + rng.uniform(1, 3, (n_neurons, 1, 1)), (n_neurons, n_images, slots)).astype(float)
    counts[:, ::3, -1] = np.nan  # every third image had one repeat fewer
    np.save(folder / "responses_raw_210325.npy", counts)
    return pixels, counts


def test_the_built_in_data_sets_are_registered_with_what_they_hold():
    entries = {entry.name: entry for entry in list_datasets()}
    assert BUILT_IN <= set(entries)
    assert all(entry.description and entry.contents for entry in entries.values())
    assert entries["cowley2023_v4"].regions == ("V4",) and "--data-folder" in entries["cowley2023_v4"].needs
    assert entries["kiani2007_it"].holds == "rdm" and entries["simulated"].needs == ""
    assert get_dataset("MajajHong2015.temporal.public") is entries["majajhong2015"]


def test_the_simulated_contents_are_those_the_builder_makes_by_default():
    import inspect

    from chronoscore.analyses.embedded_benchmark import build_embedded_benchmark
    from chronoscore.neural_fit import time_bins
    from chronoscore.neural_fit.synthetic import VentralStreamParameters

    parameters, bins = VentralStreamParameters(), time_bins()
    n_images = inspect.signature(build_embedded_benchmark).parameters["n_images"].default
    expected = (f"{n_images} images x {parameters.n_v4 + parameters.n_it} neuroids ({parameters.n_v4} V4, "
                f"{parameters.n_it} IT) x {len(bins)} time bins ({bins[0][0]:.0f}-{bins[-1][1]:.0f} ms), "
                f"{parameters.n_repetitions} repetitions")
    assert get_dataset("simulated").contents == expected


def test_data_list_prints_each_data_set_with_its_regions_contents_and_needs(capsys):
    assert main(["data", "list"]) == 0
    printed = capsys.readouterr().out
    for name in BUILT_IN:
        assert f"\n{name}: " in "\n" + printed
    cowley = printed.split("cowley2023_v4: ", 1)[1].split("\n\n", 1)[0]
    assert "regions    V4" in cowley and "640 images x 50 neuroids x 1 time bin" in cowley
    assert "needs      --data-folder DIR holding images_210325.zip" in cowley
    assert "needs      nothing (offline)" in printed.split("simulated: ", 1)[1]


def test_an_unknown_name_lists_the_known_ones(tmp_path, capsys):
    with pytest.raises(ConfigError, match="no data set is named 'cowley'.*cowley2023_v4.*simulated"):
        load_benchmark("cowley")
    assert main(["score", "ff_shallow", "--benchmark", "cowley", "--out", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err
    assert error.startswith("chronoscore: error: no data set is named 'cowley'") and "kiani2007_it" in error


def test_a_missing_folder_is_named(tmp_path):
    with pytest.raises(ConfigError, match="'cowley2023_v4' reads a local folder; give it with --data-folder"):
        load_benchmark("cowley2023_v4")
    with pytest.raises(FileFormatError, match="absent: no such folder"):
        load_benchmark("cowley2023_v4", folder=tmp_path / "absent")
    with pytest.raises(FileFormatError, match="no such folder"):
        load_benchmark(tmp_path / "absent")                                # a path, not a name


def test_a_folder_given_to_a_data_set_that_reads_none_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="'simulated' reads no folder"):
        load_benchmark("simulated", folder=tmp_path)


def test_a_benchmark_holds_an_assembly_or_an_rdm():
    from chronoscore.analyses.benchmark_data import Benchmark
    from chronoscore.errors import DataFormatError

    with pytest.raises(DataFormatError, match="neither an assembly nor an RDM"):
        Benchmark("empty", None, None)


def test_a_data_set_holding_an_rdm_loads_as_a_benchmark_and_names_its_missing_file(tmp_path):
    """Scoring it (rsa per model step; other metrics refused) is tested in test_rdm_scoring.py."""
    with pytest.raises(FileFormatError, match="Kriegeskorte_Neuron2008_supplementalData.mat"):
        load_benchmark("kiani2007_it", folder=tmp_path)


def test_a_registered_data_set_is_loaded_by_name(monkeypatch, tmp_path):
    monkeypatch.setattr(_registry, "_DATASETS", dict(_registry._DATASETS))
    asked = []

    @dataset("tiny_test_set", description="a test's", regions=("V4",), contents="nothing", aliases=("tiny",),
             needs="--data-folder DIR")
    def tiny(request: DataRequest):
        asked.append(request)
        return "loaded"

    assert load_benchmark("tiny", folder=tmp_path) == "loaded"
    assert asked == [DataRequest("tiny", tmp_path, "refuse")]
    assert "tiny_test_set" in [entry.name for entry in list_datasets()]
    with pytest.raises(ConfigError, match="registered already"):
        dataset("tiny_test_set", description="", regions=(), contents="")(tiny)


def test_a_folder_is_the_folder_data_set(tmp_path):
    with pytest.raises(ConfigError, match="give the folder once"):
        load_benchmark(tmp_path, folder=tmp_path / "other")
    with pytest.raises(FileFormatError, match="holds assembly.nc and one stimulus_<name>.csv"):
        load_benchmark(tmp_path)
    with pytest.raises(FileFormatError, match="holds assembly.nc and one stimulus_<name>.csv"):
        load_benchmark("folder", folder=tmp_path)


def test_the_cowley_layout_loads_as_repeats_of_its_images(tmp_path):
    pixels, counts = write_cowley_layout(tmp_path / "cowley")
    benchmark = load_dataset("cowley2023_v4", folder=tmp_path / "cowley")
    np.testing.assert_array_equal(benchmark.stimulus_set.pixels, pixels)
    assert benchmark.stimulus_set.stimulus_ids[[0, -1]].tolist() == ["image0001", "image0016"]
    assembly = benchmark.assembly
    assert assembly.shape == (16 * 4, 3, 1) and set(assembly["region"].values) == {"V4"}
    images = np.array([int(name[len("image"):]) - 1 for name in assembly["stimulus_id"].values])
    slots = assembly["repetition"].values
    assert sorted(zip(images, slots)) == [(image, slot) for image in range(16) for slot in range(4)]
    np.testing.assert_array_equal(assembly.values[:, :, 0], counts[:, images, slots].T)  # NaN where NaN
    assert benchmark.settings.stratify is None


def test_score_on_the_cowley_layout_end_to_end(tmp_path, capsys):
    write_cowley_layout(tmp_path / "cowley", n_images=24)
    code = main(["score", "ff_shallow", "--benchmark", "cowley2023_v4", "--data-folder", str(tmp_path / "cowley"),
                 "--out", str(tmp_path / "out"), "--model-arg", "width=0.05", *TINY_SCORING])
    assert code == 0, capsys.readouterr().err
    scores = read_scores(tmp_path / "out" / "scores_per_bin.nc")
    assert scores["score"].dims == ("region", "time_bin") and scores["region"].values.tolist() == ["V4"]
    assert scores.attrs["benchmark"] == "cowley_v4_210325"
    assert np.isfinite(scores["ceiling"].values).all()
    assert "# ff_shallow on cowley_v4_210325" in capsys.readouterr().out


def test_the_nwb_data_set_is_the_folder_data_nwb_writes(tmp_path):
    pytest.importorskip("pynwb")
    from tests.neural_fit.nwb_recordings import simulate_recording, write_nwb

    sessions = tmp_path / "sessions"
    sessions.mkdir()
    write_nwb(simulate_recording(["b", "a", "c"], repetitions=2, n_units=2, seed=8, session_id="day1"),
              sessions / "1.nwb", layout="index_series")
    write_nwb(simulate_recording(["a", "b"], repetitions=2, n_units=3, seed=9, session_id="day2"),
              sessions / "2.nwb", layout="index_series")
    benchmark = load_benchmark("nwb", folder=sessions)
    assert main(["data", "nwb", *map(str, sorted(sessions.glob("*.nwb"))),
                 "--out", str(tmp_path / "bench" / "assembly.nc")]) == 0
    converted = load_benchmark(tmp_path / "bench")
    assert benchmark.name == "sessions" and benchmark.assembly.shape == (4, 5, 30)  # 2 shared stimuli x 2 repeats
    np.testing.assert_array_equal(benchmark.assembly.values, converted.assembly.values)
    assert benchmark.stimulus_set.stimulus_ids.tolist() == converted.stimulus_set.stimulus_ids.tolist() == ["a", "b"]
    with pytest.raises(FileFormatError, match="holds no \\*.nwb file"):
        load_benchmark("nwb", folder=tmp_path / "bench")


@pytest.mark.realdata
@pytest.mark.skipif(not (REALDATA / "cowley_v4" / "responses_raw_210325.npy").is_file(),
                    reason="real recordings not found at ../shared/realdata/cowley_v4")
def test_score_on_the_real_cowley_session_end_to_end(tmp_path, capsys):
    code = main(["score", "ff_shallow", "--benchmark", "cowley2023_v4", "--data-folder", str(REALDATA / "cowley_v4"),
                 "--out", str(tmp_path / "out"), "--time", "per_bin", "--projection", "256", "--set", "n_splits=2",
                 "--image-size", "32",
                 "--no-cache", "--quiet"])
    assert code == 0, capsys.readouterr().err
    scores = read_scores(tmp_path / "out" / "scores_per_bin.nc")
    assert scores["r"].sizes["neuroid"] == 50 and scores.sizes["time_bin"] == 1
    assert 0.3 < float(scores["ceiling"].item()) < 1.0          # split-half reliability of the repeats
    assert 0.05 < float(scores["score"].item()) < 1.0           # trained V4 area predicts real V4 above zero


@pytest.mark.realdata
@pytest.mark.skipif(not (REALDATA / "kiani_it_92").is_dir(), reason="real RDM not found at ../shared/realdata")
def test_the_real_kiani_data_set_holds_the_92_image_rdm():
    benchmark = load_dataset("kiani2007_it", folder=REALDATA / "kiani_it_92")
    assert benchmark.assembly is None and benchmark.rdm.shape == (92, 92) and len(benchmark.stimulus_set) == 92
    np.testing.assert_allclose(benchmark.rdm, benchmark.rdm.T)
