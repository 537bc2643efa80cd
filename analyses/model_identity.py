"""What identifies a model's activations: its name, the hash of its weights and of its configuration, its origin.

``weights_hash`` fingerprints the learned state (parameters and buffers);
``configuration_hash`` fingerprints the settings that change activations without
changing any weight (a ConvRNN's ``image_off`` or ``readout``, a wrapped module's
area paths, a dropout probability). ``record_origin`` notes where a loaded
model's weights came from (a training run's folder, its recipe's model name, the
checkpoint used); it is kept on the model object outside its state and settings,
so it changes neither hash, and it lapses once other weights are loaded into the
model. :func:`model_identity` gathers all of these: they key the activation
cache and the provenance of results.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

import torch
from torch import nn

__all__ = ["weights_hash", "configuration_hash", "record_origin", "model_identity"]

_HEX_CHARACTERS = 16
_PLAIN_TYPES = (str, int, float, bool, type(None))
_ORIGIN_ATTRIBUTE = "_chronoscore_origin"


def weights_hash(model: nn.Module) -> str:
    """SHA-256 of the model's state dict, first 16 hex characters.

    Every tensor of ``model.state_dict()`` (parameters and buffers, in name order)
    enters with its name, dtype, shape and raw bytes, so equal weights on any device
    give equal hashes and a renamed, reshaped or retyped tensor changes the hash.
    """
    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        tensor = tensor.detach().to("cpu").contiguous()
        digest.update(f"{name}|{tensor.dtype}|{tuple(tensor.shape)}|".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy())  # the buffer itself: no copy
    return digest.hexdigest()[:_HEX_CHARACTERS]


def configuration_hash(model: nn.Module) -> str:
    """SHA-256 (first 16 hex characters) of every submodule's type and plain settings.

    Plain settings are the public attributes of each submodule holding numbers,
    strings, booleans, None, or lists, tuples and dicts of those (``image_off``,
    ``step_ms``, ``area_paths``, ``kernel_size``, ...); functions enter by their
    qualified name. The ``training`` flag and tensors are left out.
    """
    description = []
    for name, module in model.named_modules():
        settings = {key: _plain(value) for key, value in sorted(vars(module).items())
                    if not key.startswith("_") and key != "training"}
        settings = {key: value for key, value in settings.items() if value is not _SKIPPED}
        description.append([name, f"{type(module).__module__}.{type(module).__qualname__}", settings])
    text = json.dumps(description, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:_HEX_CHARACTERS]


def record_origin(model: nn.Module, origin: Mapping[str, str | int]) -> nn.Module:
    """Note on ``model`` where its current weights came from; returns ``model``.

    ``origin`` maps plain names (``run_folder``, ``recipe_model``, ``checkpoint``,
    ``checkpoint_step``, ``checkpoint_sha256``) to strings or integers. It is kept
    in a private attribute with the weights' hash, so :func:`configuration_hash`
    and the state dict do not see it; :func:`model_identity` reports it only while
    the model still holds those weights. A later call replaces it.
    """
    setattr(model, _ORIGIN_ATTRIBUTE, (weights_hash(model), dict(origin)))
    return model


def model_identity(model: nn.Module, name: str) -> dict[str, str | int]:
    """``model`` (= ``name``), ``weights_hash``, ``configuration_hash`` and the recorded origin, as one dict.

    The origin noted by :func:`record_origin` is left out when the model's weights
    have changed since (it no longer says where they came from).
    """
    identity = {"model": name, "weights_hash": weights_hash(model), "configuration_hash": configuration_hash(model)}
    recorded_hash, origin = getattr(model, _ORIGIN_ATTRIBUTE, (None, {}))
    return {**identity, **origin} if recorded_hash == identity["weights_hash"] else identity


_SKIPPED = object()


def _plain(value: object) -> object:
    """``value`` as JSON-able plain data, or ``_SKIPPED`` when it holds anything else."""
    if isinstance(value, _PLAIN_TYPES):
        return value
    if isinstance(value, (list, tuple)):
        items = [_plain(item) for item in value]
        return _SKIPPED if any(item is _SKIPPED for item in items) else items
    if isinstance(value, Mapping):
        items = {str(key): _plain(item) for key, item in value.items()}
        return _SKIPPED if any(item is _SKIPPED for item in items.values()) else items
    if callable(value) and hasattr(value, "__qualname__") and not isinstance(value, (nn.Module, torch.Tensor)):
        return f"{getattr(value, '__module__', '')}.{value.__qualname__}"
    return _SKIPPED
