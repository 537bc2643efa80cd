"""Models scored on real macaque V4 recordings (Cowley et al. 2023, session 210325), when present.

The recordings live beside the repository (``../shared/realdata/cowley_v4``) and
are never copied into it; the tests skip when they are absent.
"""

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch
import xarray as xr

from chronoscore.analyses.datasets.cowley2023_v4 import COWLEY_SETTINGS, cowley_v4_benchmark
from chronoscore.analyses.extraction import extract
from chronoscore.analyses.score import score_model
from chronoscore.models import create_model
from chronoscore.models.training.shipped import load_shipped_weights
from chronoscore.neural_fit import neural_predictivity
from chronoscore.neural_fit.assembly import average_repetitions
from chronoscore.neural_fit.time_mapping import TimeMapping

FOLDER = Path(__file__).resolve().parents[2] / ".." / "shared" / "realdata" / "cowley_v4"
pytestmark = [pytest.mark.realdata,
              pytest.mark.skipif(not (FOLDER / "responses_raw_210325.npy").is_file(),
                                 reason="real recordings not found at ../shared/realdata/cowley_v4")]
PROJECTION = ("random", 512)
SETTINGS = dataclasses.replace(COWLEY_SETTINGS, n_splits=5)


N_IMAGES = 320  # the first half of the session keeps the test fast on a shared 2-core machine


def tiny_resnet18():
    torch.manual_seed(0)
    return create_model("resnet18", input_size=32)


MODELS = {  # name: (constructor, area scored as V4, steps to run)
    "convrnn_shallow_rgc": (lambda: load_shipped_weights("convrnn_shallow_rgc"), "V4_conv3", 8),
    "ff_shallow": (lambda: load_shipped_weights("ff_shallow"), "V4_conv3", None),
    "resnet18 (untrained, 32 px)": (tiny_resnet18, "layer2", None),
}


@pytest.fixture(scope="module")
def benchmark():
    return cowley_v4_benchmark(FOLDER, n_images=N_IMAGES)


@pytest.fixture(scope="module")
def scored(benchmark, tmp_path_factory):
    """Per model: its per_bin Scores (last time step for the single 100 ms bin), V4 activations, settings.

    ``extract`` runs first (into a temporary cache) for the activations' shape; ``score_model`` reads them back.
    """
    results, threads = {}, torch.get_num_threads()
    torch.set_num_threads(1)  # the machine's cores are shared; one thread is faster under load
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("CHRONOSCORE_HOME", str(tmp_path_factory.mktemp("cache")))
            for name, (build, area, n_steps) in MODELS.items():
                model = build()
                activations = extract(model, benchmark.stimulus_set, areas=[area], n_steps=n_steps,
                                      projection=PROJECTION, progress=False)
                last_step = activations.sizes["time_step"] - 1
                settings = dataclasses.replace(SETTINGS, mapping=TimeMapping("table", table=(last_step,)))
                result = score_model(model, benchmark, model_name=name, areas={"V4": area}, settings=settings,
                                     time_modes=("per_bin",), projection=PROJECTION, n_steps=n_steps,
                                     progress=False)
                results[name] = (result.scores["per_bin"], activations, settings)
    finally:
        torch.set_num_threads(threads)
    return results


def test_benchmark_pairs_the_zip_images_with_the_raw_repeats(benchmark):
    stimuli = benchmark.stimulus_set
    assert stimuli.pixels.shape == (N_IMAGES, 112, 112, 3)
    assert stimuli.stimulus_ids[0] == "image0001" and stimuli.stimulus_ids[-1] == f"image{N_IMAGES:04d}"
    # The repeat average of the raw assembly is the published average (an independent file).
    averaged = average_repetitions(benchmark.assembly)
    assert averaged.dims[1:] == ("neuroid", "time_bin") and averaged.shape == (N_IMAGES, 50, 1)
    published = np.load(FOLDER / "responses_avg_210325.npy")[:, :N_IMAGES]  # (neurons, images)
    order = [list(averaged["stimulus_id"].values).index(f"image{index + 1:04d}") for index in range(N_IMAGES)]
    np.testing.assert_allclose(averaged.values[order, :, 0].T, published, atol=1e-10)


def test_trained_and_untrained_models_beat_random_features(benchmark, scored):
    lines = []
    for name, (scores, activations, settings) in scored.items():
        per_neuroid = scores["r"].mean("split").values[:, 0]
        assert np.isfinite(per_neuroid).all() and np.isfinite(scores["score"].values).all()
        ceiling = float(scores["ceiling"].values.item())
        assert 0.3 < ceiling < 1.0
        score = float(scores["score"].values.item())
        assert float(scores["ceiled_score"].values.item()) == pytest.approx(score ** 2 / ceiling, rel=1e-9)

        # Control: Gaussian features of the same shape and coordinates, fitted the same way.
        noise = np.random.default_rng(0).standard_normal(activations.shape).astype(np.float32)
        control = neural_predictivity({"V4": xr.DataArray(noise, dims=activations.dims, coords=activations.coords)},
                                      benchmark.assembly, settings, progress=False)
        control_median = float(np.median(control["r"].mean("split").values))
        median = float(np.median(per_neuroid))
        assert abs(control_median) < 0.1
        assert median > control_median + 0.15
        lines.append(f"{name}: median r {median:.3f} (random features {control_median:.3f}), score {score:.3f}, "
                     f"ceiling {ceiling:.3f}, ceiled {float(scores['ceiled_score'].values.item()):.3f}")
    print(f"\nCowley V4 ({N_IMAGES} images, 50 neurons, PLS-25, 5 splits):\n" + "\n".join(lines))
