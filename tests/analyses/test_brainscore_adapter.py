"""``BrainScoreAdapter``: Brain-Score's own metric scores the adapted model as chronoscore does; bin alignment; errors."""

import warnings

import numpy as np
import pandas as pd
import pytest
import torch

from chronoscore.analyses.extraction import extract
from chronoscore.errors import ConfigError
from chronoscore.models import create_model
from chronoscore.neural_fit import FitSettings, TimeMapping, average_repetitions, neural_predictivity, to_brainscore
from chronoscore.neural_fit.synthetic import simulate_ventral_stream
from chronoscore.stimuli import generate, load_batch, to_brainscore_stimulus_set
from tests.analyses.extraction.test_extract_support import one_cpu_thread, tiny_convrnn  # noqa: F401

pytestmark = pytest.mark.brainscore


def make_adapter(*args, **kwargs):
    """A ``BrainScoreAdapter``, imported on use: this module is collected, then deselected, without Brain-Score."""
    from chronoscore.analyses.brainscore_adapter import BrainScoreAdapter

    return BrainScoreAdapter(*args, **kwargs)


STRATIFY = "category_name"  # 8 categories: 80 images leave 8 test stimuli per split, one per category
AREAS = {"V4": "V4_conv3", "IT": "IT_conv5"}
MULTI_BINS = [(120, 130), (140, 160), (170, 190)]  # late enough for activity to reach the tiny ConvRNN's IT


@pytest.fixture(scope="module")
def stimuli():
    return generate("objects", n=80, size=32, split="test", seed=0)


@pytest.fixture(scope="module")
def brainscore_stimuli(stimuli, tmp_path_factory):
    return to_brainscore_stimulus_set(stimuli, image_folder=tmp_path_factory.mktemp("bs_stimuli"))


@pytest.fixture(scope="module")
def recordings(stimuli):
    """Trial-averaged simulated V4/IT, one response window and three short bins."""
    return {bins: average_repetitions(simulate_ventral_stream(stimuli.pixels, stimuli.table, bins=list(bins), seed=0))
            for bins in [((70, 170),), tuple(MULTI_BINS)]}


def feedforward():
    torch.manual_seed(0)
    return create_model("ff_shallow", input_size=32, width=0.05, n_classes=8).eval()


def brainscore_score(adapter, region, neural, brainscore_stimuli):
    """What Brain-Score's NeuralBenchmark does with a candidate, then its ``pls`` metric, per time bin."""
    from brainscore_vision import load_metric
    from brainscore_vision.benchmark_helpers.neural_common import timebins_from_assembly
    from brainscore_vision.benchmark_helpers.screen import place_on_screen

    target = to_brainscore(neural)
    adapter.start_recording(region, time_bins=timebins_from_assembly(target))
    placed = place_on_screen(brainscore_stimuli, target_visual_degrees=adapter.visual_degrees(),
                             source_visual_degrees=8.0)
    source = adapter.look_at(placed, number_of_trials=1)
    metric = load_metric("pls", crossvalidation_kwargs={"stratification_coord": STRATIFY})
    return [metric(source.isel(time_bin=index), target.isel(time_bin=index))
            for index in range(source.sizes["time_bin"])], source


@pytest.mark.parametrize("region", ["V4", "IT"])
def test_brainscore_pls_on_adapted_feedforward_model_equals_chronoscore_score(region, stimuli, brainscore_stimuli,
                                                                            recordings):
    neural = recordings[((70, 170),)]
    neural = neural.isel(neuroid=neural["region"].values == region)
    model = feedforward()
    adapter = make_adapter(model, identifier="ff_tiny", region_areas=AREAS, extract_options={"cache": False,
                                                                                           "progress": False})
    (expected,), source = brainscore_score(adapter, region, neural, brainscore_stimuli)

    features = extract(model, stimuli, [AREAS[region]], cache=False, progress=False)
    ours = neural_predictivity(features, neural, FitSettings(stratify=STRATIFY), progress=False)

    assert source.sizes["time_bin"] == 1  # a single requested bin gives one bin, squeezed by static benchmarks
    np.testing.assert_allclose(source.values[:, :, 0], features.values[:, :, 0], rtol=1e-5, atol=1e-6)
    assert 0.05 < float(expected) < 1  # the features do predict the simulated sites
    assert abs(float(ours["score"].sel(region=region).item()) - float(expected)) <= 1e-5
    assert abs(float(ours["error"].sel(region=region).item()) - float(expected.attrs["error"])) <= 1e-5


