"""Each cell and the RGC layer against the ConvRNN release's equations, written out in numpy.

The equations are those of the authors' release (``cells.py``, ``median_rgcell.py`` and
``median_rgcell_cfg.py`` of github.com/neuroailab/convrnns); the numpy operations are in
``release_numpy``. Every parameter is randomised so that every term matters.
"""

import numpy as np
import pytest
import torch

from chronoscore.models.convrnn_bases import LayerSpec
from chronoscore.models.convrnn_layer import ConvRNNLayer
from chronoscore.models.layers.cell import same_conv
from chronoscore.models.layers.gru import GRUCell
from chronoscore.models.layers.intersection_rnn import IntersectionRNNCell
from chronoscore.models.layers.lstm import LSTMCell
from chronoscore.models.layers.rgc import MEDIAN_RGC_OPTIONS, SHALLOW_RGC_OPTIONS, ReciprocalGatedCell
from chronoscore.models.layers.time_decay import TimeDecayCell
from chronoscore.models.layers.ugrnn import UGRNNCell
from chronoscore.models.layers.vanilla_rnn import VanillaRNNCell

from .release_numpy import (conv2d_same, elu, layer_norm, max_pool_same, resize_bilinear_align_corners,
                            separable_same, sigmoid)

SEEDS = [0, 1, 2]
TOLERANCE = 1e-6
B = 2
TAU = 0.9219348064291611   # median_rgcell_cfg.py: tau_offset = -tau_multiplier
GATE = 0.7006566684988862  # gate_offset = -gate_multiplier


def rand(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape)


def tensor(array):
    return torch.from_numpy(array)


def numpy_of(parameter):
    return None if parameter is None else parameter.detach().numpy()


def randomise(module, seed):
    generator = torch.Generator().manual_seed(seed + 100)
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.copy_(0.5 * torch.randn(parameter.shape, generator=generator, dtype=parameter.dtype))
    return module


def full(x, conv):
    return conv2d_same(x, numpy_of(conv.weight), numpy_of(conv.bias))


def separable(x, sequential):
    return separable_same(x, numpy_of(sequential[0].weight), numpy_of(sequential[1].weight),
                          numpy_of(sequential[1].bias))


def close(actual, expected):
    np.testing.assert_allclose(actual.detach().numpy(), expected, rtol=TOLERANCE, atol=TOLERANCE)


# ---- TensorFlow "SAME" padding -------------------------------------------------------------------

def test_an_even_kernel_pads_after_as_tensorflow():
    conv = same_conv(1, 1, 2, bias=False).double()
    with torch.no_grad():
        conv.weight.fill_(1.0)
    x = torch.arange(9, dtype=torch.float64).view(1, 1, 3, 3)
    # the bottom-right output sees only x[2, 2]: the padding row and column come after
    expected = torch.tensor([[0 + 1 + 3 + 4, 1 + 2 + 4 + 5, 2 + 5], [3 + 4 + 6 + 7, 4 + 5 + 7 + 8, 5 + 8], [6 + 7, 7 + 8, 8]],
                            dtype=torch.float64)
    torch.testing.assert_close(conv(x)[0, 0], expected)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kernel, stride, size", [(2, 1, (5, 6)), (4, 1, (6, 7)), (7, 2, (9, 10)), (3, 2, (8, 7)),
                                                  (3, 1, (5, 5))])
def test_same_conv_matches_tensorflow_same(seed, kernel, stride, size):
    conv = randomise(same_conv(3, 4, kernel, stride=stride).double(), seed)
    x = rand((B, 3, *size), seed)
    close(conv(tensor(x)), full_stride(x, conv, stride))


def full_stride(x, conv, stride):
    return conv2d_same(x, numpy_of(conv.weight), numpy_of(conv.bias), stride=stride)


@pytest.mark.parametrize("seed", SEEDS)
def test_separable_conv_matches_tensorflow_separable_conv2d(seed):
    conv = randomise(same_conv(3, 5, 7, separable=True).double(), seed)
    x = rand((B, 3, 8, 9), seed)
    assert conv[0].bias is None and conv[1].bias is not None  # the release's bias comes after the pointwise step
    close(conv(tensor(x)), separable(x, conv))


# ---- the median RGC (intermediate model) ---------------------------------------------------------

def median_cell(channels=4, memory=3, layer_input=5, feedback=6):
    options = {**MEDIAN_RGC_OPTIONS, "cell_channels": memory}
    return ReciprocalGatedCell(channels, channels, **options, layer_input_channels=layer_input,
                               feedback_channels=feedback).double()


def median_expected(cell, x, u, fb, h, c):
    tau_c = sigmoid(separable(c, cell.cell_tau))
    gate_c = np.tanh(separable(h, cell.cell_gate))
    c_next = elu((TAU - TAU * tau_c) * c + (GATE - GATE * gate_c) * full(x, cell.input_to_cell))
    projection = u if cell.residual_projection is None else conv2d_same(u, numpy_of(cell.residual_projection.weight))
    drive = full(x, cell.input_to_out) + projection
    if fb is not None:
        drive = drive + full(fb, cell.feedback)
    tau_h = sigmoid(separable(h, cell.out_tau))
    gate_h = np.tanh(separable(c, cell.out_gate))
    h_next = elu((TAU - TAU * tau_h) * h + (GATE - GATE * gate_h) * drive)
    return h_next, c_next


