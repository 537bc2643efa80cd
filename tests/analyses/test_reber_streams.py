"""The RSM claim's pieces: the grammar's ceiling, per-string scoring, digit codes, the converged readout, the runs."""

import json

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

from chronoscore.analyses.claims.catalog import get_claim, recipe_path
from chronoscore.analyses.claims.linear_readout import fit_linear_readout
from chronoscore.analyses.claims.reber_scores import ceiling_accuracy, per_string_accuracy
from chronoscore.analyses.claims.reber_streams import (StreamSettings, load_stream_settings, stream_run_folder,
                                                       train_stream_run)
from chronoscore.analyses.model_identity import weights_hash
from chronoscore.errors import ConfigError, DataFormatError
from chronoscore.stimuli.generators.reber import (draw_reber_string, reber_choices, reber_digit_codes,
                                                  reber_sequences)

TINY = StreamSettings(groups=6, cells=2, k=2, classifier_hidden=5, n_streams=3, updates=6, checkpoint_every=2,
                      readout_n=10, eval_streams=2)


def test_choices_after_each_prefix_by_hand():
    # B T B T X S E T E: after B -> T|P; after BT -> B; inner state 0 -> T|P; 1 -> S|X; 3 -> X|S; then E, T, E fixed
    assert reber_choices("BTBTXSETE").tolist() == [2, 1, 2, 2, 2, 1, 1, 1]
    # B P B P V P X V V E P E: inner P V P X V V walks 0 -> 2 -> 4 -> 3 -> 2 -> 4 -> end
    assert reber_choices("BPBPVPXVVEPE").tolist() == [2, 1, 2, 2, 2, 2, 2, 2, 1, 1, 1]


@pytest.mark.parametrize("string", ["BTBTXSEPE", "BTBTXXETE", "BTBTXSE", "XTBTXSETE", "BTBTSXETE"])
def test_choices_refuse_strings_outside_the_grammar(string):
    with pytest.raises(DataFormatError, match="embedded Reber"):
        reber_choices(string)


def test_every_drawn_string_is_in_the_grammar():
    strings, _ = reber_sequences(300, seed=5)
    assert all(len(reber_choices(string)) == len(string) - 1 for string in strings)


def test_ceiling_by_hand():
    ceiling = ceiling_accuracy(["BTBTXSETE", "BPBPVPXVVEPE"])
    assert ceiling["predictable"] == 1.0
    assert ceiling["all"] == pytest.approx((0.5 * (4 + 7) + (4 + 4)) / (8 + 11))


def test_per_string_accuracy_by_hand():
    strings = ["BTBTXSETE", "BPBPVVEPE"]
    first = [-1, 1, 0, 1, 4, 3, 6, 1, 6]  # indices into BTPSXVE: every symbol right
    second = [-1, 1, 0, 2, 5, 5, 6, 1, 6]  # second symbol wrong (T for P), predictable wrong (T for P)
    accuracy = per_string_accuracy([np.array(first), np.array(second)], strings)
    assert accuracy["predictable"] == 0.5
    assert accuracy["all"] == pytest.approx((8 + 6) / 16)


def test_digit_codes_are_the_first_bundled_image_of_each_symbols_alphabetical_rank():
    digits = load_digits()
    codes = reber_digit_codes()
    assert codes.shape == (7, 64) and codes.dtype == np.float32
    for symbol, rank in zip("BTPSXVE", (0, 4, 2, 3, 6, 5, 1), strict=True):  # alphabetical: B E P S T V X
        first = digits.images[np.flatnonzero(digits.target == rank)[0]] / 16.0
        np.testing.assert_allclose(codes["BTPSXVE".index(symbol)], first.reshape(-1), rtol=1e-6)


def test_drawing_one_string_at_a_time_gives_reber_sequences():
    rng = np.random.default_rng(7)
    assert [draw_reber_string(rng) for _ in range(20)] == reber_sequences(20, seed=7)[0]


