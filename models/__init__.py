"""The model zoo: registry, time-resolved interface, ConvRNNs, feedforward baselines, wrapping.

``create_model(name, **kwargs)`` builds a registered model; ``list_models(pattern)``
lists them; ``wrap_model(module, areas)`` turns any ``nn.Module`` into the
time-resolved interface (``forward_timesteps`` returns {area: (T, B, C, H, W)}).
"""

from chronoscore._lazy import lazy_exports

_EXPORTS = {
    "TimeResolvedModel": "chronoscore.models.base",
    "ConvRNN": "chronoscore.models.convrnn",
    "FeedforwardControl": "chronoscore.models.convrnn_feedforward",
    "count_model_parameters": "chronoscore.models.parameter_count",
    "count_parameters": "chronoscore.models.parameter_count",
    "widen_to_match": "chronoscore.models.parameter_count",
    "create_model": "chronoscore.models.registry",
    "list_models": "chronoscore.models.registry",
    "register_model": "chronoscore.models.registry",
    "wrap_model": "chronoscore.models.wrap",
}
"""Public name -> the module defining it (imported when the name is first used)."""

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)
