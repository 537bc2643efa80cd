"""``rsa``: representational similarity analysis per region and time bin (Brain-Score's ``rdm_cv``).

The model's and the neural RDM (:mod:`chronoscore.neural_fit.rdm`) are compared
on the held-out stimuli of each split; with the defaults (``1 − Pearson r``
RDMs, Spearman, 10 stratified shuffle splits holding out 90 % of the stimuli,
seed 1) this is Brain-Score's ``rdm_cv`` metric, and with
``cross_validate=False`` its ``rdm``. Each RDM is computed once per model step
and neural bin and only subset per split; Spearman ranks of a subset come from
one sort of the whole triangle. :func:`rsa_over_time` compares a model's areas
with a given brain RDM (e.g. one published without the responses behind it).
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
import xarray as xr

from chronoscore.errors import ConfigError, DataFormatError
from chronoscore.neural_fit.metrics._registry import register_metric
from chronoscore.neural_fit.rdm import (COMPARISONS, RDM_KINDS, Comparison, RankedTriangle, RdmKind, compare_rdms,
                                        pair_mask, rdm)
from chronoscore.neural_fit.representational import SimilarityEvaluator, representational_scores

__all__ = ["RSAOptions", "RdmSimilarity", "rsa", "rsa_label", "rsa_over_time"]


@dataclass(frozen=True)
class RSAOptions:
    """Options of the ``rsa`` metric.

    Parameters
    ----------
    rdm : {"correlation", "euclidean"}
        ``1 − Pearson r`` between stimulus patterns (Brain-Score's) or their Euclidean distance.
    comparison : {"spearman", "kendall_tau_a", "pearson"}
        How two RDMs' upper triangles are compared (Brain-Score: Spearman).
    test_size : float
        Fraction of the stimuli each shuffle split compares (Brain-Score's ``rdm_cv``: 0.9).
    cross_validate : bool
        False compares the RDMs over all stimuli once (Brain-Score's ``rdm``).
    """

    rdm: str = "correlation"
    comparison: str = "spearman"
    test_size: float = 0.9
    cross_validate: bool = True

    def __post_init__(self) -> None:
        if self.rdm not in RDM_KINDS:
            raise ConfigError(f"rdm must be one of {', '.join(RDM_KINDS)}; got {self.rdm!r}.")
        if self.comparison not in COMPARISONS:
            raise ConfigError(f"comparison must be one of {', '.join(COMPARISONS)}; got {self.comparison!r}.")
        size = self.test_size
        if isinstance(size, bool) or not isinstance(size, numbers.Real) or not 0 < size < 1:
            raise ConfigError(f"test_size must be a number between 0 and 1 (exclusive), got {size!r}.")


_COMPARISON_NAMES = {"spearman": "Spearman ρ", "kendall_tau_a": "Kendall τ-a", "pearson": "Pearson r"}


def rsa_label(options: RSAOptions) -> str:
    """The axis label of RSA scores: ``RSA (Spearman ρ)``, naming the RDM when it is not 1 − Pearson r."""
    rdm_name = "" if options.rdm == "correlation" else f", {options.rdm} RDM"
    return f"RSA ({_COMPARISON_NAMES[options.comparison]}{rdm_name})"


class RdmSimilarity:
    """RDMs of one kind compared by one method (see :class:`chronoscore.neural_fit.representational.Similarity`)."""

    larger_is_closer = True
    min_stimuli = 3
    """Three stimuli give three pairs, the fewest a rank correlation is defined on."""

    def __init__(self, kind: RdmKind, comparison: Comparison) -> None:
        self.kind, self.comparison = kind, comparison

    def prepare(self, patterns: np.ndarray, what: str) -> RankedTriangle:
        """The RDM of (N, D) ``patterns``.

        Raises
        ------
        DataFormatError
            If a pattern is non-finite, or (``correlation``) constant over the features.
        """
        if not np.isfinite(patterns).all():
            raise DataFormatError(f"{what}: the responses hold NaN or infinite values; drop those stimuli or "
                                  "features first.")
        matrix = rdm(patterns, self.kind)
        undefined = np.flatnonzero(np.isnan(np.diag(matrix)))
        if undefined.size:
            raise DataFormatError(
                f"{what}: the patterns of {undefined.size} stimuli (rows {undefined[:5].tolist()}) are constant over "
                "the features, so 1 − Pearson r is undefined for them; use rdm='euclidean', drop those stimuli, or "
                "leave out the model steps before the area responds.")
        return RankedTriangle(matrix)

    def select(self, n: int, stimuli: np.ndarray) -> np.ndarray:
        """The pairs of ``stimuli`` among ``n`` (a mask over the triangle)."""
        return pair_mask(n, stimuli)

    def compare(self, model: RankedTriangle, neural: RankedTriangle, pairs: np.ndarray) -> float:
        """The two RDMs compared over ``pairs``."""
        return model.compare(neural, pairs, self.comparison)


@register_metric("rsa", options=RSAOptions, label=rsa_label)
def rsa(features, neural, settings, options: RSAOptions, **run) -> dict:
    """Model and neural RDMs compared on held-out stimuli per region and time bin (Brain-Score's rdm_cv)."""
    return representational_scores(features, neural, settings,
                                    SimilarityEvaluator(RdmSimilarity(options.rdm, options.comparison)),
                                    test_size=options.test_size, cross_validate=options.cross_validate, **run)


def rsa_over_time(activations: xr.DataArray, reference: np.ndarray, method: Comparison = "spearman",
                  kind: RdmKind = "correlation") -> xr.DataArray:
    """Each model area's RDM at each time step compared with a reference RDM over all stimuli.

    Parameters
    ----------
    activations : xarray.DataArray, (presentation, neuroid, time_step)
        As :func:`chronoscore.analyses.extract.extract` returns, with ``layer`` on
        neuroid; presentations in the order of the reference's rows.
    reference : (N, N) array
        The brain RDM.
    method : {"spearman", "kendall_tau_a", "pearson"}
    kind : {"correlation", "euclidean"}

    Returns
    -------
    xarray.DataArray, dims (layer, time_step)
        NaN where the area has no such step or its RDM is undefined (a
        constant pattern, e.g. before the area has received input).
    """
    reference = np.asarray(reference, dtype=np.float64)
    if reference.shape != (activations.sizes["presentation"],) * 2:
        raise DataFormatError(f"the reference RDM is {reference.shape} but there are "
                              f"{activations.sizes['presentation']} presentations; give one row per stimulus.")
    layers = list(dict.fromkeys(map(str, activations["layer"].values)))
    values = activations.transpose("presentation", "neuroid", "time_step").values
    result = np.full((len(layers), values.shape[2]), np.nan)
    for row, layer in enumerate(layers):
        columns = activations["layer"].values == layer
        for step in range(values.shape[2]):
            patterns = values[:, columns, step]
            if np.isfinite(patterns).all():
                model_rdm = rdm(patterns, kind)
                if np.isfinite(model_rdm).all():
                    result[row, step] = compare_rdms(model_rdm, reference, method)
    return xr.DataArray(result, dims=("layer", "time_step"),
                        coords={"layer": layers, "time_step": activations["time_step"].values,
                                "time_ms": ("time_step", activations["time_ms"].values)},
                        attrs={"method": method, "rdm": kind, "model": activations.attrs.get("model", "")})
