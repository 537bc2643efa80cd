"""Content hashes and the provenance attributes every result carries."""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Mapping

import numpy as np
import xarray as xr

import chronoscore

__all__ = ["content_hash", "provenance_attrs"]


def content_hash(data: xr.DataArray) -> str:
    """SHA-256 (hex, first 16 characters) of values, dims and coordinates.

    Two arrays with the same values and labels hash the same, whatever file
    they came from.
    """
    digest = hashlib.sha256()
    digest.update(repr(data.dims).encode())
    digest.update(np.ascontiguousarray(data.values))   # its bytes, read in place
    for name in sorted(data.coords):
        coord = data.coords[name]
        digest.update(name.encode())
        digest.update(repr(coord.dims).encode())
        digest.update(np.asarray(coord.values).astype(str).tobytes())
    return digest.hexdigest()[:16]


def provenance_attrs(features: xr.DataArray | Mapping[str, xr.DataArray], neural: xr.DataArray,
                     settings_json: str, seed: int) -> dict:
    """Attributes recording where a score came from.

    Parameters
    ----------
    features : xarray.DataArray or mapping of region to xarray.DataArray
        Model activations as given to the fit (one set, or one per region).
    neural : xarray.DataArray
        The neural assembly as given to the fit.
    settings_json : str
        The fit settings.
    seed : int
        Random state of the cross-validation.
    """
    per_region = dict(features) if isinstance(features, Mapping) else {"": features}
    first = next(iter(per_region.values()))
    features_hash = "+".join(content_hash(per_region[region]) for region in sorted(per_region))
    attrs = {
        "model": str(first.attrs.get("model", first.name or "unknown")),
        "weights_hash": str(first.attrs.get("weights_hash", "unknown")),
        "features_hash": features_hash,
        "data": str(neural.attrs.get("identifier", neural.name or "unknown")),
        "data_hash": content_hash(neural),
        "metric_settings": settings_json,
        "chronoscore_version": chronoscore.__version__,
        "seed": int(seed),
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    if isinstance(features, Mapping):
        attrs["areas"] = json.dumps({region: _layers(values) for region, values in sorted(per_region.items())})
    return attrs


def _layers(features: xr.DataArray) -> list[str]:
    """The model layers (areas) the features come from, per their ``layer`` coordinate."""
    return sorted({str(layer) for layer in features.coords["layer"].values}) if "layer" in features.coords else []
