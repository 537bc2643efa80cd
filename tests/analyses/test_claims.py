"""The reproduced-claims pipeline: tiny runs of every claim, its scores, its tables and the README markers."""

import dataclasses
import hashlib
import json

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from chronoscore.analyses.claims import CLAIMS, get_claim, replace_claim_table, run_claim
from chronoscore.analyses.claims.image_cache import cached_images, on_cached_images
from chronoscore.analyses.claims.image_scores import heldout_accuracy
from chronoscore.analyses.claims.reber_scores import first_order_accuracy, first_order_table, scored_steps
from chronoscore.analyses.claims.reber_streams import ARMS
from chronoscore.analyses.claims.runs import arm_recipe, run_folder
from chronoscore.analyses.training_data import generated_data
from chronoscore.cli import main
from chronoscore.errors import ConfigError
from chronoscore.models import create_model
from chronoscore.models.training.data import image_folder_data
from chronoscore.stimuli import generate, list_generators
from chronoscore.stimuli.generators import registry
from chronoscore.stimuli.generators.reber import reber_choices, reber_sequences

SCHEMAS = {
    "hgru_pathfinder": ["model", "path_length", "accuracy", "n_parameters", "seed"],
    "hgru_lesions": ["model", "variant", "accuracy", "seed"],
    "convrnn_cells": ["model", "accuracy", "n_parameters", "seed", "width"],
    "rsm_reber": ["arm", "position", "accuracy", "ceiling", "updates", "readout_parameters", "seed"],
    "crbp_vs_bptt": ["model", "algorithm", "train_steps", "test_steps", "accuracy", "n_parameters", "seed"],
}


@pytest.fixture(scope="module")
def claims_dir(tmp_path_factory):
    """One output folder shared by the tiny claims, so later claims may reuse earlier runs."""
    torch.set_num_threads(1)
    return tmp_path_factory.mktemp("claims")


def fresh_parameters(claim_name, fields):
    """Parameters of a newly built model of the arm with these CSV fields, at tiny scale (sum of numel)."""
    claim = get_claim(claim_name)
    arm = next(arm for arm in claim.arms if all(arm.fields[key] == value for key, value in fields.items()))
    recipe = arm_recipe(arm, claim.scale("tiny"), seed=0)
    model = create_model(recipe.model.name, **recipe.model.kwargs)
    return sum(parameter.numel() for parameter in model.parameters())


def read_results(folder, name):
    results = pd.read_csv(folder / f"{name}.csv")
    assert list(results.columns) == SCHEMAS[name]
    assert results["accuracy"].between(0, 1).all()
    assert (folder / f"{name}.md").read_text().startswith("| ")
    return results


def test_the_claims_and_their_csv_schemas_are_the_documented_ones():
    assert set(CLAIMS) == set(SCHEMAS)
    for name, columns in SCHEMAS.items():
        assert list(CLAIMS[name].columns) == columns


def test_hgru_pathfinder_at_tiny_scale_scores_both_models_at_each_path_length(claims_dir):
    results = read_results_after(claims_dir, "hgru_pathfinder")
    assert sorted(zip(results["model"], results["path_length"])) == sorted(
        (model, length) for model in ("hgru", "ff_large_kernels") for length in (6, 9, 14))
    for row in results.itertuples():
        assert row.n_parameters == fresh_parameters("hgru_pathfinder", {"model": row.model})
        assert row.seed == 0
    # 4 held-out images: accuracy is a multiple of 1/4
    assert np.allclose(results["accuracy"] * 4, np.round(results["accuracy"] * 4))


def test_hgru_lesions_reuses_the_intact_hgru_of_the_pathfinder_claim(claims_dir):
    read_results_after(claims_dir, "hgru_pathfinder")
    before = {folder.name for folder in (claims_dir / "runs").iterdir()}
    results = read_results_after(claims_dir, "hgru_lesions")
    after = {folder.name for folder in (claims_dir / "runs").iterdir()}
    assert list(results["variant"]) == ["full", "alpha_omega", "mu_kappa"]
    assert list(results["model"]) == ["hgru", "hgru_lesion_alpha_omega", "hgru_lesion_mu_kappa"]
    assert len(after - before) == 2  # the full hGRU (path length 14) was trained by hgru_pathfinder
    assert "(1 found done" in (claims_dir / "hgru_lesions.md").read_text()


