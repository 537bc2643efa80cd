"""Neural assemblies, regressions, cross-validation, noise ceilings and time-resolved predictivity.

The main entry point is :func:`neural_predictivity` (model features against a
neural assembly, per region and time bin, Brain-Score's ``pls`` metric by
default). The pieces it is built from are public too: the assemblies and their
netCDF files, NWB recordings read as assemblies (:func:`read_nwb_assembly`),
:class:`PLSRegression`, :class:`Ridge` and :class:`RidgeCV`, the
cross-validation splits, the split-half ceilings and the time mappings.
Metrics are a registry (:mod:`chronoscore.neural_fit.metrics`);
:func:`score_time_modes` scores several time modes in one call.
"""

from importlib import import_module

_HOMES = {
    "FitSettings": "settings",
    "PLSRegression": "pls",
    "Ridge": "ridge",
    "RidgeCV": "ridge",
    "TimeMapping": "time_mapping",
    "assembly_from_rasters": "binning",
    "average_repetitions": "assembly",
    "bin_responses": "binning",
    "brainio_cache_dir": "brainscore_data",
    "from_brainscore": "brainscore_convert",
    "given_splits": "splits",
    "kfold_splits": "splits",
    "load_majajhong2015": "brainscore_data",
    "make_assembly": "assembly",
    "neural_predictivity": "scoring",
    "noise_ceiling": "scoring",
    "read_assembly": "netcdf_io",
    "read_features": "results_io",
    "read_nwb_assembly": "nwb_assembly",
    "read_scores": "results_io",
    "score_table": "summary",
    "score_time_modes": "scoring",
    "shuffle_splits": "splits",
    "time_bins": "binning",
    "to_brainscore": "brainscore_convert",
    "validate_assembly": "assembly",
    "write_assembly": "netcdf_io",
    "write_features": "results_io",
    "write_scores": "results_io",
}
"""Public name -> the module defining it; imported on first use so that ``import chronoscore.neural_fit``
(and the metric names the command line lists) loads no numerics."""

__all__ = [
    "FitSettings",
    "PLSRegression",
    "Ridge",
    "RidgeCV",
    "TimeMapping",
    "assembly_from_rasters",
    "average_repetitions",
    "bin_responses",
    "brainio_cache_dir",
    "from_brainscore",
    "given_splits",
    "kfold_splits",
    "load_majajhong2015",
    "make_assembly",
    "neural_predictivity",
    "noise_ceiling",
    "read_assembly",
    "read_features",
    "read_nwb_assembly",
    "read_scores",
    "score_time_modes",
    "score_table",
    "shuffle_splits",
    "time_bins",
    "to_brainscore",
    "validate_assembly",
    "write_assembly",
    "write_features",
    "write_scores",
]


def __getattr__(name: str):
    if name in _HOMES:
        value = getattr(import_module(f"{__name__}.{_HOMES[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
