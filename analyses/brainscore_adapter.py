"""Any chronoscore model as a Brain-Score ``BrainModel``: ``BrainScoreAdapter``.

Brain-Score's neural benchmarks treat a model as an experimental subject: they
call ``start_recording(region, time_bins)``, place the stimuli on the model's
screen (``visual_degrees()``) and call ``look_at(stimuli)``, which must return a
``NeuroidAssembly`` (presentation × neuroid × time_bin). The adapter records the
model area assigned to the region with :func:`chronoscore.analyses.extraction.extract`
and fills each requested bin with the activations of the step chosen by a
:class:`~chronoscore.neural_fit.TimeMapping` — the same alignment chronoscore's
own scoring uses, so both score the same features.

Brain-Score is the optional extra ``chronoscore[brainscore]``, so this module
imports without it: ``BrainScoreAdapter`` is built, as a subclass of Brain-Score's
``BrainModel``, when it is first used, and raises
:class:`~chronoscore.errors.MissingExtraError` naming the extra when Brain-Score
is absent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xarray as xr
from torch import nn

from chronoscore.analyses.checks import positive_int
from chronoscore.analyses.extraction import extract
from chronoscore.errors import ConfigError
from chronoscore.neural_fit.brainscore_convert import to_brainscore
from chronoscore.neural_fit.features import step_times
from chronoscore.neural_fit.time_mapping import TimeMapping
from chronoscore.optional import import_brainscore
from chronoscore.stimuli.brainscore_format import from_brainscore_stimulus_set

if TYPE_CHECKING:
    from brainscore_core.supported_data_standards.brainio.assemblies import NeuroidAssembly
    from brainscore_core.supported_data_standards.brainio.stimuli import StimulusSet as BrainScoreStimulusSet

__all__ = ["BrainScoreAdapter"]

_LATENCY_MAPPING = TimeMapping()  # step k stands for 70 ms + k·(the model's step_ms) (frozen, so safe as a default)


def __getattr__(name: str) -> Any:
    """``BrainScoreAdapter``, built on first use (it subclasses Brain-Score's ``BrainModel``)."""
    if name == "BrainScoreAdapter":
        return _adapter_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@cache
def _adapter_class() -> type:
    """``BrainScoreAdapter``: :class:`_AdapterMethods` on Brain-Score's ``BrainModel`` (imported here)."""
    model_interface = import_brainscore("brainscore_vision.model_interface", "BrainScoreAdapter")
    return type("BrainScoreAdapter", (_AdapterMethods, model_interface.BrainModel),
                {"__module__": __name__, "__qualname__": "BrainScoreAdapter", "__doc__": _AdapterMethods.__doc__})


class _AdapterMethods:
    """A time-resolved chronoscore model behind Brain-Score's ``BrainModel`` interface.

    Parameters
    ----------
    model : nn.Module
        A zoo model or one adapted by :func:`chronoscore.models.wrap_model`.
    identifier : str
        The model's name in Brain-Score (and in the activations' provenance).
    region_areas : dict of str to str
        Brain region (``"V4"``, ``"IT"``, ...) to the model area recorded for it.
    visual_degrees : float
        Visual angle the model's input spans.
    time_mapping : TimeMapping
        Which model step fills each requested time bin (``latency``, ``table`` or
        ``single``; ``best`` needs neural data and is refused). Its step length
        is read from the activations' ``time_ms`` (the model's ``step_ms``); a
        ``latency`` mapping whose own ``step_ms`` contradicts it is refused.
    n_steps : int, optional
        Time steps to run (default: the model's own).
    image_size : int, optional
        Input side in pixels (default ``model.input_size``).
    extract_options : mapping, optional
        Further keyword arguments of :func:`~chronoscore.analyses.extraction.extract`
        (``batch_size``, ``projection``, ``dtype``, ``cache``, ``device``, ``progress``).

    Raises
    ------
    ConfigError
        For an empty ``region_areas``, an area the model lacks, or the ``best`` mapping.
    MissingExtraError
        When Brain-Score (``pip install "chronoscore[brainscore]"``) is not installed.
    """

    def __init__(self, model: nn.Module, *, identifier: str, region_areas: Mapping[str, str],
                 visual_degrees: float = 8.0, time_mapping: TimeMapping = _LATENCY_MAPPING,
                 n_steps: int | None = None, image_size: int | None = None,
                 extract_options: Mapping[str, Any] | None = None) -> None:
        _check_regions(model, region_areas)
        if time_mapping.kind == "best":
            raise ConfigError(
                "a BrainModel has no neural data to choose the 'best' step from; use a 'latency', 'table' or "
                "'single' TimeMapping, or score with chronoscore.neural_fit.neural_predictivity instead.")
        if hasattr(model, "step_ms"):  # refuse a contradicting step length now, not after extraction
            time_mapping.resolve(np.array([0.0, float(model.step_ms)]))
        self._model = model
        self._identifier = identifier
        self._region_areas = dict(region_areas)
        self._visual_degrees = float(visual_degrees)
        self._time_mapping = time_mapping
        self._n_steps = n_steps
        self._image_size = image_size
        self._extract_options = dict(extract_options or {})
        self._recording: tuple[str, np.ndarray] | None = None
        self._passive = False

    @property
    def identifier(self) -> str:
        """The model's name."""
        return self._identifier

    def visual_degrees(self) -> float:
        """Visual angle, in degrees, that the model's input spans."""
        return self._visual_degrees

    def start_task(self, task: str, fitting_stimuli: object = None) -> None:
        """Fixate passively (``BrainModel.Task.passive``): ``look_at`` then returns None until a recording starts.

        Raises
        ------
        NotImplementedError
            For any other task; the adapter only records neural activity.
        """
        passive = self.Task.passive  # BrainModel's task names
        if task != passive:
            raise NotImplementedError(
                f"BrainScoreAdapter performs only the passive task ({passive!r}), not {task!r}; "
                "it records neural activity (start_recording) and has no behavioural readout.")
        self._passive, self._recording = True, None

    def start_recording(self, recording_target: str, time_bins: Sequence[tuple[float, float]]) -> None:
        """Record ``recording_target``'s area in ``time_bins`` on every later ``look_at``.

        Parameters
        ----------
        recording_target : str
            A region of ``region_areas``.
        time_bins : sequence of (start_ms, end_ms)
            As Brain-Score passes them: tuples, or 0-d object arrays holding tuples.

        Raises
        ------
        ConfigError
            For an unknown region, no bins, or a bin that does not end after it starts.
        """
        if recording_target not in self._region_areas:
            raise ConfigError(
                f"model {self._identifier!r} has no area assigned to region {recording_target!r}; it records "
                f"{sorted(self._region_areas)}. Add the region to region_areas={{region: area}}.")
        self._recording = (recording_target, _bin_edges(time_bins))
        self._passive = False

    def look_at(self, stimuli: BrainScoreStimulusSet | Sequence[str],
                number_of_trials: int = 1) -> NeuroidAssembly | None:
        """Show the stimuli and return the recorded activity.

        Parameters
        ----------
        stimuli : Brain-Score StimulusSet or sequence of image paths
            Already placed on the model's screen (Brain-Score's benchmarks do
            this), so they are taken to span ``visual_degrees()``.
        number_of_trials : int
            Ignored beyond validation: the model is deterministic.

        Returns
        -------
        NeuroidAssembly, shape (presentation, neuroid, time_bin), or None
            None during the passive task. Coords: ``stimulus_id`` and the
            stimulus metadata on presentation; ``neuroid_id``, ``region``,
            ``layer`` on neuroid; ``time_bin_start``, ``time_bin_end`` and
            ``time_step`` (the model step used) on time_bin. Attrs: the
            activations' provenance plus ``time_mapping``.

        Raises
        ------
        ConfigError
            If neither a recording nor the passive task was started.
        """
        positive_int("number_of_trials", number_of_trials)
        if self._recording is None:
            if self._passive:
                return None
            raise ConfigError("call start_recording(region, time_bins) (or start_task('passive')) before look_at.")
        region, edges = self._recording
        area = self._region_areas[region]
        stimuli = _as_brainscore_stimuli(stimuli)
        stimulus_set = from_brainscore_stimulus_set(
            stimuli, identifier=getattr(stimuli, "identifier", None) or f"{self._identifier}.stimuli",
            degrees=self._visual_degrees)
        activations = extract(self._model, stimulus_set, [area], self._n_steps, image_size=self._image_size,
                              model_degrees=self._visual_degrees, model_name=self._identifier,
                              **self._extract_options)
        assemblies = import_brainscore("brainscore_core.supported_data_standards.brainio.assemblies", "look_at")
        return assemblies.NeuroidAssembly(to_brainscore(self._binned(activations, region, edges)))

    def _binned(self, activations: xr.DataArray, region: str, edges: np.ndarray) -> xr.DataArray:
        """(presentation, neuroid, time_bin): each bin takes the activations of its mapped step."""
        area_steps = int(activations["layer_steps"].values[0])
        mapping = self._time_mapping.resolve(step_times(activations, area_steps))
        steps = mapping.steps_for_bins(edges[:, 0], edges[:, 1], area_steps)
        values = activations.values[:, :, steps]
        presentation = {name: ("presentation", coord.values) for name, coord in activations.coords.items()
                        if coord.dims == ("presentation",)}
        binned = xr.DataArray(values, dims=("presentation", "neuroid", "time_bin"), coords={
            **presentation,
            "neuroid_id": ("neuroid", activations["neuroid_id"].values),
            "region": ("neuroid", np.full(activations.sizes["neuroid"], region, dtype=object)),
            "layer": ("neuroid", activations["layer"].values),
            "time_bin_start": ("time_bin", edges[:, 0]),
            "time_bin_end": ("time_bin", edges[:, 1]),
            "time_step": ("time_bin", steps),
        })
        binned.attrs.update(activations.attrs, time_mapping=mapping.describe())
        return binned


def _check_regions(model: nn.Module, region_areas: Mapping[str, str]) -> None:
    if not region_areas:
        raise ConfigError("region_areas is empty; map each brain region to a model area, e.g. {'IT': 'IT_conv5'}.")
    areas = list(getattr(model, "areas", ()))
    unknown = {region: area for region, area in region_areas.items() if area not in areas}
    if unknown:
        raise ConfigError(f"region_areas names areas the model lacks: {unknown}; the model's areas are {areas}.")


def _bin_edges(time_bins: Sequence[tuple[float, float]]) -> np.ndarray:
    """(B, 2) numeric array of bin edges (their given type) from Brain-Score's list of bins."""
    pairs = [time_bin.item() if isinstance(time_bin, np.ndarray) and time_bin.ndim == 0 else time_bin
             for time_bin in time_bins]
    try:
        edges = np.array([[start, end] for start, end in pairs])
    except (TypeError, ValueError) as error:
        raise ConfigError(f"time_bins must be (start_ms, end_ms) pairs, got {list(time_bins)!r}.") from error
    if len(edges) == 0 or edges.dtype.kind not in "iuf" or (edges[:, 1] <= edges[:, 0]).any():
        raise ConfigError(f"time_bins must be a non-empty list of (start_ms, end_ms) with end > start, "
                          f"got {edges.tolist()}.")
    return edges


def _as_brainscore_stimuli(stimuli: BrainScoreStimulusSet | Sequence[str]) -> BrainScoreStimulusSet:
    """Brain-Score's StimulusSet as given, or one built from a list of image paths (the paths are the ids)."""
    if isinstance(stimuli, pd.DataFrame):
        return stimuli
    brainio_stimuli = import_brainscore("brainscore_core.supported_data_standards.brainio.stimuli", "look_at")
    paths = [str(Path(path).absolute()) for path in stimuli]
    converted = brainio_stimuli.StimulusSet({"stimulus_id": paths})
    converted.stimulus_paths = dict(zip(paths, paths, strict=True))
    return converted
