"""The ``local`` algorithm: per-step local losses of a Recurrent Sparse Memory, in the trainer."""

import csv

import pytest
import torch
import torch.nn.functional as F

from chronoscore.errors import ConfigError
from chronoscore.models.rsm import RSM
from chronoscore.models.training import load_recipe, load_trained_model, train
from chronoscore.models.training.algorithms import StepContext, local_loss_and_backward
from chronoscore.stimuli.generators.reber import REBER_SYMBOLS, reber_one_hot, reber_sequences

from .tiny_recipes import tiny_recipe
from .toy_fixed_point import gradients

SMALL_RSM = {"groups": 8, "cells": 3, "k": 2, "classifier_hidden": 8}


def hand_written_local_gradients(model, sequence, step_labels, has_next):
    """Mean over steps of (prediction MSE of the next input + cross-entropy of the classifier on the detached memory).

    sequence (T, B, D); step_labels (T, B) with -1 for none; has_next (T, B).
    """
    state = model.initial_state(sequence[0])
    step_losses = []
    for step in range(sequence.shape[0]):
        outputs, state = model.step(sequence[step], state)
        parts = []
        if step + 1 < sequence.shape[0]:
            error = (outputs["prediction"] - sequence[step + 1]).square().mean(dim=1)
            weights = has_next[step].double()
            parts.append((error * weights).sum() / weights.sum().clamp(min=1))
        if (step_labels[step] >= 0).any():
            logits = model.classifier(outputs["memory"].detach())
            parts.append(F.cross_entropy(logits, step_labels[step], ignore_index=-1))
        if parts:
            step_losses.append(sum(parts))
    (sum(step_losses) / len(step_losses)).backward()
    return gradients(model)


def test_local_gradient_on_still_images_is_the_mean_of_the_steps_local_losses():
    torch.manual_seed(0)
    model = RSM(input_size=4, n_classes=3, n_steps=4, **SMALL_RSM).double()
    images = torch.randn(5, 3, 4, 4, dtype=torch.float64)
    labels = torch.tensor([0, 2, 1, 1, 0])
    sequence = images.flatten(1).expand(4, 5, 48)
    expected = hand_written_local_gradients(model, sequence, labels.expand(4, 5), torch.ones(4, 5, dtype=torch.bool))
    outcome = local_loss_and_backward(model, images, labels, StepContext())
    actual = gradients(model)
    for name, value in expected.items():
        torch.testing.assert_close(actual[name], value, rtol=1e-10, atol=1e-14)
    assert any(value.abs().sum() > 0 for name, value in actual.items() if name.startswith("layer"))
    with torch.no_grad():
        last_logits = model(images)
    torch.testing.assert_close(outcome.logits, last_logits)
    assert outcome.loss.item() == pytest.approx(F.cross_entropy(last_logits, labels).item())
    assert outcome.extras["prediction_loss"] > 0


def test_local_gradient_on_padded_sequences_skips_the_padding():
    torch.manual_seed(1)
    model = RSM(**SMALL_RSM).double()
    strings, _ = reber_sequences(4, seed=3)
    codes, lengths = reber_one_hot(strings)
    inputs = torch.from_numpy(codes).double()  # (B, T, 7), zero past each string
    symbols = inputs.argmax(dim=2)
    labels = torch.full(symbols.shape, -1)
    for row, length in enumerate(lengths):
        labels[row, :length - 1] = symbols[row, 1:length]
    steps = inputs.shape[1]
    has_next = torch.arange(steps).unsqueeze(1) + 1 < torch.from_numpy(lengths).unsqueeze(0)
    expected = hand_written_local_gradients(model, inputs.transpose(0, 1), labels.T, has_next)
    outcome = local_loss_and_backward(model, inputs, labels, StepContext())
    actual = gradients(model)
    for name, value in expected.items():
        torch.testing.assert_close(actual[name], value, rtol=1e-10, atol=1e-14)
    time_major = labels.T
    assert outcome.labels.tolist() == time_major[time_major >= 0].tolist()  # every labelled step, step by step
    assert outcome.logits.shape == (int((labels >= 0).sum()), 7)


REBER_RECIPE = {
    "model": {"name": "rsm", "kwargs": SMALL_RSM},
    "data": {"generator": "reber", "train_n": 24, "val_n": 12, "val_seed": 1},
    "optimiser": {"name": "adam", "lr": 0.01},
    "schedule": {"name": "constant"},
    "algorithm": "local",
    "steps": 6, "batch_size": 8, "checkpoint_every": 3, "log_every": 1, "seed": 0, "device": "cpu",
}