def test_the_median_cell_has_the_releases_kernels_and_constants():
    cell = median_cell()
    assert tuple(cell.input_to_cell.weight.shape) == (3, 4, 2, 2) and cell.input_to_cell.bias is not None
    assert tuple(cell.input_to_out.weight.shape) == (4, 4, 3, 3)
    for name in ("cell_tau", "cell_gate", "out_tau", "out_gate"):
        depthwise, pointwise = getattr(cell, name)
        assert depthwise.kernel_size == (7, 7) and depthwise.groups == depthwise.in_channels
        assert pointwise.bias is not None
    assert tuple(cell.feedback.weight.shape) == (4, 6, 1, 1) and cell.feedback.bias is not None
    assert tuple(cell.residual_projection.weight.shape) == (4, 5, 1, 1) and cell.residual_projection.bias is None
    assert (cell.tau_offset, cell.tau_multiplier, cell.gate_offset, cell.gate_multiplier) == (TAU, -TAU, GATE, -GATE)
    assert MEDIAN_RGC_OPTIONS["cell_channels"] == 64
    assert all(not module.bias.any() for module in median_cell().modules()
               if isinstance(module, torch.nn.Conv2d) and module.bias is not None)  # biases start at zero


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("layer_input, with_feedback", [(5, True), (4, False)])
def test_median_rgc_step(seed, layer_input, with_feedback):
    cell = randomise(median_cell(layer_input=layer_input, feedback=6 if with_feedback else 0), seed)
    shape = (B, 4, 8, 9)
    x, h, c = rand(shape, seed), rand(shape, seed + 10), rand((B, 3, 8, 9), seed + 20)
    u = rand((B, layer_input, 8, 9), seed + 30)
    fb = rand((B, 6, 8, 9), seed + 40) if with_feedback else None
    h_next, c_next = median_expected(cell, x, u, fb, h, c)
    output, (h_state, c_state) = cell(tensor(x), (tensor(h), tensor(c)), layer_input=tensor(u),
                                      feedback=None if fb is None else tensor(fb))
    close(output, h_next)
    close(h_state, h_next)
    close(c_state, c_next)


@pytest.mark.parametrize("seed", SEEDS)
def test_median_rgc_layer_resizes_concatenates_and_gates_feedback_into_the_output_drive(seed):
    spec = LayerSpec("V4_conv6", 4, pool=True, recurrent=True)
    layer = ConvRNNLayer(5, spec, 1.0, "rgc", {**MEDIAN_RGC_OPTIONS, "cell_channels": 3}, feedback_channels=[6, 2])
    layer = randomise(layer.double(), seed)
    u = rand((B, 5, 7, 9), seed)
    sources = [rand((B, 6, 4, 5), seed + 1), rand((B, 2, 3, 3), seed + 2)]
    h, c = rand((B, 4, 7, 9), seed + 3), rand((B, 3, 7, 9), seed + 4)
    x = elu(full(u, layer.conv))
    fb = np.concatenate([resize_bilinear_align_corners(source, 7, 9) for source in sources], axis=1)
    h_next, c_next = median_expected(layer.cell, x, u, fb, h, c)
    output, (h_state, c_state) = layer(tensor(u), [tensor(source) for source in sources], (tensor(h), tensor(c)))
    close(output, max_pool_same(h_next))
    close(h_state, h_next)
    close(c_state, c_next)


# ---- the shallow models' RGC ---------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
def test_shallow_rgc_step_with_the_residual_to_the_out_gate_and_no_biases(seed):
    cell = randomise(ReciprocalGatedCell(4, 4, **SHALLOW_RGC_OPTIONS, layer_input_channels=3).double(), seed)
    assert not [name for name, _ in cell.named_parameters() if name.endswith("bias")]  # the release's missing biases
    x, h, c, u = rand((B, 4, 5, 6), seed), rand((B, 4, 5, 6), seed + 1), rand((B, 4, 5, 6), seed + 2), \
        rand((B, 3, 5, 6), seed + 3)
    c_next = elu((1 - sigmoid(full(c, cell.cell_tau))) * c + (1 - sigmoid(full(h, cell.cell_gate)))
                 * full(x, cell.input_to_cell))
    out_gate = full(c, cell.out_gate) + full(u, cell.residual_to_gate)
    h_next = elu((1 - sigmoid(full(h, cell.out_tau))) * h + (1 - sigmoid(out_gate)) * x)
    output, (h_state, c_state) = cell(tensor(x), (tensor(h), tensor(c)), layer_input=tensor(u))
    close(output, h_next)
    close(h_state, h_next)
    close(c_state, c_next)


