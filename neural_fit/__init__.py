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

from chronoscore._lazy import lazy_exports

_EXPORTS = {
    "average_repetitions": "chronoscore.neural_fit.assembly",
    "make_assembly": "chronoscore.neural_fit.assembly",
    "validate_assembly": "chronoscore.neural_fit.assembly",
    "assembly_from_rasters": "chronoscore.neural_fit.binning",
    "bin_responses": "chronoscore.neural_fit.binning",
    "time_bins": "chronoscore.neural_fit.binning",
    "from_brainscore": "chronoscore.neural_fit.brainscore_convert",
    "to_brainscore": "chronoscore.neural_fit.brainscore_convert",
    "brainio_cache_dir": "chronoscore.neural_fit.brainscore_data",
    "load_majajhong2015": "chronoscore.neural_fit.brainscore_data",
    "read_assembly": "chronoscore.neural_fit.netcdf_io",
    "write_assembly": "chronoscore.neural_fit.netcdf_io",
    "read_nwb_assembly": "chronoscore.neural_fit.nwb_assembly",
    "PLSRegression": "chronoscore.neural_fit.pls",
    "read_features": "chronoscore.neural_fit.results_io",
    "read_scores": "chronoscore.neural_fit.results_io",
    "write_features": "chronoscore.neural_fit.results_io",
    "write_scores": "chronoscore.neural_fit.results_io",
    "Ridge": "chronoscore.neural_fit.ridge",
    "RidgeCV": "chronoscore.neural_fit.ridge",
    "neural_predictivity": "chronoscore.neural_fit.scoring",
    "noise_ceiling": "chronoscore.neural_fit.scoring",
    "FitSettings": "chronoscore.neural_fit.settings",
    "given_splits": "chronoscore.neural_fit.splits",
    "kfold_splits": "chronoscore.neural_fit.splits",
    "shuffle_splits": "chronoscore.neural_fit.splits",
    "score_table": "chronoscore.neural_fit.summary",
    "score_time_modes": "chronoscore.neural_fit.scoring",
    "TimeMapping": "chronoscore.neural_fit.time_mapping",
}
"""Public name -> the module defining it (imported when the name is first used)."""

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)
