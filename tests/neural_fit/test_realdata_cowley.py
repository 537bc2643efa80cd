"""Split-half ceilings on real macaque V4 recordings (Cowley et al. 2023), when present.

The recordings live beside the repository (``../shared/realdata/cowley_v4``) and
are never copied into it; the test skips when they are absent.
"""

import warnings
from pathlib import Path

import numpy as np
import pytest

from chronoscore.analyses.datasets.cowley2023_v4 import cowley_v4_assembly
from chronoscore.neural_fit.scoring import noise_ceiling

pytestmark = pytest.mark.realdata

FOLDER = Path(__file__).resolve().parents[2] / ".." / "shared" / "realdata" / "cowley_v4"
RAW = FOLDER / "responses_raw_210325.npy"


def cowley_assembly():
    """The raw NaN-padded repeats as an assembly (built by the analyses loader) and the raw array."""
    return cowley_v4_assembly(FOLDER), np.load(RAW)


@pytest.mark.skipif(not RAW.is_file(), reason="real recordings not found at ../shared/realdata/cowley_v4")
def test_cowley_v4_split_half_ceilings():
    assembly, counts = cowley_assembly()
    ceilings = noise_ceiling(assembly)
    per_neuron = ceilings["ceiling_neuroid"].values[:, 0]
    assert per_neuron.shape == (50,)
    assert np.isfinite(per_neuron).all()
    assert np.all(per_neuron <= 1.0)

    # Independent check of one split by hand for neuron 0: slots split in halves, nan-mean per image,
    # Pearson r over images with both halves present, Spearman-Brown corrected.
    from sklearn.model_selection import ShuffleSplit

    first, second = next(ShuffleSplit(10, train_size=0.5, random_state=1).split(np.zeros(10)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        a, b = np.nanmean(counts[0][:, first], axis=1), np.nanmean(counts[0][:, second], axis=1)
    both = ~(np.isnan(a) | np.isnan(b))
    r = np.corrcoef(a[both], b[both])[0, 1]
    from chronoscore.neural_fit.ceiling import split_half_consistency, trials_by_repetition

    dense, _, _ = trials_by_repetition(assembly.values[:, :1, 0], assembly["stimulus_id"].values,
                                       assembly["repetition"].values)
    assert split_half_consistency(dense)[0, 0] == pytest.approx(2 * r / (1 + r), abs=1e-12)

    median = float(np.median(per_neuron))
    print(f"Cowley V4 (session 210325): median split-half ceiling over 50 neurons = {median:.3f}")
    assert 0.3 < median < 1.0
