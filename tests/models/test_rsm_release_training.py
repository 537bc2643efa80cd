"""The release's way of training the RSM: streams, boundary handling, two optimisers, its classifier and initialisation.

References are written out here step by step: the streams by hand on short made-up
strings, the training loop with the layer's (separately tested) step and one Adam,
the classifier and the initialisers in numpy.
"""

import itertools

import numpy as np
import pytest
import torch
from torch.nn import functional

from chronoscore.errors import ConfigError, DataFormatError
from chronoscore.models.layers.rsm_layer import RSMLayer, RSMLayerState
from chronoscore.models.rsm import RSM
from chronoscore.models.rsm_release_training import ReleaseTraining, stream_memories
from chronoscore.models.rsm_symbol_streams import NO_SYMBOL, SymbolStreams

SMALL = {"groups": 6, "cells": 3, "k": 2, "classifier_hidden": 5}


def listed(strings):
    """A draw function returning ``strings`` in turn (the generator is not used)."""
    queue = itertools.cycle(strings)
    return lambda rng: np.array(next(queue))


def test_streams_start_out_of_step_and_feed_no_symbol_at_each_string_start():
    streams = SymbolStreams(2, listed([[0, 1, 2], [3, 4], [5, 6, 0, 1], [2, 2]]), seed=0)
    steps = [streams.next() for _ in range(4)]
    # stream 0 plays [0 1 2] then [2 2]; stream 1 starts [3 4] at symbol 1 % 2 = 1, then draws [5 6 0 1]
    assert [step.previous.tolist() for step in steps] == [[NO_SYMBOL, NO_SYMBOL], [0, NO_SYMBOL], [1, 5],
                                                          [NO_SYMBOL, 6]]
    assert [step.current.tolist() for step in steps] == [[0, 4], [1, 5], [2, 6], [2, 0]]
    assert [step.ends.tolist() for step in steps] == [[False, True], [False, False], [True, False], [False, False]]


def test_streams_without_desynchronisation_start_together():
    streams = SymbolStreams(3, listed([[0, 1], [2, 3], [4, 5]]), seed=0, desynchronise=False)
    assert streams.next().current.tolist() == [0, 2, 4]


def test_streams_continue_exactly_from_their_state():
    def draw(rng):
        return rng.integers(0, 5, size=rng.integers(2, 6))

    first = SymbolStreams(4, draw, seed=3)
    for _ in range(7):
        first.next()
    second = SymbolStreams(4, draw, seed=99)
    second.load_state_dict(first.state_dict())
    for _ in range(9):
        a, b = first.next(), second.next()
        assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    with pytest.raises(ConfigError, match="same number of streams"):
        SymbolStreams(3, draw, seed=0).load_state_dict(first.state_dict())


def test_streams_refuse_empty_strings():
    with pytest.raises(ConfigError, match="non-empty"):
        SymbolStreams(2, listed([[]]), seed=0)


def hand_written_release_training(model, codes, streams, updates, lr):
    """Per update: layer step on the previous symbol's code (zero at a string start), MSE of the current code over
    all streams and values, cross-entropy of the classifier on the detached memory, one Adam step on their sum
    (the two losses reach disjoint parameters), inhibition cleared where a string ended."""
    adam = torch.optim.Adam(model.parameters(), lr=lr)
    state = RSMLayerState(torch.zeros(streams.n_streams, model.layer.groups * model.layer.cells),
                          torch.zeros(streams.n_streams, model.layer.groups, model.layer.cells))
    for _ in range(updates):
        step = streams.next()
        inputs = torch.zeros(streams.n_streams, codes.shape[1])
        for stream, symbol in enumerate(step.previous):
            if symbol != NO_SYMBOL:
                inputs[stream] = codes[symbol]
        output, state = model.layer(inputs, state)
        error = (output.prediction - codes[torch.from_numpy(step.current)]).square().mean()
        logits = model.classifier(output.memory.detach())
        cross_entropy = functional.cross_entropy(logits, torch.from_numpy(step.current))
        adam.zero_grad()
        (error + cross_entropy).backward()
        adam.step()
        keep = torch.tensor([0.0 if end else 1.0 for end in step.ends])
        state = RSMLayerState(state.trace, state.inhibition * keep[:, None, None])
    return model.state_dict()


