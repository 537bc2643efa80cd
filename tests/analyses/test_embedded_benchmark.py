"""The embedded benchmark: built from the objects generator, cached, readable by Brain-Score."""

import json

import numpy as np
import pytest

from chronoscore.analyses.embedded_benchmark import embedded_benchmark_dir, load_embedded_benchmark
from chronoscore.cli import main
from chronoscore.neural_fit.synthetic import VentralStreamParameters


@pytest.fixture(scope="module")
def tiny_benchmark(tmp_path_factory):
    folder = tmp_path_factory.mktemp("synth")
    assert main(["data", "synth", "--out", str(folder), "--n", "48", "--size", "32", "--seed", "2"]) == 0
    return folder


def test_synth_writes_an_assembly_and_its_stimulus_set(tiny_benchmark):
    assembly, stimuli = load_embedded_benchmark(tiny_benchmark)
    parameters = VentralStreamParameters()
    assert len(stimuli) == 48
    assert assembly.shape == (48 * parameters.n_repetitions, parameters.n_v4 + parameters.n_it, 19)
    assert set(assembly["stimulus_id"].values) == set(stimuli.stimulus_ids)
    assert set(assembly["region"].values) == {"V4", "IT"}
    description = json.loads((tiny_benchmark / "benchmark.json").read_text())
    assert description["stimulus_hash"] == stimuli.content_hash() and description["seed"] == 2


@pytest.mark.brainscore
def test_brainscore_reads_the_assembly(tiny_benchmark):
    from brainscore_core.supported_data_standards.brainio.assemblies import NeuronRecordingAssembly

    ours, _ = load_embedded_benchmark(tiny_benchmark)
    theirs = NeuronRecordingAssembly.from_files(tiny_benchmark / "assembly.nc").load()
    assert theirs.sizes == {"presentation": ours.sizes["presentation"], "neuroid": ours.sizes["neuroid"],
                            "time_bin": 19}
    np.testing.assert_array_equal(np.sort(theirs.values.ravel()), np.sort(ours.values.ravel()))


def test_the_ceilings_are_saved_with_the_data_and_added_to_an_older_folder(tiny_benchmark, tmp_path):
    import shutil

    from chronoscore.analyses.run_folder import read_ceilings
    from chronoscore.neural_fit.scoring import noise_ceiling

    assembly, _ = load_embedded_benchmark(tiny_benchmark)
    saved = read_ceilings(tiny_benchmark / "assembly.nc")
    np.testing.assert_allclose(saved["ceiling"].values, noise_ceiling(assembly)["ceiling"].values)
    older = tmp_path / "older"
    shutil.copytree(tiny_benchmark, older)
    (older / "ceilings.nc").unlink()                                        # as built before ceilings were saved
    load_embedded_benchmark(older)
    np.testing.assert_array_equal(read_ceilings(older / "assembly.nc")["ceiling"].values, saved["ceiling"].values)


def test_cache_folder_follows_chronoscore_home(monkeypatch, tmp_path):
    monkeypatch.setenv("CHRONOSCORE_HOME", str(tmp_path))
    assert embedded_benchmark_dir().is_relative_to(tmp_path)


@pytest.fixture(scope="module")
def one_image_per_object_and_level(tmp_path_factory):
    """192 test images: each of the 64 objects once at each variation level."""
    from chronoscore.analyses.embedded_benchmark import build_embedded_benchmark
    from chronoscore.neural_fit.assembly import average_repetitions

    folder = build_embedded_benchmark(tmp_path_factory.mktemp("synth192"), n_images=192, image_size=32, seed=5)
    return average_repetitions(load_embedded_benchmark(folder)[0])


def test_on_generated_objects_it_category_information_arrives_late_for_hard_images(one_image_per_object_and_level):
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score

    averaged = one_image_per_object_and_level
    it = averaged.values[:, averaged["region"].values == "IT"]
    starts = list(averaged["time_bin_start"].values)

    def accuracy(start, variation):
        rows = averaged["variation"].values == variation
        features = it[rows, :, starts.index(start)]
        features = (features - features.mean(0)) / (features.std(0) + 1e-9)
        return cross_val_score(LogisticRegression(max_iter=2000), features,
                               averaged["category_name"].values[rows], cv=4).mean()

    assert accuracy(130, 0) > accuracy(130, 6) + 0.3     # easy images are decodable early, hard ones are not
    assert accuracy(220, 6) > accuracy(130, 6) + 0.3     # the late component carries identity for hard images
