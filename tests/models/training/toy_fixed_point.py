"""A small fixed-point model, h ← tanh(W h + U x̄), whose contraction is set by the spectral norm of W."""

import torch
from torch import nn

from chronoscore.models.fixed_point import RecurrentState


class ToyFixedPoint(nn.Module):
    """Drive U x̄ of the flattened image x̄, step tanh(W h + drive), linear readout.

    The step's Jacobian is diag(1 − h²) W, whose norm is at most ``spectral_norm``.
    """

    def __init__(self, n_inputs, n_hidden, n_classes, spectral_norm, seed, dtype=torch.float64):
        super().__init__()
        generator = torch.Generator().manual_seed(seed)
        weight = torch.randn(n_hidden, n_hidden, generator=generator, dtype=dtype)
        self.recurrent = nn.Parameter(weight * spectral_norm / torch.linalg.matrix_norm(weight, ord=2))
        self.encoder = nn.Parameter(torch.randn(n_hidden, n_inputs, generator=generator, dtype=dtype) / n_inputs ** 0.5)
        self.bias = nn.Parameter(0.1 * torch.randn(n_hidden, generator=generator, dtype=dtype))
        self.decoder = nn.Parameter(torch.randn(n_classes, n_hidden, generator=generator, dtype=dtype))

    def drive(self, images):
        return images.flatten(1) @ self.encoder.T

    def init_state(self, drive):
        return RecurrentState(torch.zeros_like(drive), 0)

    def step(self, drive, state):
        return RecurrentState(torch.tanh(state.hidden @ self.recurrent.T + drive + self.bias), state.step + 1)

    def readout(self, state):
        return state.hidden @ self.decoder.T


def toy_batch(batch, n_inputs, n_classes, seed, dtype=torch.float64):
    """Inputs (batch, 1, 1, n_inputs) (the drive flattens them) and random labels (batch,)."""
    generator = torch.Generator().manual_seed(seed + 100)
    images = torch.randn(batch, n_inputs, generator=generator, dtype=dtype).view(batch, 1, 1, n_inputs)
    return images, torch.randint(n_classes, (batch,), generator=generator)


def gradients(model):
    """{name: gradient} of the model's parameters (zero if None), cloned, then cleared."""
    grads = {name: torch.zeros_like(parameter) if parameter.grad is None else parameter.grad.clone()
             for name, parameter in model.named_parameters()}
    model.zero_grad(set_to_none=True)
    return grads


def relative_error(first, second):
    """Largest over parameters of ‖a − b‖ / max(‖b‖, 10⁻³ · the largest ‖b‖ of any parameter).

    The floor keeps gradients that vanish at the fixed point (e.g. the hGRU's mix gate
    multiplies H̃ − H, which is 0 there) from dividing rounding noise by almost nothing.
    """
    norms = {name: torch.linalg.vector_norm(second[name]) for name in second}
    floor = 1e-3 * max(norms.values())
    return max(float(torch.linalg.vector_norm(first[name] - second[name]) / max(norms[name], floor))
               for name in second)
