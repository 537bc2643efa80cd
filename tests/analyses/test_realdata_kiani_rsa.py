"""RSA: RDMs, Kendall's tau-a, and model areas compared with the 92-image monkey IT RDM (when present).

The RDM comes from Kriegeskorte et al. (2008) via rsatoolbox's demo data, beside
the repository in ``../shared/realdata/kiani_it_92``; those tests skip when it is absent.
"""

import itertools
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy.stats import kendalltau, spearmanr

from chronoscore.analyses.datasets.kiani2007_it import kiani_it_92
from chronoscore.analyses.extraction import extract
from chronoscore.analyses.rsa import compare_rdms, kendall_tau_a, rdm, rsa_over_time, upper_triangle
from chronoscore.errors import ConfigError, DataFormatError
from chronoscore.models import create_model
from chronoscore.models.training.shipped import load_shipped_weights

MAT_FILE = (Path(__file__).resolve().parents[2] / ".." / "shared" / "realdata" / "kiani_it_92"
            / "Kriegeskorte_Neuron2008_supplementalData.mat")
needs_data = pytest.mark.skipif(not MAT_FILE.is_file(), reason="real RDM not found at ../shared/realdata/kiani_it_92")


def tau_a_by_pairs(x, y):
    """Reference: every pair visited once."""
    pairs = list(itertools.combinations(range(len(x)), 2))
    return sum(np.sign(x[i] - x[j]) * np.sign(y[i] - y[j]) for i, j in pairs) / len(pairs)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("size", [2, 3, 17, 64])
def test_tau_a_equals_the_pairwise_definition_with_ties(seed, size):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 1 + seed, size).astype(float)  # seed 0: all tied
    y = rng.integers(0, 4, size) + 0.5 * (rng.random(size) < 0.3)
    assert kendall_tau_a(x, y) == pytest.approx(tau_a_by_pairs(x, y), abs=1e-12)


@pytest.mark.parametrize("size", [5, 200, 4186])
def test_tau_a_equals_tau_b_without_ties(size):
    rng = np.random.default_rng(size)
    x = rng.standard_normal(size)
    y = 0.5 * x + rng.standard_normal(size)
    assert kendall_tau_a(x, y) == pytest.approx(kendalltau(x, y).statistic, abs=1e-12)
    assert kendall_tau_a(x, x) == pytest.approx(1.0) and kendall_tau_a(x, -x) == pytest.approx(-1.0)


def test_rdm_is_one_minus_the_correlation_of_stimulus_patterns():
    features = np.random.default_rng(0).standard_normal((7, 30))
    expected = 1 - np.corrcoef(features)
    np.testing.assert_allclose(rdm(features), expected, atol=1e-12)
    assert np.all(np.diag(rdm(features)) == 0)
    features[3] = 2.0  # a constant pattern has no correlation
    assert np.isnan(rdm(features)[3]).all() and np.isfinite(rdm(features)[0, 1])


def test_compare_rdms_uses_the_upper_triangle():
    rng = np.random.default_rng(1)
    a, b = rdm(rng.standard_normal((12, 8))), rdm(rng.standard_normal((12, 8)))
    rows, columns = np.triu_indices(12, 1)
    assert compare_rdms(a, b) == pytest.approx(spearmanr(a[rows, columns], b[rows, columns]).statistic)
    assert compare_rdms(a, a) == pytest.approx(1.0) and compare_rdms(a, a, "kendall_tau_a") == pytest.approx(1.0)
    with pytest.raises(ConfigError, match="spearman"):
        compare_rdms(a, b, "pearson")
    with pytest.raises(DataFormatError, match="different stimuli"):
        compare_rdms(a, b[:5, :5])
    a[0, 3] = np.nan
    with pytest.raises(DataFormatError, match="NaN"):
        compare_rdms(a, b)


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

