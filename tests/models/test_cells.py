"""What every cell shares: zero states, the RGC bypass, refused settings (equations: ``test_release_cells``)."""

import pytest
import torch

from chronoscore.errors import ConfigError
from chronoscore.models.layers.cell import same_conv
from chronoscore.models.layers.gru import GRUCell
from chronoscore.models.layers.intersection_rnn import IntersectionRNNCell
from chronoscore.models.layers.lstm import LSTMCell
from chronoscore.models.layers.rgc import ReciprocalGatedCell
from chronoscore.models.layers.time_decay import TimeDecayCell
from chronoscore.models.layers.ugrnn import UGRNNCell
from chronoscore.models.layers.vanilla_rnn import VanillaRNNCell

B, H, W = 2, 5, 6


def randn(*shape, seed):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def elu(x):
    return torch.where(x > 0, x, torch.exp(x) - 1)


def test_rgc_bypass_reaches_the_output_from_a_zero_state():
    # With zero state every gate is 1 - sigmoid(bias); the output is ELU(g * x) and x passes untransformed.
    cell = ReciprocalGatedCell(3, 3).double()  # biases start at zero, as in the release
    x = randn(B, 3, H, W, seed=4)
    output, _ = cell(x, cell.init_state(x))
    torch.testing.assert_close(output, elu(0.5 * x))


@pytest.mark.parametrize("make_cell, state_channels", [
    (lambda: VanillaRNNCell(3, 4), [4]), (lambda: LSTMCell(3, 4), [4, 4]), (lambda: GRUCell(3, 4), [4]),
    (lambda: UGRNNCell(3, 4), [4]), (lambda: IntersectionRNNCell(4, 4), [4]), (lambda: TimeDecayCell(4, 4), [4]),
    (lambda: ReciprocalGatedCell(4, 4, cell_channels=5), [4, 5]),
])
def test_init_state_is_zeros_shaped_from_the_input(make_cell, state_channels):
    cell = make_cell().double()
    x = randn(B, cell.in_channels, H, W, seed=0)
    state = cell.init_state(x)
    states = state if isinstance(state, tuple) else (state,)
    assert [tensor.shape for tensor in states] == [(B, channels, H, W) for channels in state_channels]
    assert all(tensor.dtype == torch.float64 and not tensor.any() for tensor in states)
    output, _ = cell(x, state)
    assert output.shape == (B, 4, H, W)


@pytest.mark.parametrize("make_cell", [
    lambda: IntersectionRNNCell(3, 4), lambda: TimeDecayCell(3, 4), lambda: ReciprocalGatedCell(3, 4),
    lambda: ReciprocalGatedCell(4, 4, out_residual=True), lambda: ReciprocalGatedCell(4, 4, gate_nonlinearity="relu"),
    lambda: LSTMCell(3, 4, peephole_size=(0, 3)), lambda: same_conv(3, 4, 0),
])
def test_bad_cell_settings_raise_config_error(make_cell):
    with pytest.raises(ConfigError):
        make_cell()