def test_convrnn_cells_at_tiny_scale_has_parameter_matched_models(claims_dir):
    results = read_results_after(claims_dir, "convrnn_cells")
    assert list(results["model"]) == ["convrnn_shallow_rgc", "convrnn_shallow_vanilla", "convrnn_shallow_lstm"]
    for row in results.itertuples():
        assert row.n_parameters == fresh_parameters("convrnn_cells", {"model": row.model})
    reference = results["n_parameters"].iloc[0]
    assert np.all(np.abs(results["n_parameters"] / reference - 1) < 0.02)


def test_rsm_reber_at_tiny_scale_scores_every_arm_at_both_positions_with_the_ceiling(claims_dir):
    results = read_results_after(claims_dir, "rsm_reber")
    assert sorted(zip(results["arm"], results["position"])) == sorted(
        (arm, position) for arm in ARMS for position in ("predictable", "all"))
    held_out, _ = reber_sequences(get_claim("rsm_reber").scale("tiny").heldout_n, seed=1)
    choices = np.concatenate([reber_choices(string) for string in held_out])
    assert np.allclose(results.loc[results["position"] == "all", "ceiling"], np.mean(1 / choices))
    assert (results.loc[results["position"] == "predictable", "ceiling"] == 1).all()
    chance = results[results["arm"] == "chance"]
    assert np.allclose(chance["accuracy"], 1 / 7)
    trained = results["arm"].str.startswith("trained")
    assert (results.loc[trained, "updates"] == 6).all() and (results.loc[~trained, "updates"] == 0).all()
    # 20 held-out strings: the predictable position's accuracy is a multiple of 1/20 (but chance's)
    predictable = results.loc[(results["position"] == "predictable") & (results["arm"] != "chance"), "accuracy"]
    assert np.allclose(predictable * 20, np.round(predictable * 20))


def test_crbp_vs_bptt_at_tiny_scale_scores_every_arm_at_every_test_step_count(claims_dir):
    results = read_results_after(claims_dir, "crbp_vs_bptt")
    arms = [("bptt", 6), ("crbp", 6)]
    assert sorted(zip(results["algorithm"], results["train_steps"], results["test_steps"])) == sorted(
        (algorithm, train, test) for algorithm, train in arms for test in (6, 12, 24, 48))
    assert (results["model"] == "hgru").all() and (results["seed"] == 0).all()
    for row in results.itertuples():
        assert row.n_parameters == fresh_parameters(
            "crbp_vs_bptt", {"algorithm": row.algorithm, "train_steps": row.train_steps})
    # 4 held-out images: accuracy is a multiple of 1/4
    assert np.allclose(results["accuracy"] * 4, np.round(results["accuracy"] * 4))
    claim = get_claim("crbp_vs_bptt")
    trained = {run_folder(arm_recipe(arm, claim.scale("tiny"), 0), claims_dir / "runs") for arm in claim.arms}
    assert len(trained) == 2 and all((folder / "summary.json").is_file() for folder in trained)


def read_results_after(folder, name):
    """Run the claim at tiny scale in ``folder`` (or find its runs done) and read its CSV."""
    run_claim(name, folder, scale="tiny")
    return read_results(folder, name)


def test_cached_images_give_the_trainer_the_same_tensors_as_generated_data(tmp_path):
    recipe = arm_recipe(get_claim("hgru_pathfinder").arms[0], get_claim("hgru_pathfinder").scale("tiny"), seed=0)
    generated = generated_data(recipe.data)
    images, labels = generated.train.tensors
    from_folder = image_folder_data(on_cached_images(recipe, tmp_path).data, seed=0).train
    assert len(from_folder) == len(images) == 4
    for (path, _), (image, label) in zip(from_folder.samples, from_folder, strict=True):
        index = int(path.rsplit("/", 1)[1].removesuffix(".png"))
        assert torch.allclose(image, images[index], atol=1e-6)
        assert from_folder.classes[label] == str(generated.classes[labels[index]])


class ConstantClassifier(nn.Module):
    """Always answers class ``answer`` of ``n_classes``."""

    def __init__(self, answer, n_classes):
        super().__init__()
        self.answer, self.n_classes = answer, n_classes

    def forward(self, images):
        logits = torch.zeros(images.shape[0], self.n_classes)
        logits[:, self.answer] = 1.0
        return logits


def test_heldout_accuracy_matches_class_frequencies_counted_from_the_generator(tmp_path):
    recipe = arm_recipe(get_claim("convrnn_cells").arms[0], get_claim("convrnn_cells").scale("tiny"), seed=0)
    images = cached_images(recipe.data, 12, 0, {"split": "test"}, tmp_path)
    labels = generate("objects", n=12, size=32, seed=0, split="test", variations=[0, 3, 6]).table["category_name"]
    classes = sorted(set(labels) | {"aardvark"})  # an extra first class, not shown: indices differ from the folders
    for answer, name in enumerate(classes):
        accuracy = heldout_accuracy(ConstantClassifier(answer, len(classes)), images, classes, recipe.data)
        assert accuracy == pytest.approx(float(np.mean(labels == name)))


