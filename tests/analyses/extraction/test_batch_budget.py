"""The default batch size: bounded by the recorded activity one batch may hold; the result equal up to rounding."""

import numpy as np
import pytest

from chronoscore.analyses.extraction import _extract
from chronoscore.analyses.extraction import extract
from chronoscore.analyses.extraction._extract import ACTIVITY_BUDGET_BYTES, MAX_BATCH_SIZE, budget_batch_size
from tests.analyses.extraction.test_extract_support import one_cpu_thread, stimulus_set, tiny_convrnn  # noqa: F401

# tiny_convrnn: areas of 256 + 128 + 64 + 16 + 32 = 496 features per step, float32, 6 steps
BYTES_PER_IMAGE = 496 * 4 * 6


def test_the_budget_bounds_the_batch_between_one_and_the_maximum():
    assert budget_batch_size(1) == MAX_BATCH_SIZE == 64
    assert budget_batch_size(ACTIVITY_BUDGET_BYTES // 5) == 5
    assert budget_batch_size(ACTIVITY_BUDGET_BYTES // 5 + 1) == 4
    assert budget_batch_size(ACTIVITY_BUDGET_BYTES * 3) == 1
    # the release-size convrnn_intermediate_rgc at 224 px: 1,312,768 features per step, 17 steps, float32
    assert budget_batch_size(1_312_768 * 17 * 4) == 6


def test_the_default_batch_follows_the_measured_activity_and_gives_the_same_result(monkeypatch):
    stimuli = stimulus_set(n=7)
    model = tiny_convrnn()
    explicit = extract(model, stimuli, batch_size=64, cache=False, progress=False)
    monkeypatch.setattr(_extract, "ACTIVITY_BUDGET_BYTES", 2 * BYTES_PER_IMAGE)
    sizes = []
    forward = model.forward_timesteps

    def counting(images, *arguments, **options):
        sizes.append(images.shape[0])
        return forward(images, *arguments, **options)

    monkeypatch.setattr(model, "forward_timesteps", counting)
    budgeted = extract(model, stimuli, cache=False, progress=False)
    assert sizes[-4:] == [2, 2, 2, 1]  # after the speed tricks' check on the first images
    # equal up to float32 rounding: a convolution may sum in another order for another batch size
    np.testing.assert_allclose(budgeted.values, explicit.values, rtol=0, atol=1e-6)


@pytest.mark.parametrize("batch_size", [0, -3])
def test_a_given_batch_size_must_be_positive(batch_size):
    with pytest.raises(Exception, match="batch_size"):
        extract(tiny_convrnn(), stimulus_set(n=2), batch_size=batch_size, cache=False, progress=False)
