"""``pls``: Brain-Score's ``pls`` metric — PLS regression per region and time bin.

Every (split, bin) problem fitted from one design is solved together by
:func:`~chronoscore.neural_fit.pls_solver.fit_pls_problems`, in memory-bounded
chunks; the predictions equal scikit-learn's ``PLSRegression(n_components,
scale=False)`` fitted per problem.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from chronoscore.errors import ConfigError
from chronoscore.neural_fit.arrays import Array, stack
from chronoscore.neural_fit.metrics._registry import register_metric
from chronoscore.neural_fit.pls_solver import fit_pls_problems
from chronoscore.neural_fit.predictivity import HeldOutPredictor, TimeMode
from chronoscore.neural_fit.scoring import Features, cross_validated_scores
from chronoscore.neural_fit.settings import FitSettings
from chronoscore.neural_fit.splits import Split
from chronoscore.neural_fit.validation import check_n_components

__all__ = ["PLSOptions", "pls", "pls_predictions"]

_CHUNK_BYTES = 256 * 2**20
"""Largest cross-covariance stack (problems × features × targets, float64) solved at once."""


@dataclass(frozen=True)
class PLSOptions:
    """Options of the ``pls`` metric.

    Parameters
    ----------
    n_components : int
        PLS components (Brain-Score uses 25).
    """

    n_components: int = 25

    def __post_init__(self) -> None:
        value = self.n_components
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise ConfigError(f"n_components must be a positive integer, got {value!r}.")


@register_metric("pls", options=PLSOptions, label="PLS held-out r (median over sites)", squared_ceiling=True)
def pls(features: Features, neural: xr.DataArray, settings: FitSettings, options: PLSOptions,
        **run: Any) -> dict[TimeMode, xr.Dataset]:
    """PLS regression per region and time bin, Pearson r on held-out stimuli (Brain-Score's pls)."""
    return cross_validated_scores(features, neural, settings, pls_predictions(options.n_components), **run)


def pls_predictions(n_components: int, *, max_iter: int = 500, tol: float = 1e-6) -> HeldOutPredictor:
    """Held-out predictions of PLS with ``n_components``, every (split, block) problem solved in batches.

    Parameters
    ----------
    n_components : int
    max_iter, tol : int, float
        NIPALS power-iteration limit and tolerance, as scikit-learn.

    Returns
    -------
    HeldOutPredictor
    """

    def predict(design: Array, blocks: Array, splits: Sequence[Split], progress: Callable[[int], None] | None
                ) -> list[Array]:
        n_blocks, n, q = blocks.shape
        for train, _ in splits:
            check_n_components(n_components, len(train))
        masks = np.zeros((len(splits), n), dtype=bool)
        for s, (train, _) in enumerate(splits):
            masks[s, train] = True
        per_problem_bytes = 8 * design.shape[1] * q * len(splits)
        chunk = max(1, _CHUNK_BYTES // max(per_problem_bytes, 1))
        out: list[list[Array]] = [[] for _ in splits]
        for first in range(0, n_blocks, chunk):
            part = blocks[first:first + chunk]
            factors = fit_pls_problems(design, part, masks, n_components=n_components, max_iter=max_iter, tol=tol)
            for s, (_, test) in enumerate(splits):
                rows = factors.working_rows(design[test])
                for b in range(len(part)):
                    out[s].append(factors.predict_working(rows, s * len(part) + b))
            if progress:
                progress(len(splits) * len(part))
        return [stack(per_split) for per_split in out]

    return predict
