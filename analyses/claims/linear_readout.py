"""A linear classifier trained to convergence on frozen features: what a code holds, apart from how it was read.

Multinomial logistic regression ``softmax(W x + b)`` fitted by full-batch L-BFGS
(strong Wolfe line search) on the mean cross-entropy plus ``l2 / 2 · ‖W‖²``,
until the gradient's largest entry falls below ``tolerance`` or ``max_iterations``
pass; :class:`LinearReadout` records which.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional

from chronoscore.errors import DataFormatError

__all__ = ["LinearReadout", "fit_linear_readout"]


@dataclass(frozen=True)
class LinearReadout:
    """A fitted readout.

    Attributes
    ----------
    layer : nn.Linear
        F features -> n classes.
    iterations : int
        L-BFGS iterations made.
    gradient : float
        Largest absolute entry of the objective's gradient at the end.
    converged : bool
        ``gradient`` is below the tolerance.
    """

    layer: nn.Linear
    iterations: int
    gradient: float
    converged: bool

    def predict(self, features: torch.Tensor) -> torch.Tensor:
        """Class indices (N,) of features (N, F)."""
        with torch.no_grad():
            return self.layer(features.to(self.layer.weight.dtype)).argmax(dim=1)


def fit_linear_readout(features: torch.Tensor, labels: torch.Tensor, n_classes: int, *, l2: float = 1e-4,
                       tolerance: float = 1e-5, max_iterations: int = 1000) -> LinearReadout:
    """Fit a :class:`LinearReadout` to features (N, F) and labels (N,) in float64 (see the module docstring)."""
    if features.ndim != 2 or labels.shape != (features.shape[0],):
        raise DataFormatError(f"features must be (N, F) and labels (N,), got {tuple(features.shape)} and "
                              f"{tuple(labels.shape)}.")
    x, y = features.double(), labels.long().to(features.device)
    layer = nn.Linear(x.shape[1], n_classes).to(x)
    nn.init.zeros_(layer.weight)
    nn.init.zeros_(layer.bias)
    optimiser = torch.optim.LBFGS(layer.parameters(), lr=1.0, max_iter=max_iterations, tolerance_grad=tolerance,
                                  tolerance_change=0.0, history_size=20, line_search_fn="strong_wolfe")

    def objective() -> torch.Tensor:
        optimiser.zero_grad()
        loss = functional.cross_entropy(layer(x), y) + 0.5 * l2 * layer.weight.square().sum()
        loss.backward()
        return loss

    optimiser.step(objective)
    objective()
    gradient = max(float(parameter.grad.abs().max()) for parameter in layer.parameters())
    iterations = int(optimiser.state[layer.weight]["n_iter"])  # L-BFGS keeps its state under the first parameter
    return LinearReadout(layer, iterations, gradient, gradient <= tolerance)
