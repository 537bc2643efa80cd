"""Neural assemblies, regressions, cross-validation, noise ceilings and time-resolved predictivity.

The main entry point is :func:`neural_predictivity` (model features against a
neural assembly, per region and time bin, Brain-Score's ``pls`` metric by
default). The pieces it is built from are public too: the assemblies and their
netCDF files, NWB recordings read as assemblies (:func:`read_nwb_assembly`),
:class:`PLSRegression`, :class:`Ridge` and :class:`RidgeCV`, the
cross-validation splits, the split-half ceilings and the time mappings.
"""

from chronoscore.neural_fit.assembly import average_repetitions, make_assembly, validate_assembly
from chronoscore.neural_fit.binning import assembly_from_rasters, bin_responses, time_bins
from chronoscore.neural_fit.brainscore_convert import from_brainscore, to_brainscore
from chronoscore.neural_fit.brainscore_data import brainio_cache_dir, load_majajhong2015
from chronoscore.neural_fit.netcdf_io import read_assembly, write_assembly
from chronoscore.neural_fit.nwb_assembly import read_nwb_assembly
from chronoscore.neural_fit.pls import PLSRegression
from chronoscore.neural_fit.results_io import read_features, read_scores, write_features, write_scores
from chronoscore.neural_fit.ridge import Ridge, RidgeCV
from chronoscore.neural_fit.scoring import neural_predictivity, noise_ceiling
from chronoscore.neural_fit.settings import FitSettings
from chronoscore.neural_fit.splits import given_splits, kfold_splits, shuffle_splits
from chronoscore.neural_fit.summary import score_table
from chronoscore.neural_fit.time_mapping import TimeMapping

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
    "score_table",
    "shuffle_splits",
    "time_bins",
    "to_brainscore",
    "validate_assembly",
    "write_assembly",
    "write_features",
    "write_scores",
]