def test_brainscore_pls_per_bin_on_adapted_convrnn_equals_chronoscore_per_bin(stimuli, brainscore_stimuli,
                                                                             recordings):
    neural = recordings[tuple(MULTI_BINS)]
    neural = neural.isel(neuroid=neural["region"].values == "IT")
    model, mapping = tiny_convrnn(n_steps=12).eval(), TimeMapping("latency", latency_ms=70, step_ms=10)
    adapter = make_adapter(model, identifier="rgc_tiny", region_areas={"IT": "IT_conv5"}, time_mapping=mapping,
                          extract_options={"cache": False, "progress": False})
    expected, source = brainscore_score(adapter, "IT", neural, brainscore_stimuli)

    features = extract(model, stimuli, ["IT_conv5"], cache=False, progress=False)
    ours = neural_predictivity(features, neural, FitSettings(stratify=STRATIFY, mapping=mapping), progress=False)

    assert source["time_step"].values.tolist() == [5, 8, 11]  # bin centres 125, 150, 180 ms; 70 ms latency
    np.testing.assert_allclose(ours["score"].sel(region="IT").values, [float(score) for score in expected],
                               atol=1e-5, rtol=0)


def by_hand_steps(model, stimuli, area, n_steps):
    """The area's activity (N, F, T) from forward_timesteps on the preprocessed images."""
    images = load_batch(stimuli, range(len(stimuli)), 32, 8.0)
    with torch.no_grad():
        activity = model.eval().forward_timesteps(images, n_steps, [area])[area]
    return activity.reshape(activity.shape[0], activity.shape[1], -1).permute(1, 2, 0).numpy()


@pytest.mark.parametrize("mapping, bins, steps", [
    # latency 50 ms, the model's 20 ms per step: centres 60 -> 0, 125 -> 3, 400 -> 17, clipped to the last step 5
    (TimeMapping("latency", latency_ms=50), [(50, 70), (120, 130), (350, 450)], [0, 3, 5]),
    (TimeMapping("table", table=(4, 2)), [(0, 100), (100, 200)], [4, 2]),
    (TimeMapping("single"), [(70, 170), (170, 270)], [0, 0]),
])
def test_convrnn_bins_hold_the_steps_the_time_mapping_gives(mapping, bins, steps, stimuli, brainscore_stimuli):
    model = tiny_convrnn(n_steps=6, seed=2, step_ms=20.0)
    adapter = make_adapter(model, identifier="rgc_tiny", region_areas={"V4": "V4_conv3"}, time_mapping=mapping,
                          extract_options={"cache": False, "progress": False})
    adapter.start_recording("V4", bins)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        recorded = adapter.look_at(first(brainscore_stimuli, 6))

    expected = by_hand_steps(model, stimuli, "V4_conv3", 6)[:6]
    clipped = [str(warning.message) for warning in caught if "outside" in str(warning.message)]
    assert len(clipped) == (mapping.kind == "latency")
    assert all(message.startswith("1 of 3 time bins fall outside the model's 6 steps") for message in clipped)
    assert recorded.dims == ("presentation", "neuroid", "time_bin")
    np.testing.assert_allclose(recorded.values, expected[:, :, steps], rtol=1e-5, atol=1e-6)
    assert recorded["time_step"].values.tolist() == steps
    assert recorded["time_bin_start"].values.tolist() == [start for start, _ in bins]
    assert recorded["time_bin_end"].values.tolist() == [end for _, end in bins]
    if mapping.kind == "latency":
        assert recorded.attrs["time_mapping"] == "latency 50 ms, 20 ms per step"


def test_a_mapping_step_that_contradicts_the_models_is_refused_before_recording():
    model = tiny_convrnn(n_steps=4, step_ms=25.0)
    with pytest.raises(ConfigError, match=r"step_ms is 10 ms but the features' time_ms advance 25 ms per step"):
        make_adapter(model, identifier="rgc_tiny", region_areas={"V4": "V4_conv3"},
                    time_mapping=TimeMapping("latency", latency_ms=70, step_ms=10))


