"""The speed tricks' check compares recordings step by step with the whole recording's scale, as numpy does at once."""

import numpy as np
import pytest
import torch

from chronoscore.analyses.extraction._verified_rewrites import RELATIVE_TOLERANCE, _difference


def relative_error(plain: np.ndarray, other: np.ndarray) -> float:
    """max |plain - other| / max |plain| over the whole recording, NaN ignored (numpy, float64)."""
    return float(np.nanmax(np.abs(plain - other)) / np.nanmax(np.abs(plain)))


@pytest.mark.parametrize("seed, shape", [(0, (4, 3, 5, 2, 2)), (1, (6, 2, 7)), (2, (1, 1, 9))])
def test_agreement_and_disagreement_are_judged_on_the_whole_recordings_scale(seed, shape):
    rng = np.random.default_rng(seed)
    plain = rng.standard_normal(shape).astype(np.float32)
    plain[0].flat[0] = np.nan
    plain[-1].flat[-1] = 50.0  # the largest value, in the last step
    assert _difference(torch.from_numpy(plain), torch.from_numpy(plain.copy())) is None
    other = plain.copy()
    other[0].flat[1] += 50.0 * RELATIVE_TOLERANCE * 0.5  # within the tolerance of the last step's scale
    assert _difference(torch.from_numpy(plain), torch.from_numpy(other)) is None
    other[0].flat[1] += 50.0 * RELATIVE_TOLERANCE * 3
    message = _difference(torch.from_numpy(plain), torch.from_numpy(other))
    assert message == f"differs by {relative_error(plain.astype(np.float64), other.astype(np.float64)):.2g} of " \
                      "its largest value"


def test_nan_in_other_places_zero_steps_and_shapes_are_disagreements():
    plain = torch.zeros(3, 2, 4)
    other = plain.clone()
    other[1, 0, 0] = float("nan")
    assert "NaN" in _difference(plain, other)
    other = plain.clone()
    other[2, 1, 3] = 1e-30  # an all-zero recording must match exactly
    assert _difference(plain, other) == "differs by inf of its largest value"
    assert "shape" in _difference(plain, torch.zeros(3, 2, 5))
    assert _difference(torch.zeros(0, 2, 4), torch.zeros(0, 2, 4)) is None
