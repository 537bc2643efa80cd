"""The leaderboard's error of a ceiled score: the score's error carried through the ceiling normalisation."""

import numpy as np
import pytest
import xarray as xr

from chronoscore.analyses.sweeps.leaderboard import ceiled_error

R = np.array([[0.3, -0.2, 0.0, 0.5], [0.6, 0.1, 0.4, 0.2]])
SE = np.array([[0.02, 0.03, 0.01, 0.05], [0.04, 0.02, 0.03, 0.01]])
CEILING = np.array([[0.8, 0.7, 0.9, 0.05], [0.6, 0.5, 0.85, 0.75]])   # the last V4 bin is below the floor


def scores_with(ceiled):
    dims = ("region", "time_bin")
    ceiled = np.where(CEILING >= 0.1, ceiled, np.nan)
    return xr.Dataset({"score": (dims, R), "error": (dims, SE), "ceiling": (dims, CEILING),
                       "ceiled_score": (dims, ceiled)}, coords={"region": ["V4", "IT"]})


@pytest.mark.parametrize("convention, derivative", [
    ("r2_over_ceiling", lambda r, c: 2 * np.abs(r) / c),          # d(r² / c) / dr
    ("squared_ratio", lambda r, c: 2 * np.abs(r) / c**2),         # d((r / c)²) / dr
])
def test_a_squared_ceiling_s_error_is_the_derivative_times_the_score_s_error(convention, derivative):
    ceiled = R**2 / CEILING if convention == "r2_over_ceiling" else (R / CEILING) ** 2
    error = ceiled_error(scores_with(ceiled), squared_ceiling=True).values
    expected = np.where(CEILING >= 0.1, derivative(R, CEILING) * SE, np.nan)
    np.testing.assert_allclose(error, expected, rtol=1e-12, equal_nan=True)
    assert error[0, 2] == 0.0                                    # at r = 0 the slope of r² is 0


def test_a_ceiling_in_the_score_s_units_divides_its_error():
    error = ceiled_error(scores_with(R / CEILING), squared_ceiling=False).values
    np.testing.assert_allclose(error, np.where(CEILING >= 0.1, SE / CEILING, np.nan), rtol=1e-12, equal_nan=True)