def test_assembly_is_indexed_as_brainscore_expects(stimuli, brainscore_stimuli):
    from brainscore_core.supported_data_standards.brainio.assemblies import NeuroidAssembly

    adapter = make_adapter(feedforward(), identifier="ff_tiny", region_areas=AREAS,
                          extract_options={"cache": False, "progress": False})
    adapter.start_recording("IT", [np.array((70, 170), dtype=object)])  # as Brain-Score passes a single bin
    recorded = adapter.look_at(first(brainscore_stimuli, 4))

    assert type(recorded) is NeuroidAssembly
    assert recorded.shape == (4, 26, 1)
    for dim in ("presentation", "neuroid", "time_bin"):
        assert isinstance(recorded.indexes[dim], pd.MultiIndex)
    assert recorded["stimulus_id"].values.tolist() == stimuli.table["stimulus_id"][:4].tolist()
    assert recorded["category_name"].values.tolist() == stimuli.table["category_name"][:4].tolist()
    assert set(recorded["region"].values) == {"IT"} and set(recorded["layer"].values) == {"IT_conv5"}
    assert recorded["neuroid_id"].values[[0, -1]].tolist() == ["IT_conv5.0", "IT_conv5.25"]
    assert (recorded["time_bin_start"].values.tolist(), recorded["time_bin_end"].values.tolist()) == ([70], [170])
    assert recorded.attrs["model"] == "ff_tiny"
    assert adapter.identifier == "ff_tiny" and adapter.visual_degrees() == 8.0


def test_image_paths_are_accepted_and_become_stimulus_ids(brainscore_stimuli):
    paths = [str(brainscore_stimuli.stimulus_paths[stimulus]) for stimulus in brainscore_stimuli["stimulus_id"][:3]]
    adapter = make_adapter(feedforward(), identifier="ff_tiny", region_areas=AREAS,
                          extract_options={"cache": False, "progress": False})
    adapter.start_recording("V4", [(70, 170)])
    assert adapter.look_at(paths)["stimulus_id"].values.tolist() == paths


def test_passive_task_records_nothing_and_other_tasks_are_refused(brainscore_stimuli):
    from brainscore_vision.model_interface import BrainModel

    adapter = make_adapter(feedforward(), identifier="ff_tiny", region_areas=AREAS)
    assert isinstance(adapter, BrainModel) and type(adapter).__name__ == "BrainScoreAdapter"
    with pytest.raises(ConfigError, match="start_recording"):
        adapter.look_at(brainscore_stimuli)
    adapter.start_recording("IT", [(70, 170)])
    adapter.start_task(BrainModel.Task.passive)
    assert adapter.look_at(brainscore_stimuli) is None
    with pytest.raises(NotImplementedError, match="passive"):
        adapter.start_task(BrainModel.Task.label, "imagenet")


def test_user_errors_say_what_is_wrong():
    model = feedforward()
    adapter = make_adapter(model, identifier="ff_tiny", region_areas=AREAS)
    with pytest.raises(ConfigError, match="region 'V1'.*IT"):
        adapter.start_recording("V1", [(70, 170)])
    for bins in ([], [(170, 70)], [(70,)], [("a", "b")]):
        with pytest.raises(ConfigError, match="time_bins"):
            adapter.start_recording("IT", bins)
    with pytest.raises(ConfigError, match="lacks"):
        make_adapter(model, identifier="ff_tiny", region_areas={"IT": "fc9"})
    with pytest.raises(ConfigError, match="empty"):
        make_adapter(model, identifier="ff_tiny", region_areas={})
    with pytest.raises(ConfigError, match="best"):
        make_adapter(model, identifier="ff_tiny", region_areas=AREAS, time_mapping=TimeMapping("best"))
    with pytest.raises(ConfigError, match="number_of_trials"):
        adapter.start_recording("IT", [(70, 170)])
        adapter.look_at(["x.png"], number_of_trials=0)


def first(brainscore_stimuli, n):
    """The first ``n`` rows of a Brain-Score StimulusSet, with its image paths and a name."""
    subset = brainscore_stimuli.iloc[:n]
    subset.stimulus_paths, subset.identifier = brainscore_stimuli.stimulus_paths, "adapter.subset"
    return subset
