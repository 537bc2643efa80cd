"""Brain-Score is optional: without it chronoscore imports, and each feature that needs it names the extra.

Brain-Score's absence is simulated by blocking its packages in ``sys.modules``
(an entry of ``None`` makes ``import`` raise ``ModuleNotFoundError``), so these
tests run, and mean the same, in an environment with or without the extra.
"""

import sys

import numpy as np
import pytest

from chronoscore.errors import ChronoscoreError, MissingExtraError
from chronoscore.neural_fit import make_assembly, to_brainscore
from chronoscore.optional import import_brainscore
from chronoscore.stimuli import generate, to_brainscore_stimulus_set

EXTRA = 'pip install "chronoscore[brainscore]"'
BRAINSCORE_PACKAGES = ("brainscore_vision", "brainscore_core", "brainio")


@pytest.fixture
def without_brainscore(monkeypatch):
    """Brain-Score's packages and any of their loaded submodules cannot be imported during the test."""
    from chronoscore.analyses import brainscore_adapter

    for name in [*BRAINSCORE_PACKAGES, *sys.modules]:
        if name.split(".")[0] in BRAINSCORE_PACKAGES:
            monkeypatch.setitem(sys.modules, name, None)
    brainscore_adapter._adapter_class.cache_clear()  # a class built earlier in this session must not be reused
    yield
    brainscore_adapter._adapter_class.cache_clear()


def tiny_assembly():
    return make_assembly(np.zeros((2, 3, 1)), stimulus_id=["a", "b"], neuroid_id=["n0", "n1", "n2"],
                         time_bin_start=70, time_bin_end=170, region="IT")


def test_the_error_names_the_extra_and_is_an_import_error(without_brainscore):
    with pytest.raises(MissingExtraError, match=r'pip install "chronoscore\[brainscore\]"') as raised:
        import_brainscore("brainscore_vision", "scoring with Brain-Score")
    assert isinstance(raised.value, ChronoscoreError) and isinstance(raised.value, ImportError)
    assert "scoring with Brain-Score" in str(raised.value)


def test_another_missing_module_is_not_blamed_on_brainscore():
    with pytest.raises(ModuleNotFoundError) as raised:
        import_brainscore("no_such_package_of_chronoscore", "a test")
    assert not isinstance(raised.value, MissingExtraError)


def test_converting_an_assembly_names_the_extra(without_brainscore):
    with pytest.raises(MissingExtraError, match="to_brainscore.*" + EXTRA.replace("[", r"\[").replace("]", r"\]")):
        to_brainscore(tiny_assembly())


def test_converting_a_stimulus_set_names_the_extra(without_brainscore, tmp_path):
    stimuli = generate("objects", n=2, size=8, split="test", seed=0)
    with pytest.raises(MissingExtraError, match="to_brainscore_stimulus_set"):
        to_brainscore_stimulus_set(stimuli, image_folder=tmp_path)


def test_the_adapter_module_imports_and_its_class_names_the_extra(without_brainscore):
    from chronoscore.analyses import brainscore_adapter

    with pytest.raises(MissingExtraError, match="BrainScoreAdapter"):
        brainscore_adapter.BrainScoreAdapter
    with pytest.raises(MissingExtraError, match="BrainScoreAdapter"):
        from chronoscore.analyses.brainscore_adapter import BrainScoreAdapter  # noqa: F401
    with pytest.raises(AttributeError, match="no_such_name"):
        brainscore_adapter.no_such_name


def test_loading_a_data_set_through_brainscore_names_the_extra(without_brainscore):
    from chronoscore.neural_fit.brainscore_data import _load_through_brainscore

    with pytest.raises(MissingExtraError, match="MajajHong2015"):
        _load_through_brainscore("MajajHong2015.public", allow_nan=False)
