"""Parameter counts against the ConvRNN release and closed-form formulas; width-matched controls."""

import pytest

from chronoscore.errors import ConfigError
from chronoscore.models.parameter_count import count_model_parameters, count_parameters, widen_to_match

from .release_counts import RELEASE_COUNTS, SHALLOW_CELL_NAMES, rgc_intermediate, shallow
from .tiny_models import tiny_model

INTERMEDIATE = [64, 64, 64, 128, 128, 256, 256, 512, 512, 512]


def conv(inputs, outputs, kernel, bias=True):
    return kernel * kernel * inputs * outputs + (outputs if bias else 0)


def intermediate_trunk(width, n_classes):
    channels = [round(base * width) for base in INTERMEDIATE]
    total = conv(3, channels[0], 7)
    for inputs, outputs in zip(channels[:-1], channels[1:], strict=True):
        total += conv(inputs, outputs, 3) + conv(outputs, outputs, 3) + (inputs * outputs if inputs != outputs else 0)
    return total + channels[-1] * n_classes + n_classes, channels


def time_decay_intermediate(width, n_classes):
    return intermediate_trunk(width, n_classes)[0] + 7  # one decay per recurrent layer


@pytest.mark.parametrize("name", sorted(RELEASE_COUNTS))
def test_parameter_counts_equal_the_release(name):
    counted = count_model_parameters(name)
    assert abs(counted - RELEASE_COUNTS[name]) <= 0.005 * RELEASE_COUNTS[name]
    assert counted == RELEASE_COUNTS[name]  # in fact exactly


def test_the_transcribed_release_formulas_give_the_counts_of_the_release_files():
    assert rgc_intermediate() == RELEASE_COUNTS["convrnn_intermediate_rgc"]
    for cell, release_name in SHALLOW_CELL_NAMES.items():
        assert shallow(release_name) == RELEASE_COUNTS[f"convrnn_shallow_{cell}"], cell
    assert 15.3e6 < rgc_intermediate() < 15.6e6  # the paper: about 15.5 M


@pytest.mark.parametrize("cell", sorted(SHALLOW_CELL_NAMES))
def test_shallow_counts_follow_the_release_formula_at_other_widths_and_sizes(cell):
    name = f"convrnn_shallow_{cell}"
    assert count_parameters(tiny_model(name)) == shallow(SHALLOW_CELL_NAMES[cell], 1 / 16, 10, 32)
    assert count_model_parameters(name, width=0.5, n_classes=7, input_size=96) == \
        shallow(SHALLOW_CELL_NAMES[cell], 0.5, 7, 96)


@pytest.mark.parametrize("name, formula", [
    ("convrnn_intermediate_rgc", lambda width, n_classes: rgc_intermediate(width, n_classes)),
    ("convrnn_intermediate_time_decay", time_decay_intermediate),
    ("ff_shallow", lambda width, n_classes: shallow("none", width, n_classes)),
    ("ff_intermediate", lambda width, n_classes: intermediate_trunk(width, n_classes)[0]),
])
def test_parameter_counts_follow_the_closed_form(name, formula):
    assert count_parameters(tiny_model(name)) == (formula(1 / 16, 10) if "shallow" not in name
                                                  else shallow("none", 1 / 16, 10, 32))
    assert count_model_parameters(name) == formula(1.0, 1000)  # default settings, counted on the meta device
    assert count_model_parameters(name, width=0.5, n_classes=7) == formula(0.5, 7)


def test_ff_intermediate_widened_to_the_intermediate_rgc():
    control = widen_to_match("ff_intermediate", RELEASE_COUNTS["convrnn_intermediate_rgc"], input_size=32)
    assert abs(control.parameter_match.relative_difference) < 0.001
    assert 0.9 < control.width < 1.0  # the RGC model (15.4 M) is a little smaller than ff_intermediate (16.4 M)


@pytest.mark.parametrize("reference", ["convrnn_shallow_rgc", 20_000])  # nearest count below / above
def test_a_feedforward_control_widened_to_a_reference_parameter_count(reference):
    kwargs = {"input_size": 32, "n_classes": 10}
    if isinstance(reference, str):
        reference = tiny_model(reference)
    control = widen_to_match("ff_shallow", reference, **kwargs)
    match = control.parameter_match
    expected = reference if isinstance(reference, int) else sum(p.numel() for p in reference.parameters())
    assert match.reference_parameters == expected
    assert count_parameters(control) == match.parameters
    assert control.width == match.width
    best_gap = abs(match.parameters - match.reference_parameters)
    for step in range(1, 400):  # no width on a fine grid comes closer
        width = step / 200
        gap = abs(count_model_parameters("ff_shallow", width=width, **kwargs) - match.reference_parameters)
        assert gap >= best_gap, width
    assert abs(match.relative_difference) < 0.01


def test_widen_to_match_refuses_a_width():
    with pytest.raises(ConfigError, match="width"):
        widen_to_match("ff_shallow", 1000, width=2.0)