class StepCountClassifier(nn.Module):
    """Answers class ``n_steps`` (``default_steps`` when not given) of ``n_classes``."""

    def __init__(self, default_steps, n_classes):
        super().__init__()
        self.default_steps, self.n_classes = default_steps, n_classes

    def forward(self, images, n_steps=None):
        logits = torch.zeros(images.shape[0], self.n_classes)
        logits[:, self.default_steps if n_steps is None else n_steps] = 1.0
        return logits


def test_heldout_accuracy_runs_the_model_for_the_requested_steps(tmp_path):
    recipe = arm_recipe(get_claim("convrnn_cells").arms[0], get_claim("convrnn_cells").scale("tiny"), seed=0)
    images = cached_images(recipe.data, 12, 0, {"split": "test"}, tmp_path)
    labels = generate("objects", n=12, size=32, seed=0, split="test", variations=[0, 3, 6]).table["category_name"]
    classes = sorted(set(labels) | {"aardvark"})  # a class never shown: accuracy 0 when always answered
    frequencies = [float(np.mean(labels == name)) for name in classes]
    rare, common = int(np.argmin(frequencies)), int(np.argmax(frequencies))
    assert frequencies[rare] == 0 < frequencies[common]
    model = StepCountClassifier(default_steps=rare, n_classes=len(classes))
    assert heldout_accuracy(model, images, classes, recipe.data) == pytest.approx(frequencies[rare])
    assert heldout_accuracy(model, images, classes, recipe.data, n_steps=common) == pytest.approx(frequencies[common])


class InputRecorder(nn.Module):
    """Answers class 0 and keeps every batch of images it is given."""

    def __init__(self):
        super().__init__()
        self.batches = []

    def forward(self, images):
        self.batches.append(images)
        return torch.zeros(images.shape[0], 2)


def test_heldout_images_reach_the_model_in_the_training_input_convention(tmp_path):
    recipe = arm_recipe(get_claim("hgru_pathfinder").arms[0], get_claim("hgru_pathfinder").scale("tiny"), seed=0)
    assert recipe.data.input == "unit_gray"
    images = cached_images(recipe.data, 6, 1, {}, tmp_path)
    model = InputRecorder()
    heldout_accuracy(model, images, [0, 1], recipe.data)
    seen = torch.cat(model.batches)
    trained_on = generated_data(dataclasses.replace(recipe.data, train_n=6, seed=1)).train.tensors[0]
    assert seen.shape == trained_on.shape and seen.shape[1] == 1
    assert seen.min() == 0 and seen.max() <= 1
    assert sorted(seen.sum(dim=(1, 2, 3)).tolist()) == pytest.approx(sorted(trained_on.sum(dim=(1, 2, 3)).tolist()),
                                                                      abs=1e-3)


def test_heldout_accuracy_refuses_labels_the_model_does_not_know(tmp_path):
    recipe = arm_recipe(get_claim("convrnn_cells").arms[0], get_claim("convrnn_cells").scale("tiny"), seed=0)
    images = cached_images(recipe.data, 12, 0, {"split": "test"}, tmp_path)
    with pytest.raises(Exception, match="not classes of the model"):
        heldout_accuracy(ConstantClassifier(0, 1), images, ["zebra"], recipe.data)


def test_scored_steps_pick_the_prediction_of_the_repeated_branch_symbol():
    masks = scored_steps(np.array([9, 11]), steps=11)
    assert np.flatnonzero(masks["predictable"][0]).tolist() == [6]  # after "E" of B T B T X S E T E
    assert np.flatnonzero(masks["predictable"][1]).tolist() == [8]
    assert np.flatnonzero(masks["all"][0]).tolist() == list(range(8))
    assert masks["all"][1].sum() == 10


def test_first_order_statistics_by_hand():
    training = ["BTBTXSETE", "BPBPVVEPE", "BPBPVVEPE"]
    table = first_order_table(training)
    # after E: T once, P twice -> P; after T: B, X, E once each -> B (first in BTPSXVE order)
    assert "BTPSXVE"[table["BTPSXVE".index("E")]] == "P"
    assert "BTPSXVE"[table["BTPSXVE".index("T")]] == "B"
    accuracy = first_order_accuracy(table, ["BTBTXSETE"])
    after = {symbol: "BTPSXVE"[table["BTPSXVE".index(symbol)]] for symbol in "BTPSXVE"}
    string = "BTBTXSETE"
    hits = [after[string[step]] == string[step + 1] for step in range(len(string) - 1)]
    assert accuracy["all"] == pytest.approx(np.mean(hits))
    assert accuracy["predictable"] == 0.0  # after the inner E the table says P; the string repeats T


