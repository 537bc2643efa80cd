"""The activation cache: hits without running the model, keys, corrupt entries, two processes at once."""

import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
import xarray as xr

from chronoscore.analyses.extraction import extract
from chronoscore.analyses.extraction.cache import read_entry
from chronoscore.models.convrnn import ConvRNN
from tests.analyses.extraction.test_extract_support import one_cpu_thread, stimulus_set, tiny_convrnn  # noqa: F401

REPOSITORY = Path(__file__).resolve().parents[3]


CHECK_PASSES = 2  # the plain and the rewritten network on the check images, before an extraction's batches


@pytest.fixture
def forward_calls(monkeypatch):
    """Counts ConvRNN.forward_timesteps calls (patched on the class, so no model's settings change)."""
    calls = []
    original = ConvRNN.forward_timesteps

    def counted(self, *args, **kwargs):
        calls.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(ConvRNN, "forward_timesteps", counted)
    return calls


def only_entry(folder: Path) -> Path:
    entries = sorted(folder.glob("*.npz"))
    assert len(entries) == 1, entries
    return entries[0]


def test_a_cache_hit_returns_identical_activations_without_running_the_model(tmp_path, forward_calls):
    model, stimuli = tiny_convrnn(n_steps=3), stimulus_set(n=5)
    first = extract(model, stimuli, batch_size=2, cache=tmp_path, progress=False, dtype="float16")
    assert len(forward_calls) == 3 + CHECK_PASSES
    second = extract(model, stimuli, batch_size=2, cache=tmp_path, progress=False, dtype="float16")
    assert len(forward_calls) == 3 + CHECK_PASSES
    xr.testing.assert_identical(second, first)
    assert second.dtype == np.float16 and second.attrs == first.attrs
    np.testing.assert_array_equal(second["flipped"].values, stimuli.table["flipped"].values)


def test_the_default_cache_lives_under_chronoscore_home(tmp_path, monkeypatch):
    monkeypatch.setenv("CHRONOSCORE_HOME", str(tmp_path))
    extract(tiny_convrnn(n_steps=2), stimulus_set(n=2), progress=False)
    assert only_entry(tmp_path / "activations").name.startswith("ConvRNN-")


@pytest.mark.parametrize("change", ["steps", "areas", "projection", "dtype", "weights", "stimuli", "degrees",
                                    "setting"])
def test_anything_the_activations_depend_on_misses_the_cache(tmp_path, forward_calls, change):
    model, stimuli = tiny_convrnn(n_steps=3), stimulus_set(n=2)
    options = {"n_steps": 3, "areas": None, "projection": None, "dtype": "float32", "model_degrees": 8.0}
    extract(model, stimuli, cache=tmp_path, progress=False, **options)
    if change == "weights":
        with torch.no_grad():
            model.classifier.bias[0] += 1.0  # no effect on the areas, but other weights are other weights
    elif change == "stimuli":
        stimuli = stimulus_set(n=2, seed=5)
    elif change == "setting":
        model.image_off = 1
    else:
        option, value = {"steps": ("n_steps", 2), "areas": ("areas", ["conv1"]), "dtype": ("dtype", "float16"),
                         "projection": ("projection", ("random", 8)), "degrees": ("model_degrees", 10.0)}[change]
        options[option] = value
    extract(model, stimuli, cache=tmp_path, progress=False, **options)
    assert len(forward_calls) == 2 * (1 + CHECK_PASSES)
    assert len(list(tmp_path.glob("*.npz"))) == 2


def damage_entry(entry: Path, damage: str, values: np.ndarray) -> None:
    """Truncate the file, flip one bit of the stored values, or store other values under the old checksum."""
    data = bytearray(entry.read_bytes())
    if damage == "truncate":
        entry.write_bytes(bytes(data[: len(data) // 2]))
    elif damage == "flip_a_bit":
        data[data.index(values[1].tobytes()[:16]) + 3] ^= 0x01
        entry.write_bytes(bytes(data))
    else:  # a well-formed file whose checksum no longer matches (only the checksum can tell)
        with np.load(entry) as stored:
            members = {name: stored[name] for name in stored.files}
        members["values"] = members["values"] + 1
        np.savez(entry, **members)


@pytest.mark.parametrize("damage", ["truncate", "flip_a_bit", "stale_checksum"])
def test_a_corrupt_entry_is_recomputed_with_a_warning_and_replaced(tmp_path, forward_calls, damage):
    model, stimuli = tiny_convrnn(n_steps=3), stimulus_set(n=3)
    first = extract(model, stimuli, cache=tmp_path, progress=False)
    damage_entry(only_entry(tmp_path), damage, first.values)
    with pytest.warns(UserWarning, match="corrupt or truncated"):
        again = extract(model, stimuli, cache=tmp_path, progress=False)
    assert len(forward_calls) == 2 * (1 + CHECK_PASSES)
    xr.testing.assert_identical(again, first)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        xr.testing.assert_identical(read_entry(only_entry(tmp_path)), first)


WORKER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    import torch
    from chronoscore.analyses.extraction import extract
    from chronoscore.analyses.extraction.cache import activations_checksum
    from chronoscore.models.convrnn import ConvRNN
    from tests.analyses.extraction.test_extract_support import stimulus_set, tiny_convrnn

    torch.set_num_threads(1)
    calls = []
    original = ConvRNN.forward_timesteps
    def counted(self, *args, **kwargs):
        calls.append(1)
        time.sleep(0.2)  # keep the extraction running while the other process arrives
        return original(self, *args, **kwargs)
    ConvRNN.forward_timesteps = counted
    model, stimuli = tiny_convrnn(n_steps=3), stimulus_set(n=6)
    ready = Path(sys.argv[2])
    (ready / sys.argv[3]).touch()
    while len(list(ready.iterdir())) < 2:  # start together once both have imported torch
        time.sleep(0.01)
    activations = extract(model, stimuli, batch_size=2, cache=sys.argv[1], progress=False)
    print(len(calls), activations_checksum(activations))
""")


def test_two_processes_extracting_the_same_thing_both_succeed_and_leave_one_valid_entry(tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    cache, ready = tmp_path / "cache", tmp_path / "ready"
    ready.mkdir()
    environment = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
    workers = [subprocess.Popen([sys.executable, str(script), str(cache), str(ready), str(index)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment,
                                cwd=REPOSITORY)
               for index in range(2)]
    results = [worker.communicate(timeout=120) for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0], [error for _, error in results]
    outputs = [output.split() for output, _ in results]
    assert sorted(int(calls) for calls, _ in outputs) == [0, 3 + CHECK_PASSES]  # one computed, the other waited and read
    assert outputs[0][1] == outputs[1][1]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        stored = read_entry(only_entry(cache))
    from chronoscore.analyses.extraction.cache import activations_checksum

    assert activations_checksum(stored) == outputs[0][1]
    assert not list(cache.glob("*.tmp"))