def reber_like(rng):
    return rng.integers(0, 4, size=rng.integers(3, 7))


@pytest.mark.parametrize("n_streams, updates, codes", [(3, 5, "one_hot"), (5, 12, "images")])
def test_release_training_matches_a_hand_written_loop(n_streams, updates, codes):
    codes = torch.eye(4) if codes == "one_hot" else torch.rand(4, 9, generator=torch.Generator().manual_seed(1))
    torch.manual_seed(0)
    model = RSM(n_inputs=codes.shape[1], n_classes=4, **SMALL)
    reference = RSM(n_inputs=codes.shape[1], n_classes=4, **SMALL)
    reference.load_state_dict(model.state_dict())
    training = ReleaseTraining(model, codes, SymbolStreams(n_streams, reber_like, seed=4), lr=0.01)
    for _ in range(updates):
        training.update()
    expected = hand_written_release_training(reference, codes, SymbolStreams(n_streams, reber_like, seed=4),
                                             updates, lr=0.01)
    for name, value in expected.items():
        torch.testing.assert_close(model.state_dict()[name], value, rtol=1e-5, atol=1e-6)
    assert len(training.losses.prediction) == updates == training.updates
    classifier_ids = {id(parameter) for parameter in model.classifier.parameters()}
    assert {id(p) for group in training.classifier_optimiser.param_groups for p in group["params"]} == classifier_ids
    assert {id(p) for group in training.memory_optimiser.param_groups for p in group["params"]} == {
        id(parameter) for parameter in model.layer.parameters()}


def test_without_clearing_the_inhibition_the_weights_differ():
    """The reference above can tell: a loop that keeps the inhibition at string ends ends elsewhere."""
    torch.manual_seed(0)
    model = RSM(n_inputs=4, n_classes=4, **SMALL)
    kept = RSM(n_inputs=4, n_classes=4, **SMALL)
    kept.load_state_dict(model.state_dict())
    training = ReleaseTraining(model, torch.eye(4), SymbolStreams(3, reber_like, seed=4), lr=0.01)
    streams = SymbolStreams(3, reber_like, seed=4)
    adam = torch.optim.Adam(kept.parameters(), lr=0.01)
    state = kept.initial_state(torch.zeros(3, 4))
    for _ in range(12):
        training.update()
        step = streams.next()
        inputs = torch.eye(4)[torch.from_numpy(np.maximum(step.previous, 0))] * torch.from_numpy(
            step.previous != NO_SYMBOL)[:, None]
        output, state = kept.layer(inputs, state)
        loss = (output.prediction - torch.eye(4)[torch.from_numpy(step.current)]).square().mean()
        loss = loss + functional.cross_entropy(kept.classifier(output.memory.detach()), torch.from_numpy(step.current))
        adam.zero_grad()
        loss.backward()
        adam.step()
    assert not torch.allclose(model.layer.recurrent.weight, kept.layer.recurrent.weight, atol=1e-6)


def test_release_training_resumes_exactly(tmp_path):
    def fresh():
        torch.manual_seed(0)
        model = RSM(n_inputs=4, n_classes=4, **SMALL)
        return ReleaseTraining(model, torch.eye(4), SymbolStreams(3, reber_like, seed=2), lr=0.01)

    straight = fresh()
    for _ in range(8):
        straight.update()
    interrupted = fresh()
    for _ in range(3):
        interrupted.update()
    interrupted.save(tmp_path / "checkpoint.pt", {"note": 1})
    resumed = fresh()
    assert resumed.load(tmp_path / "checkpoint.pt")["note"] == 1
    for _ in range(5):
        resumed.update()
    for name, value in straight.model.state_dict().items():
        assert torch.equal(resumed.model.state_dict()[name], value), name
    assert resumed.losses.prediction == straight.losses.prediction
    assert torch.equal(resumed.state.inhibition, straight.state.inhibition)