def test_readme_table_is_replaced_between_its_markers_only(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("intro\n<!-- claim:rsm_reber -->\nold table\n<!-- /claim:rsm_reber -->\noutro\n")
    replace_claim_table(readme, "rsm_reber", "| a |\n| --- |\n| 1 |\n")
    assert readme.read_text() == ("intro\n<!-- claim:rsm_reber -->\n| a |\n| --- |\n| 1 |\n"
                                  "<!-- /claim:rsm_reber -->\noutro\n")


@pytest.mark.parametrize("text", ["no markers\n", "<!-- claim:rsm_reber -->\n",
                                  "<!-- /claim:rsm_reber -->\n<!-- claim:rsm_reber -->\n"])
def test_readme_without_proper_markers_is_refused(tmp_path, text):
    readme = tmp_path / "README.md"
    readme.write_text(text)
    with pytest.raises(ConfigError, match="<!-- claim:rsm_reber -->"):
        replace_claim_table(readme, "rsm_reber", "| a |\n")
    assert readme.read_text() == text


def test_command_line_refuses_a_readme_without_markers_before_training(tmp_path, capsys):
    readme = tmp_path / "README.md"
    readme.write_text("nothing here\n")
    argv = ["claims", "rsm_reber", "--out", str(tmp_path / "out"), "--scale", "tiny", "--readme", str(readme)]
    assert main(argv) == 2
    assert "claim:rsm_reber" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_command_line_writes_the_table_into_the_readme(claims_dir, tmp_path, capsys):
    readme = tmp_path / "README.md"
    readme.write_text("# x\n<!-- claim:rsm_reber -->\n<!-- /claim:rsm_reber -->\n")
    assert main(["claims", "rsm_reber", "--out", str(claims_dir), "--scale", "tiny", "--readme", str(readme)]) == 0
    text = readme.read_text()
    assert (claims_dir / "rsm_reber.md").read_text().strip() in text
    assert "| first-order statistics |" in text
    assert "rsm_reber" in capsys.readouterr().out


def test_every_arm_builds_a_recipe_at_every_scale_and_runs_get_distinct_folders(tmp_path):
    folders = set()
    for claim in CLAIMS.values():
        for scale in claim.scales.values():
            for arm in claim.arms:
                folders.add(run_folder(arm_recipe(arm, scale, seed=0), tmp_path))
    assert len(folders) == sum(len(claim.arms) * len(claim.scales) for claim in CLAIMS.values()) - 2
    # the two exceptions: hgru_lesions' intact hGRU is hgru_pathfinder's hGRU, at path length 14 at tiny scale
    # (no override) and at path length 6 at small scale (the lesions' path length)


def test_unknown_claim_or_scale_is_refused():
    with pytest.raises(ConfigError, match="hgru_pathfinder"):
        get_claim("hgru")
    with pytest.raises(ConfigError, match="tiny"):
        get_claim("rsm_reber").scale("huge")


def test_runs_and_cached_images_of_a_new_generator_version_are_not_reused(tmp_path, monkeypatch):
    pathfinder = arm_recipe(get_claim("hgru_pathfinder").arms[0], get_claim("hgru_pathfinder").scale("tiny"), 0)
    objects = arm_recipe(get_claim("convrnn_cells").arms[0], get_claim("convrnn_cells").scale("tiny"), 0)
    recipe_only = hashlib.sha256(json.dumps(objects.to_dict(), sort_keys=True).encode()).hexdigest()[:10]
    assert run_folder(objects, tmp_path).name.endswith(recipe_only), "version 1 keeps the folders made before"
    pathfinder_only = hashlib.sha256(json.dumps(pathfinder.to_dict(), sort_keys=True).encode()).hexdigest()[:10]
    assert not run_folder(pathfinder, tmp_path).name.endswith(pathfinder_only)
    first_run = run_folder(pathfinder, tmp_path)
    first_images = cached_images(pathfinder.data, 4, 0, {}, tmp_path).folder
    list_generators()
    monkeypatch.setitem(registry._VERSIONS, "pathfinder", registry._VERSIONS["pathfinder"] + 1)
    assert run_folder(pathfinder, tmp_path) != first_run
    assert cached_images(pathfinder.data, 4, 0, {}, tmp_path).folder != first_images