# ---- the other cells -------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kernel, peepholes", [(2, False), (3, True), (4, False)])
def test_lstm_step_with_layer_norm_peepholes_and_even_kernels(seed, kernel, peepholes):
    cell = LSTMCell(3, 4, kernel, forget_bias=1.356, layer_norm=True, peephole_size=(5, 6) if peepholes else None)
    cell = randomise(cell.double(), seed)
    x, h, c = rand((B, 3, 5, 6), seed), rand((B, 4, 5, 6), seed + 1), rand((B, 4, 5, 6), seed + 2)
    pre = full(np.concatenate([x, h], axis=1), cell.conv)
    norms = [(numpy_of(norm.weight), numpy_of(norm.bias)) for norm in cell.norms]
    i, j, f, o = (layer_norm(pre[:, 4 * k:4 * k + 4], *norms[k]) for k in range(4))
    if peepholes:
        weights = numpy_of(cell.peepholes)
        f, i, o = f + weights[0] * c, i + weights[1] * c, o + weights[2] * c
    c_next = layer_norm(sigmoid(f + 1.356) * c + sigmoid(i) * np.tanh(j), *norms[4])
    h_next = np.tanh(c_next) * sigmoid(o)
    output, (h_state, c_state) = cell(tensor(x), (tensor(h), tensor(c)))
    close(output, h_next)
    close(c_state, c_next)


@pytest.mark.parametrize("seed", SEEDS)
def test_gru_step_with_the_reset_bias(seed):
    cell = randomise(GRUCell(3, 4).double(), seed)
    x, h = rand((B, 3, 5, 6), seed), rand((B, 4, 5, 6), seed + 1)
    gates = full(np.concatenate([x, h], axis=1), cell.gates)
    reset, update = sigmoid(gates[:, :4] + 1.0), sigmoid(gates[:, 4:])
    candidate = np.tanh(full(np.concatenate([x, reset * h], axis=1), cell.candidate))
    close(cell(tensor(x), tensor(h))[0], update * h + (1 - update) * candidate)


@pytest.mark.parametrize("seed", SEEDS)
def test_ugrnn_step_gate_first(seed):
    cell = randomise(UGRNNCell(3, 4).double(), seed)
    x, h = rand((B, 3, 5, 6), seed), rand((B, 4, 5, 6), seed + 1)
    pre = full(np.concatenate([x, h], axis=1), cell.conv)
    gate, candidate = sigmoid(pre[:, :4] + 1.0), np.tanh(pre[:, 4:])
    close(cell(tensor(x), tensor(h))[0], gate * h + (1 - gate) * candidate)


@pytest.mark.parametrize("seed", SEEDS)
def test_intersection_rnn_step(seed):
    cell = randomise(IntersectionRNNCell(4, 4).double(), seed)
    x, h = rand((B, 4, 5, 6), seed), rand((B, 4, 5, 6), seed + 1)
    pre = full(np.concatenate([x, h], axis=1), cell.conv)
    g_h, h_candidate = sigmoid(pre[:, 0:4] + 1.0), np.tanh(pre[:, 4:8])
    g_y, y_candidate = sigmoid(pre[:, 8:12] + 1.0), np.maximum(pre[:, 12:16], 0)
    output, state = cell(tensor(x), tensor(h))
    close(output, g_y * x + (1 - g_y) * y_candidate)
    close(state, g_h * h + (1 - g_h) * h_candidate)


@pytest.mark.parametrize("seed", SEEDS)
def test_vanilla_rnn_step_with_two_biased_convolutions_and_layer_norm(seed):
    cell = randomise(VanillaRNNCell(3, 4, layer_norm=True).double(), seed)
    x, h = rand((B, 3, 5, 6), seed), rand((B, 4, 5, 6), seed + 1)
    pre = full(x, cell.input_conv) + full(h, cell.state_conv)
    expected = elu(layer_norm(pre, numpy_of(cell.norm.weight), numpy_of(cell.norm.bias)))
    close(cell(tensor(x), tensor(h))[0], expected)


@pytest.mark.parametrize("seed", SEEDS)
def test_time_decay_step_with_one_scalar(seed):
    cell = randomise(TimeDecayCell(4, 4).double(), seed)
    assert cell.decay.numel() == 1
    x, h = rand((B, 4, 5, 6), seed), rand((B, 4, 5, 6), seed + 1)
    close(cell(tensor(x), tensor(h))[0], numpy_of(cell.decay)[0] * h + x)


def test_starting_values_follow_the_release():
    gru = GRUCell(3, 4)
    assert torch.equal(gru.gates.bias, torch.ones(8)) and not gru.candidate.bias.any()
    assert TimeDecayCell(4, 4).decay.item() == 0.0
    assert torch.equal(LSTMCell(3, 4, bias_init=-1.166).conv.bias, torch.full((16,), -1.166))
    assert not UGRNNCell(3, 4).conv.bias.any() and not IntersectionRNNCell(4, 4).conv.bias.any()
