"""Which model time step is compared with which neural time bin.

A recurrent model produces features at steps 0..T-1 (``step_ms`` apart, 10 ms for
a ConvRNN); a neural assembly has time bins (e.g. 70-80 ... 250-260 ms). A
:class:`TimeMapping` assigns one step to each bin.

Time has one source: the Activations' ``time_ms`` coordinate, which extraction
sets from the model's ``step_ms``. A mapping whose ``step_ms`` is unset (the
default) reads the step length from it (:meth:`TimeMapping.resolve`); features
made elsewhere without ``time_ms`` count 10 ms per step. A ``latency`` mapping
given a ``step_ms`` that contradicts the features' ``time_ms`` is an error that
names both. A ``nearest_start`` mapping with its own ``step_ms`` (Brain-Score's
per-region CORnet table, ``--time-mapping V4=90,50,4``) deliberately replaces
the model's clock for its region; its description in the Scores' ``time_mapping``
attribute records the times it used. The kinds:

``latency``
    step ``k`` stands for ``[latency + k·step_ms, latency + (k+1)·step_ms)``; a bin
    takes the step that contains its centre. Bins past the last step take the
    last step (the model's state persists), bins before the first take step 0;
    both are reported in the mapping kept with the scores.
``table``
    an explicit step per bin, as CORnet's table of time bin to block iteration.
``nearest_start``
    Brain-Score's CORnet form (start, duration, number of steps per region):
    step ``k`` stands for ``[latency + k·step_ms, latency + (k+1)·step_ms)``
    for the first ``n_steps`` steps, and a bin takes the step whose start is
    nearest the bin's start (the earlier step on a tie), exactly as
    Brain-Score's ``CORnetCommitment`` chooses; e.g. V4 ``(90, 50, 4)``, IT
    ``(100, 100, 2)`` for CORnet-S.
``single``
    one feature set for every bin (feedforward models, T = 1).
``best``
    the step that predicts the bin best, chosen inside each cross-validation
    split on its training stimuli only (see :mod:`chronoscore.neural_fit.predictivity`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from chronoscore.errors import ConfigError

__all__ = ["TimeMapping", "MappingKind", "DEFAULT_STEP_MS"]

DEFAULT_STEP_MS = 10.0
"""Milliseconds per step of features that carry no ``time_ms`` (e.g. written by other tools)."""

MappingKind = Literal["latency", "nearest_start", "table", "single", "best"]
_KINDS = ("latency", "nearest_start", "table", "single", "best")
_TIMED_KINDS = ("latency", "nearest_start")  # the kinds that place steps in milliseconds


@dataclass(frozen=True)
class TimeMapping:
    """How model steps map onto neural time bins.

    Parameters
    ----------
    kind : {"latency", "nearest_start", "table", "single", "best"}
    latency_ms : float
        Time after stimulus onset that step 0 stands for (``latency`` and ``nearest_start``).
    step_ms : float, optional
        Milliseconds per model step (``latency``), or each step's duration
        (``nearest_start``). None (default): the spacing of the features'
        ``time_ms`` (see :meth:`resolve`).
    table : tuple of int, optional
        Step for each bin, in bin order (``table`` kind).
    n_steps : int, optional
        Steps the mapping covers (``nearest_start``; None: all the features have).
    """

    kind: MappingKind = "latency"
    latency_ms: float = 70.0
    step_ms: float | None = None
    table: tuple[int, ...] | None = None
    n_steps: int | None = None

    @classmethod
    def parse_region(cls, text: str) -> tuple[str, TimeMapping]:
        """``"V4=90,50,4"`` (region = start ms, duration ms, steps) as ``("V4", nearest_start mapping)``."""
        region, separator, values = text.partition("=")
        parts = values.split(",")
        try:
            start, duration, steps = float(parts[0]), float(parts[1]), int(parts[2])
        except (ValueError, IndexError):
            raise ConfigError(f"time mapping {text!r} must read REGION=START_MS,DURATION_MS,STEPS, "
                              "e.g. V4=90,50,4 (Brain-Score's CORnet form).") from None
        if not separator or not region.strip() or len(parts) != 3 or steps < 1:
            raise ConfigError(f"time mapping {text!r} must read REGION=START_MS,DURATION_MS,STEPS with at "
                              "least one step, e.g. IT=100,100,2.")
        return region.strip(), cls("nearest_start", latency_ms=start, step_ms=duration, n_steps=steps)

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ConfigError(f"time mapping kind must be one of {', '.join(_KINDS)}, got {self.kind!r}.")
        if self.kind == "table" and not self.table:
            raise ConfigError("a 'table' time mapping needs table=(step for bin 0, step for bin 1, ...).")
        if self.step_ms is not None and not self.step_ms > 0:
            raise ConfigError(f"step_ms must be positive, got {self.step_ms}.")

    def resolve(self, time_ms: np.ndarray | None) -> TimeMapping:
        """This mapping with the step length of features whose steps fall at ``time_ms``.

        Parameters
        ----------
        time_ms : (T,) array or None
            The features' ``time_ms`` coordinate (evenly spaced), or None when
            they carry none.

        Returns
        -------
        TimeMapping
            With ``step_ms`` set: the spacing of ``time_ms`` if it was unset
            (:data:`DEFAULT_STEP_MS` without ``time_ms`` or with one step), else unchanged.

        Raises
        ------
        ConfigError
            If a ``latency`` mapping's own ``step_ms`` contradicts ``time_ms``,
            or ``time_ms`` is not evenly spaced.
        """
        if self.kind not in _TIMED_KINDS:
            return self
        spacing = _spacing(time_ms)
        if self.step_ms is None:
            return replace(self, step_ms=DEFAULT_STEP_MS if spacing is None else spacing)
        if self.kind == "latency" and spacing is not None and not np.isclose(self.step_ms, spacing, rtol=1e-9):
            raise ConfigError(
                f"the time mapping's step_ms is {self.step_ms:g} ms but the features' time_ms advance {spacing:g} ms "
                "per step (the model's step_ms); leave mapping.step_ms (--step-ms) unset to use the features' "
                "time, or extract the features with a model of that step_ms.")
        return self

    def steps_for_bins(self, bin_start: np.ndarray, bin_end: np.ndarray, n_steps: int) -> np.ndarray:
        """Return the model step (B,) compared with each of the B bins.

        An unset ``step_ms`` counts :data:`DEFAULT_STEP_MS`; call :meth:`resolve`
        first to take it from the features.

        Parameters
        ----------
        bin_start, bin_end : (B,) arrays
            Bin edges in ms after stimulus onset.
        n_steps : int
            Number of model time steps T available.
        """
        if self.step_ms is None and self.kind in _TIMED_KINDS:
            return self.resolve(None).steps_for_bins(bin_start, bin_end, n_steps)
        n_bins = len(bin_start)
        if self.kind == "best":
            raise ConfigError("the 'best' mapping is chosen per split from data, not from bin edges.")
        if self.kind == "table":
            return self._table_steps(n_bins, n_steps)
        if self.kind == "nearest_start":
            return self._nearest_start_steps(np.asarray(bin_start, dtype=float), n_steps)
        if self.kind == "single" or n_steps == 1:
            return np.zeros(n_bins, dtype=int)
        centre = (np.asarray(bin_start, dtype=float) + np.asarray(bin_end, dtype=float)) / 2
        steps = np.floor((centre - self.latency_ms) / self.step_ms).astype(int)
        outside = (steps < 0) | (steps >= n_steps)
        if outside.any():
            warnings.warn(
                f"{int(outside.sum())} of {n_bins} time bins fall outside the model's {n_steps} steps "
                f"(latency {self.latency_ms} ms, {self.step_ms} ms per step); they use the nearest step.",
                stacklevel=2)
        return np.clip(steps, 0, n_steps - 1)

    def _nearest_start_steps(self, bin_start: np.ndarray, n_steps: int) -> np.ndarray:
        """Per bin, the step whose start ``latency + k·step_ms`` is nearest the bin's start (first on a tie)."""
        covered = n_steps if self.n_steps is None else min(self.n_steps, n_steps)
        starts = self.latency_ms + self.step_ms * np.arange(covered)
        return np.abs(starts[None, :] - bin_start[:, None]).argmin(axis=1)

    def _table_steps(self, n_bins: int, n_steps: int) -> np.ndarray:
        steps = np.asarray(self.table, dtype=int)
        if len(steps) != n_bins:
            raise ConfigError(
                f"the time mapping table has {len(steps)} entries for {n_bins} time bins; give one model step "
                "per neural time bin, in bin order (e.g. --set mapping.table=[0,0,1,...]).")
        if steps.min() < 0 or steps.max() >= n_steps:
            raise ConfigError(
                f"the time mapping table names steps outside 0..{n_steps - 1} (the model has {n_steps} "
                "time steps); use step numbers the features contain.")
        return steps

    def describe(self) -> str:
        """A one-line description kept in result attributes."""
        step = "the features' ms" if self.step_ms is None else f"{self.step_ms:g} ms"
        if self.kind == "latency":
            return f"latency {self.latency_ms:g} ms, {step} per step"
        if self.kind == "nearest_start":
            steps = "" if self.n_steps is None else f", {self.n_steps} steps"
            return f"nearest start from {self.latency_ms:g} ms, {step} per step{steps}"
        if self.kind == "table":
            return "table " + ",".join(map(str, self.table or ()))
        return self.kind


def _spacing(time_ms: np.ndarray | None) -> float | None:
    """The constant step of ``time_ms`` in ms, or None for no times or a single step."""
    if time_ms is None or len(time_ms) < 2:
        return None
    steps = np.diff(np.asarray(time_ms, dtype=float))
    if not np.allclose(steps, steps[0], rtol=1e-9, atol=0) or not steps[0] > 0:
        raise ConfigError(f"the features' time_ms must increase evenly to map steps onto bins, got "
                          f"{np.asarray(time_ms).tolist()}; give time_ms = step × milliseconds per step.")
    return float(steps[0])
