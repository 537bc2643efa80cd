"""The package faces export their public names lazily: importing a package loads no numerics."""

import importlib
import subprocess
import sys

import pytest

HEAVY_MODULES = ("torch", "numpy", "xarray", "pandas", "scipy", "sklearn", "matplotlib")

FACES = {
    "chronoscore": [
        "__version__", "ChronoscoreError", "ConfigError", "DataFormatError", "FileFormatError", "FitError",
        "MissingExtraError", "NotFittedError", "StimulusMismatchError"],
    "chronoscore.models": [
        "ConvRNN", "FeedforwardControl", "TimeResolvedModel", "count_model_parameters", "count_parameters",
        "create_model", "list_models", "register_model", "widen_to_match", "wrap_model"],
    "chronoscore.models.training": [
        "AlgorithmOptions", "DataSource", "DataSpec", "ModelSpec", "OptimiserSpec", "Recipe", "ScheduleSpec",
        "build_model", "list_recipes", "list_shipped_weights", "load_recipe", "load_shipped_weights",
        "load_trained_model", "register_data_source", "save_recipe", "shipped_weights_info", "train"],
    "chronoscore.neural_fit": [
        "FitSettings", "PLSRegression", "Ridge", "RidgeCV", "TimeMapping", "assembly_from_rasters",
        "average_repetitions", "bin_responses", "brainio_cache_dir", "from_brainscore", "given_splits",
        "kfold_splits", "load_majajhong2015", "make_assembly", "neural_predictivity", "noise_ceiling",
        "read_assembly", "read_features", "read_nwb_assembly", "read_scores", "score_table", "score_time_modes", "shuffle_splits",
        "time_bins", "to_brainscore", "validate_assembly", "write_assembly", "write_features", "write_scores"],
    "chronoscore.stimuli": [
        "StimulusDataset", "StimulusSet", "from_brainscore_stimulus_set", "generate", "generator_version",
        "list_generators", "load_batch", "place_on_screen", "read_image", "read_image_folder", "read_stimulus_set",
        "to_brainscore_stimulus_set", "write_contact_sheet", "write_stimulus_set"],
    "chronoscore.analyses": ["extract", "train"],
    "chronoscore.analyses.claims": [
        "CLAIMS", "Arm", "Claim", "Scale", "ScaleName", "check_claim_markers", "claim_markers", "get_claim",
        "recipe_path", "replace_claim_table", "run_claim"],
    "chronoscore.figures": [
        "PALETTE", "find_inputs", "lesion_effects", "memory_vs_steps", "model_colours", "neural_overview",
        "pathfinder_accuracy", "plan_figures", "predictivity_bars", "predictivity_over_checkpoints",
        "predictivity_timecourse", "predictivity_vs_parameters", "save_figure", "step_bin_heatmap", "stimulus_sheet",
        "top_models_timecourse", "training_curves", "write_report"],
}
"""Each face and its public names: those it exported when it imported its submodules eagerly, and the
training data-source registry (``DataSource``, ``register_data_source``), ``extract``, ``train`` and the sweep
figures (``predictivity_over_checkpoints``, ``top_models_timecourse``) added since;
the claims' face no longer holds their command line (``add_parser``, ``main``: now ``chronoscore.cli``)."""


def loaded_after(code: str) -> list[str]:
    """The heavy modules in ``sys.modules`` after running ``code`` in a fresh interpreter."""
    probe = f"import sys\n{code}\nprint(sorted(name for name in {HEAVY_MODULES!r} if name in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return eval(done.stdout.strip().splitlines()[-1])  # a printed list of module names


def test_importing_every_face_loads_no_numerics():
    assert loaded_after("\n".join(f"import {face}" for face in FACES)) == []


@pytest.mark.parametrize("face", sorted(FACES))
def test_every_public_name_is_exported_and_listed(face):
    package = importlib.import_module(face)
    assert sorted(package.__all__) == sorted(FACES[face])
    assert set(package.__all__) <= set(dir(package))
    for name in package.__all__:
        value = getattr(package, name)
        defining = importlib.import_module(getattr(value, "__module__", face) or face)
        if name != "__version__" and hasattr(defining, name):
            assert getattr(defining, name) is value


def test_a_name_comes_from_its_module_on_first_use_only():
    assert loaded_after("from chronoscore.analyses.claims import CLAIMS") == []  # a light module
    assert loaded_after("from chronoscore.neural_fit import TimeMapping") == ["numpy"]  # what time_mapping needs
    assert "torch" in loaded_after("from chronoscore.models import create_model")


def test_submodules_stay_reachable_as_attributes():
    code = "import chronoscore.analyses.claims\nassert chronoscore.analyses.claims.catalog.CLAIMS"
    assert loaded_after(code) == []
    assert "xarray" in loaded_after("import chronoscore.neural_fit\nassert chronoscore.neural_fit.netcdf_io")


@pytest.mark.parametrize("face", ["chronoscore.models", "chronoscore.neural_fit", "chronoscore.analyses"])
def test_an_unknown_name_is_an_attribute_error(face):
    package = importlib.import_module(face)
    with pytest.raises(AttributeError, match="no_such_name"):
        getattr(package, "no_such_name")
    with pytest.raises(ImportError):
        exec(f"from {face} import no_such_name")
