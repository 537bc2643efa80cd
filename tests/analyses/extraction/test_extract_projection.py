"""Projections during extraction: random (fixed, bounded) and PCA (scikit-learn's on the same activations)."""

import hashlib
import math

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA

from chronoscore.analyses.extraction import extract
from chronoscore.analyses.extraction._projection import fit_pca, random_projection_matrix
from chronoscore.errors import ConfigError, FitError
from tests.analyses.extraction.test_extract_support import (  # noqa: F401
    IMAGE_SIZE,
    by_hand,
    one_cpu_thread,
    stimulus_set,
    tiny_convrnn,
    tiny_wrapped,
)


def area_values(activations, area):
    return activations.sel(neuroid=activations["layer"] == area).values


def test_random_projection_bounds_each_area_and_keeps_small_areas_as_they_are():
    model, stimuli = tiny_convrnn(n_steps=4), stimulus_set(n=4)
    activations = extract(model, stimuli, projection=("random", 20), cache=False, progress=False)
    raw = by_hand(model, stimuli)
    counts = {area: int((activations["layer"] == area).sum()) for area in model.areas}
    assert counts == {area: min(20, values.shape[1]) for area, values in raw.items()}
    assert counts["pIT_conv4"] == 16
    np.testing.assert_allclose(area_values(activations, "pIT_conv4"), raw["pIT_conv4"], rtol=1e-5, atol=1e-7)
    assert "random" in activations.attrs["projection"]


def test_random_projection_is_the_flattened_activity_times_a_fixed_gaussian_matrix():
    model, stimuli = tiny_convrnn(n_steps=3), stimulus_set(n=3)
    first = extract(model, stimuli, projection=("random", 12), batch_size=2, cache=False, progress=False)
    again = extract(model, stimuli, projection=("random", 12), batch_size=2, cache=False, progress=False)
    other_batches = extract(model, stimuli, projection=("random", 12), batch_size=3, cache=False, progress=False)
    np.testing.assert_array_equal(again.values, first.values)
    np.testing.assert_allclose(other_batches.values, first.values, rtol=1e-5, atol=1e-6)
    for area, values in by_hand(model, stimuli).items():
        if values.shape[1] > 12:
            matrix = random_projection_matrix(area, values.shape[1], 12).numpy().astype(np.float64)
            expected = np.einsum("nft,fd->ndt", values.astype(np.float64), matrix)
            np.testing.assert_allclose(area_values(first, area), expected, rtol=1e-4, atol=1e-5)


def test_random_projection_matrix_is_seeded_by_area_and_sizes_with_variance_one_over_d():
    matrix = random_projection_matrix("V4", 4096, 64)
    seed_text = "chronoscore.random_projection|V4|4096|64"
    seed = int.from_bytes(hashlib.sha256(seed_text.encode()).digest()[:8], "little") % 2**63
    expected = torch.randn(4096, 64, generator=torch.Generator().manual_seed(seed)) / math.sqrt(64)
    torch.testing.assert_close(matrix, expected)
    assert matrix.shape == (4096, 64) and matrix.dtype == torch.float32
    assert abs(float(matrix.mean())) < 0.003
    assert float(matrix.var()) == pytest.approx(1 / 64, rel=0.01)
    assert not torch.equal(random_projection_matrix("IT", 4096, 64), matrix)
    assert not torch.equal(random_projection_matrix("V4", 4095, 64)[:10], matrix[:10])


@pytest.mark.parametrize("n_components, n_fit", [(5, 20), (3, 7), (9, 30)])
def test_pca_projection_equals_scikit_learns_pca_fitted_on_the_fit_sets_activations(n_components, n_fit):
    # stem: 1024 features > rows (Gram path), pool: 16 features <= rows (covariance path); T = 1 and 2
    model = tiny_wrapped(seed=n_fit)
    fit_set, stimuli = stimulus_set(n=n_fit, seed=1, identifier="fit"), stimulus_set(n=6, seed=2)
    activations = extract(model, stimuli, image_size=IMAGE_SIZE, projection=("pca", n_components, fit_set),
                          batch_size=4, cache=False, progress=False)
    fit_raw, raw = by_hand(model, fit_set), by_hand(model, stimuli)
    for area in ("stem", "block", "pool"):
        steps = int(activations.sel(neuroid=activations["layer"] == area)["layer_steps"][0])
        rows = fit_raw[area].transpose(0, 2, 1).reshape(-1, fit_raw[area].shape[1]).astype(np.float64)
        reference = PCA(n_components=n_components, svd_solver="full").fit(rows)
        flat = raw[area].transpose(0, 2, 1).reshape(-1, raw[area].shape[1]).astype(np.float64)
        expected = reference.transform(flat).reshape(6, steps, n_components).transpose(0, 2, 1)
        got = area_values(activations, area)[:, :, :steps]
        np.testing.assert_allclose(got, expected, rtol=1e-3, atol=1e-4 * np.abs(expected).max())
    assert "fit" in activations.attrs["projection"]


def test_pca_keeps_at_most_max_rows_samples_and_so_at_most_their_rank():
    model, fit_set = tiny_wrapped(), stimulus_set(n=12, seed=1)
    activations = extract(model, stimulus_set(n=3), image_size=IMAGE_SIZE, projection=("pca", 50, fit_set, 6),
                          cache=False, progress=False)
    assert int((activations["layer"] == "stem").sum()) == 5  # 6 centred rows have rank 5
    assert int((activations["layer"] == "pool").sum()) == 16  # 16 features <= 50: kept as they are


def test_principal_axes_are_orthonormal_with_the_largest_loading_positive():
    activity = torch.randn(2, 40, 30, generator=torch.Generator().manual_seed(0)) @ torch.randn(30, 30)
    projection = fit_pca([(np.arange(40), {"area": activity})], n_images=40, n_components=6)
    mean, components = projection.axes["area"]
    torch.testing.assert_close(components @ components.T, torch.eye(6, dtype=torch.float64))
    largest = components.gather(1, components.abs().argmax(dim=1, keepdim=True))
    assert (largest > 0).all()
    torch.testing.assert_close(mean, activity.reshape(-1, 30).double().mean(dim=0))


def test_a_constant_area_has_no_principal_component():
    constant = torch.ones(1, 8, 20)
    with pytest.raises(FitError, match="constant"):
        fit_pca([(np.arange(8), {"flat": constant})], n_images=8, n_components=3)


@pytest.mark.parametrize("projection", [("random",), ("random", 0), ("svd", 10), ("pca", 10), ("pca", 5, "set"),
                                        "random:10"])
def test_malformed_projections_are_config_errors(projection):
    with pytest.raises(ConfigError, match="projection|fit set|positive"):
        extract(tiny_wrapped(), stimulus_set(n=2), image_size=16, projection=projection, cache=False)
