"""RSA of model areas over time with the 92-image monkey IT RDM (when present).

The RDM comes from Kriegeskorte et al. (2008) via rsatoolbox's demo data, beside
the repository in ``../shared/realdata/kiani_it_92``; those tests skip when it is absent.
"""

from pathlib import Path

import numpy as np
import pytest
import torch
from scipy.stats import spearmanr

from chronoscore.analyses.datasets.kiani2007_it import kiani_it_92
from chronoscore.analyses.extraction import extract
from chronoscore.neural_fit.metrics.rsa import rsa_over_time
from chronoscore.neural_fit.rdm import compare_rdms, upper_triangle
from chronoscore.models import create_model
from chronoscore.models.training.shipped import load_shipped_weights

MAT_FILE = (Path(__file__).resolve().parents[2] / ".." / "shared" / "realdata" / "kiani_it_92"
            / "Kriegeskorte_Neuron2008_supplementalData.mat")
needs_data = pytest.mark.skipif(not MAT_FILE.is_file(), reason="real RDM not found at ../shared/realdata/kiani_it_92")


@pytest.fixture(scope="module")
def kiani():
    return kiani_it_92(MAT_FILE)


@pytest.fixture(scope="module")
def model_rsa(kiani):
    """Per model: activations on the 92 images and each area's RSA with the IT RDM, both methods."""
    stimuli, it_rdm = kiani
    torch.manual_seed(0)
    models = {"convrnn_shallow_rgc": load_shipped_weights("convrnn_shallow_rgc"),
              "ff_shallow": load_shipped_weights("ff_shallow"),
              "resnet18 (untrained, 32 px)": create_model("resnet18", input_size=32)}
    results, threads = {}, torch.get_num_threads()
    torch.set_num_threads(1)  # the machine's cores are shared; one thread is faster under load
    try:
        for name, model in models.items():
            activations = extract(model, stimuli, projection=("random", 1024), cache=False, progress=False,
                                  model_name=name)
            results[name] = (activations, {method: rsa_over_time(activations, it_rdm, method)
                                           for method in ("spearman", "kendall_tau_a")})
    finally:
        torch.set_num_threads(threads)
    return results


@pytest.mark.realdata
@needs_data
def test_the_92_images_and_the_monkey_it_rdm_load(kiani):
    stimuli, it_rdm = kiani
    assert stimuli.pixels.shape == (92, 175, 175, 3) and len(stimuli) == 92
    assert it_rdm.shape == (92, 92) and np.allclose(it_rdm, it_rdm.T) and np.all(np.diag(it_rdm) == 0)
    assert upper_triangle(it_rdm).size == 92 * 91 // 2 and np.isfinite(it_rdm).all()
    assert stimuli.table["face"].sum() > 0 and stimuli.table["animal"].sum() > 0


@pytest.mark.realdata
@needs_data
def test_model_areas_compared_with_it_over_time(kiani, model_rsa):
    _, it_rdm = kiani
    lines = []
    for name, (activations, rsa) in model_rsa.items():
        for method, values in rsa.items():
            assert values.dims == ("layer", "time_step")
            assert list(values["layer"].values) == list(dict.fromkeys(activations["layer"].values))
            finite = values.values[np.isfinite(values.values)]
            assert finite.size > 0 and np.all(np.abs(finite) <= 1)
            lines.append(f"{name} [{method}]: " + ", ".join(
                f"{layer} {np.nanmax(row):.3f}@step{int(np.nanargmax(row))}"
                for layer, row in zip(values["layer"].values, values.values)))
        # An independent recomputation of one area at its last step.
        layer = str(activations["layer"].values[-1])
        patterns = activations.isel(neuroid=activations["layer"].values == layer, time_step=-1).values
        rows, columns = np.triu_indices(92, 1)
        model_rdm = 1 - np.corrcoef(patterns.astype(np.float64))
        expected = spearmanr(model_rdm[rows, columns], it_rdm[rows, columns]).statistic
        assert rsa["spearman"].sel(layer=layer).values[-1] == pytest.approx(expected, abs=1e-9)
    print("\nRSA with the monkey IT RDM (92 images), best value per area and its step:\n" + "\n".join(lines))


@pytest.mark.realdata
@needs_data
def test_it_rdm_against_itself_and_against_shuffled_stimuli(kiani):
    _, it_rdm = kiani
    assert compare_rdms(it_rdm, it_rdm) == pytest.approx(1.0)
    assert compare_rdms(it_rdm, it_rdm, "kendall_tau_a") == pytest.approx(1.0)
    rng = np.random.default_rng(0)
    shuffled = []
    for _ in range(50):
        order = rng.permutation(92)
        shuffled.append(compare_rdms(it_rdm[np.ix_(order, order)], it_rdm, "kendall_tau_a"))
    assert abs(np.mean(shuffled)) < 0.02 and max(np.abs(shuffled)) < 0.2



@pytest.mark.realdata
@needs_data
def test_the_score_command_compares_each_area_per_model_step_with_the_it_rdm(kiani, tmp_path, capsys):
    """``chronoscore score --benchmark kiani2007_it --metric rsa`` over all 92 images equals rsa_over_time
    on the same model's activations (the registered ``ff_shallow``, randomly initialised with seed 0)."""
    from chronoscore.analyses.model_source import load_model
    from chronoscore.cli import main
    from chronoscore.neural_fit import read_scores

    stimuli, it_rdm = kiani
    out = tmp_path / "kiani"
    assert main(["score", "ff_shallow", "--benchmark", "kiani2007_it", "--data-folder", str(MAT_FILE.parent),
                 "--metric", "rsa", "--set", "metric_options.cross_validate=false", "--projection", "1024",
                 "--out", str(out), "--no-cache", "--quiet"]) == 0
    assert "each model step's RDM is compared with it" in capsys.readouterr().out
    scores = read_scores(out / "scores_per_step.nc")
    model, name = load_model("ff_shallow", seed=0)
    activations = extract(model, stimuli, projection=("random", 1024), cache=False, progress=False, model_name=name)
    expected = rsa_over_time(activations, it_rdm, "spearman")
    assert list(scores["area"].values) == list(expected["layer"].values)
    np.testing.assert_allclose(scores["score"].values, expected.values, atol=1e-9, equal_nan=True)
    best = np.nanmax(scores["score"].values, axis=1)
    print("\nchronoscore score ff_shallow (seed 0, untrained) --benchmark kiani2007_it --metric rsa, 92 images, "
          "Spearman: " + ", ".join(f"{area} {value:.3f}" for area, value in zip(scores["area"].values, best)))