@pytest.mark.parametrize("seed, n, features", [(0, 300, 5), (1, 500, 12)])
def test_converged_readout_matches_scikit_learn(seed, n, features):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features))
    y = (x @ rng.normal(size=(features, 4)) + rng.normal(size=(n, 4))).argmax(axis=1)
    l2 = 1e-2
    readout = fit_linear_readout(torch.from_numpy(x), torch.from_numpy(y), 4, l2=l2, tolerance=1e-8)
    assert readout.converged
    # the same objective: mean cross-entropy + l2/2 |W|^2  <=>  C = 1 / (l2 n), intercept unpenalised
    reference = LogisticRegression(C=1 / (l2 * n), tol=1e-12, max_iter=10_000).fit(x, y)
    with torch.no_grad():
        ours = torch.softmax(readout.layer(torch.from_numpy(x)), dim=1).numpy()
    np.testing.assert_allclose(ours, reference.predict_proba(x), atol=1e-5)
    assert np.array_equal(readout.predict(torch.from_numpy(x)).numpy(), reference.predict(x))


def test_readout_checks_shapes():
    with pytest.raises(DataFormatError, match="features must be"):
        fit_linear_readout(torch.zeros(5, 3), torch.zeros(4), 2)


def test_settings_from_yaml_with_overrides(tmp_path):
    path = tmp_path / "settings.yaml"
    path.write_text("groups: 10\nk: 3\nsymbols: digits\n")
    settings = load_stream_settings(path, ["updates=7", "lr=0.001"])
    assert (settings.groups, settings.symbols, settings.updates, settings.lr) == (10, "digits", 7, 0.001)
    assert settings.model().n_inputs == 64 and settings.codes().shape == (7, 64)
    with pytest.raises(ConfigError, match="unknown stream settings"):
        load_stream_settings(path, ["gruops=3"])
    with pytest.raises(ConfigError, match="symbols"):
        load_stream_settings(path, ["symbols=letters"])


def test_run_folders_ignore_the_run_length_and_tell_seeds_apart(tmp_path):
    longer = StreamSettings(**{**TINY.__dict__, "updates": 60, "checkpoint_every": 5})
    assert stream_run_folder(TINY, 0, tmp_path) == stream_run_folder(longer, 0, tmp_path)
    assert stream_run_folder(TINY, 0, tmp_path) != stream_run_folder(TINY, 1, tmp_path)
    assert stream_run_folder(TINY, 0, tmp_path) != stream_run_folder(StreamSettings(**{**TINY.__dict__, "cells": 3}),
                                                                     0, tmp_path)


def test_a_run_asked_for_more_updates_continues_where_it_stopped(tmp_path):
    straight, _ = train_stream_run(TINY, 0, tmp_path / "straight")
    shorter = StreamSettings(**{**TINY.__dict__, "updates": 3})
    train_stream_run(shorter, 0, tmp_path / "resumed")
    resumed, summary = train_stream_run(TINY, 0, tmp_path / "resumed")
    assert summary["updates"] == 6
    for name, value in straight.state_dict().items():
        assert torch.equal(resumed.state_dict()[name], value), name
    saved = json.loads((stream_run_folder(TINY, 0, tmp_path / "resumed") / "summary.json").read_text())
    assert saved["updates"] == 6
    assert saved["weights_hash"] == weights_hash(straight) and saved["chronoscore_version"]
    with pytest.raises(ConfigError, match="more than the 3 asked"):
        train_stream_run(shorter, 0, tmp_path / "resumed")


def test_the_claims_stream_settings_load_at_every_scale():
    claim = get_claim("rsm_reber")
    settings = {name: load_stream_settings(recipe_path(claim.stream_recipe), scale.overrides)
                for name, scale in claim.scales.items()}
    release = settings["release"]
    assert (release.updates, release.n_streams, release.lr, release.cells, release.device) == (
        40_000, 400, 5e-4, 8, "cuda")
    assert settings["small"].device == "cpu" and settings["small"].n_streams == 400


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_a_run_on_the_gpu_matches_the_cpu(tmp_path):
    on_cpu, _ = train_stream_run(TINY, 0, tmp_path / "cpu")
    on_gpu, _ = train_stream_run(StreamSettings(**{**TINY.__dict__, "device": "cuda"}), 0, tmp_path / "gpu")
    for name, value in on_cpu.state_dict().items():
        torch.testing.assert_close(on_gpu.state_dict()[name].cpu(), value, rtol=1e-4, atol=1e-5)
