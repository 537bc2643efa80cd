"""The shipped demo weights: they load, match their checksums and reproduce their held-out accuracy."""

import shutil

import pytest
import torch
import yaml

from chronoscore.analyses.make_demo_weights import DEMO_MODELS
from chronoscore.errors import FileFormatError
from chronoscore.models import count_parameters
from chronoscore.models.training import list_shipped_weights, load_shipped_weights, shipped_weights_info
from chronoscore.models.training.shipped import shipped_weights_dir
from chronoscore.stimuli import generate, load_batch

SHIPPED = list_shipped_weights()
# The accuracy is recomputed on another thread count than the one it was recorded with;
# float32 sums in another order may flip a prediction whose two best logits nearly tie.
FLIPS_ALLOWED = 1


def test_every_demo_model_is_shipped_within_the_size_budget():
    assert sorted(SHIPPED) == sorted(DEMO_MODELS)
    sizes = {name: (shipped_weights_dir() / f"{name}.pt").stat().st_size for name in SHIPPED}
    assert all(size <= 2.5e6 for size in sizes.values()), sizes
    assert sum(sizes.values()) <= 20e6
    readme = (shipped_weights_dir() / "README.md").read_text()
    assert all(f"`{name}`" in readme for name in SHIPPED)


@pytest.fixture(scope="module")
def heldout_images():
    """The held-out set of the records (all shipped models use the same one), rendered once."""
    settings = {shipped_weights_info(name)["heldout"]["n"] for name in SHIPPED}
    assert len(settings) == 1
    heldout = shipped_weights_info(SHIPPED[0])["heldout"]
    return generate(heldout["generator"], n=heldout["n"], size=heldout["generated_size"], seed=heldout["seed"],
                    split=heldout["split"])


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_model_reproduces_its_recorded_heldout_accuracy(name, heldout_images):
    info = shipped_weights_info(name)
    model = load_shipped_weights(name)
    assert not model.training
    assert count_parameters(model) == info["n_parameters"]
    size = info["recipe"]["data"]["image_size"]
    images = load_batch(heldout_images, range(len(heldout_images)), size)
    labels = torch.tensor([info["classes"].index(value) for value in heldout_images.table["category_name"]])
    with torch.no_grad():
        correct = int((model(images).argmax(dim=1) == labels).sum())
    assert abs(correct - info["heldout"]["correct"]) <= FLIPS_ALLOWED
    assert info["heldout"]["accuracy"] == pytest.approx(info["heldout"]["correct"] / len(labels))
    assert info["heldout"]["accuracy"] > 1 / 8 + 0.05  # clearly above chance


def test_a_corrupted_weights_file_is_refused(tmp_path):
    name = SHIPPED[0]
    for suffix in (".pt", ".yaml"):
        shutil.copy(shipped_weights_dir() / f"{name}{suffix}", tmp_path / f"{name}{suffix}")
    data = bytearray((tmp_path / f"{name}.pt").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (tmp_path / f"{name}.pt").write_bytes(bytes(data))
    with pytest.raises(FileFormatError, match="is corrupt: its SHA-256 differs"):
        load_shipped_weights(name, tmp_path)


def test_missing_or_unreadable_records_are_refused(tmp_path):
    with pytest.raises(FileFormatError, match="no shipped weights named 'convrnn_deep' .*available: "):
        load_shipped_weights("convrnn_deep")
    (tmp_path / "model.pt").write_bytes(b"")
    (tmp_path / "model.yaml").write_text("just: [text\n")
    with pytest.raises(FileFormatError, match="cannot read .*model.yaml"):
        load_shipped_weights("model", tmp_path)
    (tmp_path / "model.yaml").write_text("model: x\n")
    with pytest.raises(FileFormatError, match="needs recipe and sha256"):
        load_shipped_weights("model", tmp_path)


def test_weights_that_do_not_fit_the_recorded_model_are_refused(tmp_path):
    name = "ff_shallow"
    info = shipped_weights_info(name)
    info["recipe"]["model"]["kwargs"]["width"] = 0.5
    (tmp_path / f"{name}.yaml").write_text(yaml.safe_dump(info))
    shutil.copy(shipped_weights_dir() / f"{name}.pt", tmp_path / f"{name}.pt")
    with pytest.raises(FileFormatError, match="do not fit the model recorded"):
        load_shipped_weights(name, tmp_path)
