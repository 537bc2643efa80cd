"""Metrics by name: one module per metric, each registering one scoring function.

A metric is ``score(features, neural, settings, options, *, time_modes, splits,
progress) -> {time mode: Scores}``; ``options`` is the metric's own frozen
dataclass, filled from ``FitSettings.metric_options``. The shipped metrics:

``pls``
    Brain-Score's ``pls`` metric: PLS regression (``n_components``) per region
    and time bin, Pearson r on held-out stimuli.
``ridge``
    The same with ridge regression of one penalty (``alpha``).
``ridgecv``
    The same with the penalty chosen per split from ``alphas`` by leave-one-out.

Importing this package loads no numerics; a metric's module is imported when
the metric is first asked for (:func:`get_metric`).
"""

from chronoscore.neural_fit.metrics._registry import Metric, NoOptions, get_metric, list_metrics, register_metric

__all__ = ["Metric", "NoOptions", "get_metric", "list_metrics", "register_metric"]
