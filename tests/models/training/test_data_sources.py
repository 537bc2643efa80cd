"""The trainer's data sources: ``imagefolder`` is the trainer's own; ``generated`` comes from analyses."""

import subprocess
import sys

PROBE = """
from chronoscore.errors import ConfigError
from chronoscore.models.training import load_recipe, train
from chronoscore.models.training.data import check_data_source

recipe = load_recipe({"model": {"name": "ff_shallow"}, "data": {"generator": "objects", "train_n": 8}, "steps": 1})
try:
    train(recipe, OUT, progress=False)
except ConfigError as error:
    print("REFUSED", error)
import chronoscore.analyses.training_data
check_data_source(recipe.data)
print("ACCEPTED")
"""


def test_generated_data_needs_the_source_analyses_registers(tmp_path):
    """Without chronoscore.analyses the trainer refuses generated data, saying where its source is."""
    probe = PROBE.replace("OUT", repr(str(tmp_path / "run")))
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    refused, accepted = done.stdout.strip().splitlines()[-2:]
    assert refused.startswith("REFUSED no data source 'generated' is registered (registered: imagefolder)")
    assert "chronoscore.analyses.train" in refused
    assert accepted == "ACCEPTED"
    assert not (tmp_path / "run" / "checkpoints").exists()
