"""The settings of a neural-predictivity fit: one frozen dataclass, saved with every result."""

from __future__ import annotations

import json
import numbers
from dataclasses import asdict, dataclass, field
from typing import Literal

from chronoscore.errors import ConfigError
from chronoscore.neural_fit.ceiling import CEILING_FLOOR
from chronoscore.neural_fit.predictivity import TimeMode
from chronoscore.neural_fit.time_mapping import TimeMapping

__all__ = ["FitSettings", "CeilingConvention", "RegressionName", "SplitKind"]

RegressionName = Literal["pls", "ridge", "ridgecv"]
SplitKind = Literal["shuffle", "kfold"]
CeilingConvention = Literal["r2_over_ceiling", "squared_ratio"]


@dataclass(frozen=True)
class FitSettings:
    """Everything that decides a predictivity score besides the data.

    The defaults are Brain-Score's ``pls`` metric: PLS with 25 components, 10
    stratified shuffle splits with 90 % training stimuli and seed 1, stratified
    by ``object_name`` when the neural data has it, and ceiling-normalised
    scores ``r² / ceiling``.

    Parameters
    ----------
    regression : {"pls", "ridge", "ridgecv"}
    n_components : int
        PLS components.
    alpha : float
        Ridge penalty (``ridge``).
    alphas : tuple of float
        Penalty grid (``ridgecv``), chosen by efficient leave-one-out on each
        split's training stimuli.
    time : {"per_bin", "shared", "matrix"}
    mapping : TimeMapping
        Model step compared with each neural bin.
    region_mappings : dict of str to TimeMapping
        Mappings for single regions, used instead of ``mapping`` for them (e.g.
        Brain-Score's CORnet table: ``{"V4": TimeMapping.parse_region("V4=90,50,4")[1], ...}``).
    splits : {"shuffle", "kfold"}
    n_splits, train_size, random_state
        Cross-validation; ``train_size`` applies to shuffle splits.
    stratify : str or None
        Presentation coordinate to stratify by, used when the data has it.
    inner_splits : int
        Inner splits on training stimuli for the ``best`` time mapping.
    ceiling_splits : int
        Split-half draws of the noise ceiling.
    ceiling_convention : {"r2_over_ceiling", "squared_ratio"}
        ``r² / ceiling`` (Brain-Score's current convention) or ``(r / ceiling)²``.
    ceiling_floor : float
        Ceilings below this give NaN ceiling-normalised scores (default 0.1;
        Brain-Score has no floor, which 0 reproduces except at negative ceilings).
    device : str or None
        Torch device for the regressions ("cpu", "cuda", ...); None keeps numpy on the CPU.
    """

    regression: RegressionName = "pls"
    n_components: int = 25
    alpha: float = 1.0
    alphas: tuple[float, ...] = (0.01, 0.1, 1.0, 10.0, 100.0, 1e3, 1e4, 1e5, 1e6, 1e7)
    time: TimeMode = "per_bin"
    mapping: TimeMapping = field(default_factory=TimeMapping)
    region_mappings: dict[str, TimeMapping] = field(default_factory=dict)
    splits: SplitKind = "shuffle"
    n_splits: int = 10
    train_size: float = 0.9
    random_state: int = 1
    stratify: str | None = "object_name"
    inner_splits: int = 3
    ceiling_splits: int = 10
    ceiling_convention: CeilingConvention = "r2_over_ceiling"
    ceiling_floor: float = CEILING_FLOOR
    device: str | None = None

    def __post_init__(self) -> None:
        choices = {
            "regression": ("pls", "ridge", "ridgecv"),
            "time": ("per_bin", "shared", "matrix"),
            "splits": ("shuffle", "kfold"),
            "ceiling_convention": ("r2_over_ceiling", "squared_ratio"),
        }
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ConfigError(f"{name} must be one of {', '.join(allowed)}; got {getattr(self, name)!r}.")
        for name in ("n_components", "n_splits", "inner_splits", "ceiling_splits"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
                raise ConfigError(f"{name} must be a positive integer, got {value!r}.")
        size = self.train_size
        if isinstance(size, bool) or not isinstance(size, numbers.Real) or not 0 < size < 1:
            raise ConfigError(f"train_size must be a number between 0 and 1 (exclusive), got {size!r}.")
        if self.n_splits < 2 and self.splits == "kfold":
            raise ConfigError("k-fold cross-validation needs n_splits >= 2.")
        if any(not isinstance(mapping, TimeMapping) for mapping in self.region_mappings.values()):
            raise ConfigError("region_mappings must map region names to TimeMapping settings.")
        if self.time == "matrix" and self.mapping.kind == "best":
            raise ConfigError("the 'best' time mapping applies to per_bin or shared fits, not to matrix.")
        if self.device is not None:
            _check_device(self.device)

    def mapping_for(self, region: str) -> TimeMapping:
        """The time mapping of ``region``: its own in ``region_mappings``, else ``mapping``."""
        return self.region_mappings.get(region, self.mapping)

    def to_json(self) -> str:
        """All settings as one JSON string (stored in result attributes)."""
        return json.dumps(asdict(self), sort_keys=True)


def _check_device(device: str) -> None:
    """Raise unless ``device`` names a torch device.

    Whether the device is present is not checked, so settings saved on a GPU
    machine still load on one without.
    """
    import torch

    try:
        torch.device(device)
    except (RuntimeError, TypeError) as error:
        raise ConfigError(
            f"device must name a torch device such as 'cpu', 'cuda' or 'cuda:1', got {device!r}; "
            "leave it unset (null) to fit with numpy on the CPU.") from error