def test_stream_memories_follow_a_hand_written_loop_over_each_run_of_strings():
    torch.manual_seed(1)
    model = RSM(n_inputs=4, n_classes=4, **SMALL)
    strings = [np.array(string) for string in ([0, 1, 2], [3, 0], [1, 1, 2, 3], [2, 0, 1], [3, 3, 3])]
    memories = stream_memories(model, torch.eye(4), strings, n_streams=2)
    expected = []
    for run in ([0, 1, 2], [3, 4]):  # np.array_split of 5 strings into 2 runs
        state = RSMLayerState(torch.zeros(1, 18), torch.zeros(1, 6, 3))
        for index in run:
            rows = []
            for position, _ in enumerate(strings[index]):
                inputs = torch.zeros(1, 4) if position == 0 else torch.eye(4)[[strings[index][position - 1]]]
                with torch.no_grad():
                    output, state = model.layer(inputs, state)
                rows.append(output.memory[0])
            state = RSMLayerState(state.trace, torch.zeros_like(state.inhibition))  # the string ended
            expected.append(torch.stack(rows))
    for got, want in zip(memories, expected, strict=True):
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)


def test_release_training_checks_model_and_codes():
    with pytest.raises(DataFormatError, match="symbol codes"):
        ReleaseTraining(RSM(n_inputs=4, **SMALL), torch.eye(5), SymbolStreams(2, reber_like, seed=0))


def test_linear_classifier_is_two_linear_layers_of_the_sum_normalised_memory():
    torch.manual_seed(0)
    model = RSM(n_inputs=4, n_classes=3, groups=5, cells=2, k=2, classifier_hidden=6).double()
    memory = torch.rand(7, 10, dtype=torch.float64)
    w1, b1, w2, b2 = (parameter.detach().numpy() for parameter in model.classifier.parameters())
    x = memory.numpy()
    expected = (x / (x.sum(axis=1, keepdims=True) + 1e-11)) @ w1.T + b1
    expected = expected @ w2.T + b2
    np.testing.assert_allclose(model.classifier(memory).detach().numpy(), expected, rtol=1e-12)
    sequence = torch.rand(3, 7, 10, dtype=torch.float64)  # (T, B, F): normalised per sample and step
    np.testing.assert_allclose(model.classifier(sequence)[1].detach().numpy(),
                               model.classifier(sequence[1]).detach().numpy(), rtol=1e-12)


def test_linear_classifier_starts_from_normal_weights_and_biases_of_sd_0_03():
    torch.manual_seed(0)
    model = RSM(groups=100, cells=8, k=5, classifier_hidden=400)
    weights = model.classifier[1].weight.detach().numpy()
    assert abs(weights.std() - 0.03) < 0.001 and abs(weights.mean()) < 0.001
    assert abs(model.classifier[1].bias.detach().numpy().std() - 0.03) < 0.005
    mlp = RSM(groups=100, cells=8, k=5, classifier_hidden=400, classifier="mlp")
    assert [type(part).__name__ for part in mlp.classifier] == ["Linear", "LeakyReLU", "Linear"]
    with pytest.raises(ConfigError, match="classifier must be"):
        RSM(classifier="deep")


def test_layer_initialisations():
    torch.manual_seed(0)
    layer = RSMLayer(64, 100, 8, 5, 0.9, 0.0)  # default: the release's Glorot-uniform
    for weight in (layer.feedforward.weight, layer.recurrent.weight, layer.decoder.weight):
        fan_out, fan_in = weight.shape
        bound = np.sqrt(6.0 / (fan_in + fan_out))
        values = weight.detach().numpy()
        assert values.max() <= bound and values.min() >= -bound
        assert abs(values.std() - bound / np.sqrt(3)) < 0.05 * bound
    assert torch.equal(layer.decoder.bias, torch.zeros(64))
    normal = RSMLayer(64, 100, 8, 5, 0.9, 0.0, init="truncated_normal")
    values = normal.recurrent.weight.detach().numpy()
    assert values.max() <= 0.06 and values.min() >= -0.06 and 0.02 < values.std() < 0.03
    with pytest.raises(ConfigError, match="init must be"):
        RSMLayer(4, 3, 2, 1, 0.9, 0.0, init="zeros")