def test_local_trains_an_rsm_on_reber_sequences_and_validates_on_every_labelled_step(tmp_path):
    summary = train(load_recipe(REBER_RECIPE), tmp_path, progress=False)
    assert summary["classes"] == list(REBER_SYMBOLS)
    with open(tmp_path / "metrics.csv", newline="") as handle:
        table = list(csv.DictReader(handle))
    train_rows = [row for row in table if row["phase"] == "train"]
    assert len(train_rows) == 6 and all(float(row["prediction_loss"]) > 0 for row in train_rows)

    strings, _ = reber_sequences(12, seed=1)  # the validation strings, made independently
    model = load_trained_model(tmp_path)
    correct = total = 0
    losses = []
    with torch.no_grad():
        for string in strings:
            codes, _ = reber_one_hot([string])
            memory = model.forward_timesteps(torch.from_numpy(codes).transpose(0, 1))["memory"]  # (T, 1, g·c)
            logits = model.classifier(memory[:-1, 0])
            targets = torch.tensor([REBER_SYMBOLS.index(symbol) for symbol in string[1:]])
            correct += int((logits.argmax(dim=1) == targets).sum())
            total += len(targets)
            losses.append(F.cross_entropy(logits, targets, reduction="sum"))
    assert summary["val"]["accuracy"] == pytest.approx(correct / total)
    assert summary["val"]["loss"] == pytest.approx(float(sum(losses)) / total, rel=1e-5)


def test_local_trains_an_rsm_on_still_images(tmp_path):
    recipe = tiny_recipe("algorithm=local", "model.name=rsm", "model.kwargs={input_size: 32, n_classes: 8, "
                         "groups: 8, cells: 3, k: 2, classifier_hidden: 8, n_steps: 3}")
    summary = train(recipe, tmp_path, progress=False)
    assert 0 < summary["train"]["loss"] < 5
    with open(tmp_path / "metrics.csv", newline="") as handle:
        assert "prediction_loss" in next(csv.DictReader(handle))


def test_reber_sequences_take_no_generator_options(tmp_path):
    recipe = load_recipe({**REBER_RECIPE, "data": {**REBER_RECIPE["data"], "options": {"size": 8}}})
    with pytest.raises(ConfigError, match="Reber symbol sequences take no generator options"):
        train(recipe, tmp_path, progress=False)


def hand_written_per_step_training(recipe, batches: int) -> dict:
    """Adam over every time step of ``batches`` batches, written out step by step: the RSM's weights after them.

    The batches are the trainer's (same sampler, same seed); one Adam keeps its state across
    all steps and batches; each step's loss is the prediction MSE over the samples that have a
    next input plus the classifier's cross-entropy on the detached memory.
    """
    from chronoscore.analyses.training_sequences import reber_sequence_data
    from chronoscore.models import create_model
    from chronoscore.models.training.sampling import EpochBatches

    torch.manual_seed(recipe.seed)
    model = create_model(recipe.model.name, **recipe.model.kwargs)
    adam = torch.optim.Adam(model.parameters(), lr=recipe.optimiser.lr, betas=tuple(recipe.optimiser.betas))
    items = reber_sequence_data(recipe).train
    per_epoch = len(items) // recipe.batch_size
    done = 0
    for epoch in range(batches // per_epoch + 1):
        for indices in EpochBatches(len(items), recipe.batch_size, epoch=epoch, seed=recipe.seed):
            if done == batches:
                return model.state_dict()
            sequences = torch.stack([items[index][0] for index in indices]).transpose(0, 1)  # (T, B, 7)
            labels = torch.stack([items[index][1] for index in indices]).T  # (T, B)
            state = model.initial_state(sequences[0])
            for step in range(sequences.shape[0]):
                outputs, state = model.step(sequences[step], state)
                loss = torch.zeros(())
                if step + 1 < sequences.shape[0]:
                    valid = sequences[step + 1].abs().sum(dim=1) > 0
                    if valid.any():
                        error = (outputs["prediction"] - sequences[step + 1]).square().mean(dim=1)
                        loss = loss + error[valid].mean()
                labelled = labels[step] >= 0
                if labelled.any():
                    logits = model.classifier(outputs["memory"].detach())
                    loss = loss + F.cross_entropy(logits[labelled], labels[step][labelled])
                if loss.requires_grad:
                    adam.zero_grad()
                    loss.backward()
                    adam.step()
            done += 1
    return model.state_dict()


@pytest.mark.parametrize("batches", [1, 3])
def test_local_per_step_updates_give_the_weights_of_a_hand_written_loop(tmp_path, batches):
    settings = {**REBER_RECIPE, "steps": batches, "checkpoint_every": batches,
                "algorithm_options": {"update_every": "step"}, "data": {**REBER_RECIPE["data"], "val_n": 0}}
    recipe = load_recipe(settings)
    train(recipe, tmp_path / "step", progress=False)
    trained = load_trained_model(tmp_path / "step").state_dict()
    expected = hand_written_per_step_training(recipe, batches)
    for name, value in expected.items():
        torch.testing.assert_close(trained[name], value, rtol=1e-5, atol=1e-6)
    train(load_recipe({**settings, "algorithm_options": {}}), tmp_path / "batch", progress=False)
    per_batch = load_trained_model(tmp_path / "batch").state_dict()
    assert not torch.allclose(per_batch["layer.recurrent.weight"], expected["layer.recurrent.weight"], atol=1e-6)


def test_per_step_updates_are_only_for_the_local_algorithm():
    with pytest.raises(ConfigError, match="update_every"):
        tiny_recipe("algorithm_options={update_every: step}")
    with pytest.raises(ConfigError, match="update_every must be"):
        load_recipe({**REBER_RECIPE, "algorithm_options": {"update_every": "epoch"}})
