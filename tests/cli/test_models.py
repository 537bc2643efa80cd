"""``chronoscore models``: listing, patterns, parameter counts and the error for no match."""

from chronoscore.cli import main
from chronoscore.models.registry import list_models


def test_models_lists_every_registered_model(capsys):
    assert main(["models"]) == 0
    assert capsys.readouterr().out.split() == list_models()


def test_a_plain_word_matches_names_containing_it(capsys):
    assert main(["models", "rgc"]) == 0
    assert capsys.readouterr().out.split() == ["convrnn_intermediate_rgc", "convrnn_shallow_rgc"]


def test_params_prints_the_count_at_default_settings(capsys):
    assert main(["models", "ff_shal*", "--params"]) == 0
    name, count = capsys.readouterr().out.split()
    # 5 convolutions (64·7², 128, 256, 256, 512 ·3²) and a 2×2 512 → 1000 readout convolution, each with biases
    expected = (49 * 3 * 64 + 64) + (9 * 64 * 128 + 128) + (9 * 128 * 256 + 256) + (9 * 256 * 256 + 256) \
        + (9 * 256 * 512 + 512) + (4 * 512 * 1000 + 1000)
    assert name == "ff_shallow"
    assert int(count.replace(",", "")) == expected


def test_no_match_is_a_user_error(capsys):
    assert main(["models", "no_such_model"]) == 2
    assert "no registered model matches 'no_such_model'" in capsys.readouterr().err
