"""The sorted order of float64 values: the bucket path, its runs, the bit-key path, and ties."""

import numpy as np
import pytest

from chronoscore.neural_fit import value_order
from chronoscore.neural_fit.value_order import sort_order, sorted_order


@pytest.fixture
def bit_key_sorts(monkeypatch):
    """How many times the bit keys were sorted."""
    calls = []
    original = value_order._bit_key_order
    monkeypatch.setattr(value_order, "_bit_key_order", lambda values: calls.append(1) or original(values))
    return calls


def check_order(values: np.ndarray) -> None:
    order, tied = sorted_order(values)
    assert sorted(order.tolist()) == list(range(values.size))
    np.testing.assert_array_equal(values[order], np.sort(values))
    assert tied == (np.unique(values).size < values.size)   # np.unique counts 0.0 and -0.0 as one


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("size", [1, 2, 57, 5000])
def test_values_over_every_magnitude_sort_like_numpy(seed, size):
    rng = np.random.default_rng(seed)
    values = rng.standard_normal(size) * 10.0 ** rng.integers(-300, 300, size)
    values[rng.random(size) < 0.1] = 0.0
    values[rng.random(size) < 0.1] = -0.0
    values[rng.random(size) < 0.1] = values[-1]  # ties
    values[rng.random(size) < 0.05] = 5e-324 * rng.choice([-1, 1])  # subnormal
    check_order(values)
    np.testing.assert_array_equal(values[sort_order(values)], np.sort(values))


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("size", [3, 1000, 200_000])
def test_dissimilarities_take_the_bucket_path_and_sort_like_numpy(seed, size, bit_key_sorts):
    rng = np.random.default_rng(seed)
    values = 1.0 + 0.05 * rng.standard_normal(size)
    check_order(values)
    assert bit_key_sorts == []


@pytest.mark.parametrize("seed", range(3))
def test_values_sharing_buckets_are_put_in_order_within_their_runs(seed, bit_key_sorts):
    rng = np.random.default_rng(seed)
    size = 50_000
    values = rng.random(size)                  # buckets 2^-31 wide: few of these share one
    close = rng.choice(size, 2000, replace=False)
    values[close] = 0.5 + rng.standard_normal(close.size) * 1e-12   # a run of many values in one or two buckets
    values[close[:10]] = values[close[10]]      # ties inside a run
    values[close[11]], values[close[12]] = 0.0, -0.0
    check_order(values)
    assert bit_key_sorts == []


def test_runs_of_neighbouring_buckets_each_come_in_order():
    scale = 2**31 - 1
    values = np.array([0.0, 1.6, 0.9, 2.7, 1.2, float(scale)]) / scale   # buckets 0, 1, 0, 2, 1 and the last
    check_order(values)


@pytest.mark.parametrize("values", [np.zeros(10), np.array([0.0, -0.0, 0.0]), np.array([-1e308, 1e308, 0.0, 1.0]),
                                    np.r_[np.linspace(0, 1, 1000), 1e300]])
def test_ranges_without_useful_buckets_sort_by_their_bits(values, bit_key_sorts):
    check_order(values)
    assert bit_key_sorts == [1]
