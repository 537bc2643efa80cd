"""``python -m chronoscore.analyses.make_demo_weights``: trains the demo models and writes their weights and README."""

from chronoscore.analyses.make_demo_weights import main
from chronoscore.models import count_parameters
from chronoscore.models.training import load_shipped_weights, shipped_weights_info


def test_make_demo_weights_writes_loadable_weights_and_a_readme(tmp_path, capsys):
    code = main(["--out", str(tmp_path), "--models", "ff_shallow", "--set", "steps=2", "--set", "data.train_n=16",
                 "--set", "batch_size=8", "--train-images", "8", "--heldout-images", "8", "--quiet"])
    assert code == 0
    assert "ff_shallow: " in capsys.readouterr().out
    info = shipped_weights_info("ff_shallow", tmp_path)
    assert info["training"]["steps"] == 2 and info["heldout"]["n"] == 8 and info["train_accuracy"]["images"] == 8
    model = load_shipped_weights("ff_shallow", tmp_path)
    assert count_parameters(model) == info["n_parameters"]
    assert "| `ff_shallow` |" in (tmp_path / "README.md").read_text()
