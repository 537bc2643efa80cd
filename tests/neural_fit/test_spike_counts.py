"""Counting spikes in windows block by block, against a count written out spike by spike."""

import numpy as np
import pytest

from chronoscore.neural_fit.spike_counts import count_spikes, presentation_windows, unit_bounds


def _by_hand(spikes_per_unit, align_s, bins_ms):
    counts = np.zeros((len(align_s), len(spikes_per_unit), len(bins_ms)), dtype=int)
    for p, aligned in enumerate(align_s):
        for u, spikes in enumerate(spikes_per_unit):
            for b, (start, end) in enumerate(bins_ms):
                counts[p, u, b] = sum(1 for t in spikes if aligned + start / 1000 <= t < aligned + end / 1000)
    return counts


@pytest.mark.parametrize("seed, n_units, block_size, shuffled", [
    (0, 3, 5, False), (1, 4, 1, True), (2, 1, 1000, True), (3, 5, 17, True),
])
def test_counts_equal_a_spike_by_spike_count(seed, n_units, block_size, shuffled):
    random = np.random.default_rng(seed)
    align = np.sort(random.uniform(0.0, 4.0, 7))
    bins = [(-20.0, 0.0), (0.0, 10.0), (10.0, 40.0), (60.0, 65.0)]
    spikes = []
    for _ in range(n_units):
        times = np.concatenate([random.uniform(-0.5, 4.5, random.integers(0, 80)),
                                align[random.integers(0, 7, 4)] + 0.01])  # exactly on a bin edge
        spikes.append(random.permutation(times) if shuffled else np.sort(times))
    flat = np.concatenate(spikes) if spikes else np.zeros(0)
    first, stop = unit_bounds(np.cumsum([len(times) for times in spikes]))
    counts, totals = count_spikes(flat, first, stop, presentation_windows(align, bins), block_size=block_size)
    np.testing.assert_array_equal(counts, _by_hand(spikes, align, bins))
    np.testing.assert_array_equal(totals, [len(times) for times in spikes])


def test_a_unit_without_spikes_counts_zero():
    first, stop = unit_bounds([2, 2, 3])
    counts, totals = count_spikes(np.array([0.5, 0.7, 0.55]), first, stop,
                                  presentation_windows(np.array([0.5]), [(0.0, 300.0)]))
    assert counts[0, :, 0].tolist() == [2, 0, 1] and totals.tolist() == [2, 0, 1]
