"""The settings of a neural-predictivity fit: one frozen dataclass, saved with every result."""

from __future__ import annotations

import json
import numbers
import warnings
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from chronoscore.errors import ConfigError
from chronoscore.neural_fit.ceiling import CEILING_FLOOR
from chronoscore.neural_fit.metrics import get_metric
from chronoscore.neural_fit.predictivity import TimeMode
from chronoscore.neural_fit.time_mapping import TimeMapping

__all__ = ["FitSettings", "CeilingConvention", "SplitKind"]

_OLD_OPTIONS = {"n_components": "pls", "alpha": "ridge", "alphas": "ridgecv"}
"""Settings that older versions kept at the top level: each was an option of the named metric."""

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
    metric : str
        A registered metric (:func:`chronoscore.neural_fit.metrics.list_metrics`:
        ``pls``, ``ridge``, ``ridgecv``, ...).
    metric_options : dict
        The metric's own options, e.g. ``{"n_components": 25}`` for ``pls``,
        ``{"alpha": 1.0}`` for ``ridge``, ``{"alphas": [...]}`` for ``ridgecv``;
        unset options take the metric's defaults. Checked against the metric.
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

    metric: str = "pls"
    metric_options: dict[str, Any] = field(default_factory=dict)
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
        options = self.options()  # the metric exists and takes these options; keep their checked values
        object.__setattr__(self, "metric_options", {key: getattr(options, key) for key in self.metric_options})
        choices = {
            "time": ("per_bin", "shared", "matrix"),
            "splits": ("shuffle", "kfold"),
            "ceiling_convention": ("r2_over_ceiling", "squared_ratio"),
        }
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ConfigError(f"{name} must be one of {', '.join(allowed)}; got {getattr(self, name)!r}.")
        for name in ("n_splits", "inner_splits", "ceiling_splits"):
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

    def options(self) -> Any:
        """The metric's options: ``metric_options`` with the metric's defaults for the rest (a frozen dataclass)."""
        return get_metric(self.metric).parse_options(self.metric_options)

    @classmethod
    def upgrade_config(cls, values: Mapping[str, Any]) -> dict[str, Any]:
        """Settings as older versions spelled them, in today's names (used when reading files and overrides).

        ``regression: NAME`` is now ``metric: NAME``; ``n_components``, ``alpha``
        and ``alphas`` are now ``metric_options``. In settings that name their
        metric (a saved settings file holds all four), the options of the other
        metrics were unused and are dropped; otherwise each goes to
        ``metric_options``. A :class:`DeprecationWarning` names the new spelling.

        Raises
        ------
        ConfigError
            If ``regression`` and ``metric`` are both given and differ.
        """
        old = [key for key in ("regression", *_OLD_OPTIONS) if key in values]
        if not old:
            return dict(values)
        upgraded = {key: value for key, value in values.items() if key not in old}
        if "regression" in values:
            if "metric" in values and values["metric"] != values["regression"]:
                raise ConfigError(f"regression ({values['regression']!r}) is the old name of metric "
                                  f"({values['metric']!r}); give only metric.")
            upgraded["metric"] = values["regression"]
        metric = upgraded.get("metric")
        options = dict(upgraded.get("metric_options") or {})
        for key, owner in _OLD_OPTIONS.items():
            if key in values and metric in (None, owner):
                options.setdefault(key, values[key])
        if options:
            upgraded["metric_options"] = options
        warnings.warn(f"the settings {', '.join(old)} are old spellings: write metric: NAME for regression and "
                      f"metric_options: {{n_components: ...}} (pls), {{alpha: ...}} (ridge) or {{alphas: [...]}} "
                      "(ridgecv), e.g. --set metric_options.n_components=10.", DeprecationWarning, stacklevel=2)
        return upgraded

    def mapping_for(self, region: str) -> TimeMapping:
        """The time mapping of ``region``: its own in ``region_mappings``, else ``mapping``."""
        return self.region_mappings.get(region, self.mapping)

    def to_json(self) -> str:
        """All settings as one JSON string (stored in result attributes), with every metric option."""
        return json.dumps({**asdict(self), "metric_options": asdict(self.options())}, sort_keys=True)


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
