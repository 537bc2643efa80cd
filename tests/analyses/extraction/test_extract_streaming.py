"""Extraction with a cache writes its rows into the entry batch by batch: same result, written as it goes, cleaned up."""

import hashlib
import zipfile

import numpy as np
import pytest
import xarray as xr

from chronoscore.analyses.extraction import extract
from chronoscore.analyses.extraction.cache import EntryWriter, read_entry, stored_values, write_entry
from chronoscore.models.convrnn import ConvRNN
from tests.analyses.extraction.test_extract_support import by_hand, one_cpu_thread, stimulus_set, tiny_convrnn  # noqa: F401


def entry_files(folder):
    return sorted(path.name for path in folder.iterdir() if not path.name.endswith(".lock"))


def small_activations(n: int = 7, seed: int = 0) -> xr.DataArray:
    values = np.random.default_rng(seed).standard_normal((n, 5, 3)).astype(np.float32)
    return xr.DataArray(values, dims=("presentation", "neuroid", "time_step"),
                        coords={"stimulus_id": ("presentation", np.array([f"s{i}" for i in range(n)])),
                                "layer": ("neuroid", np.array(list("aabbb"))), "time_step": np.arange(3)},
                        attrs={"model": "m", "n_steps": 3})


@pytest.mark.parametrize("blocks", [[7], [1, 6], [3, 3, 1], [1] * 7])
def test_an_entry_written_in_row_blocks_reads_back_as_the_activations_with_their_checksum(tmp_path, blocks):
    activations = small_activations()
    template = activations.copy(data=np.broadcast_to(np.float32(0), activations.shape))
    with EntryWriter(tmp_path / "streamed.npz", template) as writer:
        start = 0
        for size in blocks:
            writer.write_rows(activations.values[start:start + size])
            start += size
        finished = writer.finish()
    xr.testing.assert_identical(finished, activations)
    xr.testing.assert_identical(read_entry(tmp_path / "streamed.npz"), activations)
    with zipfile.ZipFile(tmp_path / "streamed.npz") as archive:
        assert {info.compress_type for info in archive.infolist()} == {zipfile.ZIP_STORED}
    with np.load(tmp_path / "streamed.npz") as stored:  # the checksum: SHA-256 over members in name order
        members = {name: stored[name] for name in stored.files}
    digest = hashlib.sha256()
    for name in sorted(set(members) - {"checksum"}):
        array = np.ascontiguousarray(members[name])
        digest.update(f"{name}|{array.dtype.str}|{array.shape}|".encode() + array.tobytes())
    assert str(members["checksum"]) == digest.hexdigest()
    np.testing.assert_array_equal(members["values"], activations.values)
    write_entry(tmp_path / "whole.npz", activations)
    with np.load(tmp_path / "whole.npz") as whole:
        assert str(whole["checksum"]) == str(members["checksum"])
    assert entry_files(tmp_path) == ["streamed.npz", "whole.npz"]


def test_a_writer_left_with_missing_rows_or_an_error_leaves_no_file(tmp_path):
    activations = small_activations()
    template = activations.copy(data=np.broadcast_to(np.float32(0), activations.shape))
    with EntryWriter(tmp_path / "short.npz", template) as writer:
        writer.write_rows(activations.values[:3])
        with pytest.raises(ValueError, match="do not fit"):
            writer.write_rows(activations.values[:5])  # 3 + 5 > 7 rows
    assert entry_files(tmp_path) == []
    with pytest.raises(ValueError, match="3 of 7"):
        with EntryWriter(tmp_path / "short.npz", template) as writer:
            writer.write_rows(activations.values[:3])
            writer.finish()
    assert entry_files(tmp_path) == []
    with pytest.raises(RuntimeError, match="stopped"):
        with EntryWriter(tmp_path / "failed.npz", template) as writer:
            writer.write_rows(activations.values[:3])
            raise RuntimeError("stopped")
    assert entry_files(tmp_path) == []


def test_stored_values_are_read_back_in_their_dtype_into_a_writable_array(tmp_path):
    activations = small_activations().astype(np.float16)
    write_entry(tmp_path / "half.npz", activations)
    values = stored_values(tmp_path / "half.npz")
    assert values.dtype == np.float16 and values.flags.writeable
    np.testing.assert_array_equal(values, activations.values)


def test_a_cached_extraction_equals_the_uncached_one_and_the_model_by_hand(tmp_path):
    model, stimuli = tiny_convrnn(n_steps=3), stimulus_set(n=5)
    cached = extract(model, stimuli, batch_size=2, cache=tmp_path, progress=False)
    uncached = extract(model, stimuli, batch_size=2, cache=False, progress=False)
    xr.testing.assert_identical(cached, uncached)
    for area, values in by_hand(model, stimuli).items():
        np.testing.assert_allclose(cached.sel(neuroid=cached["layer"] == area).values, values, rtol=1e-5, atol=1e-6)
    assert cached.values.flags.writeable


def test_rows_reach_the_file_while_the_model_is_still_running(tmp_path, monkeypatch):
    model, stimuli = tiny_convrnn(n_steps=3), stimulus_set(n=7)
    sizes = []
    original = ConvRNN.forward_timesteps

    def watched(self, images, *args, **kwargs):
        temporary = [path for path in tmp_path.glob(".*.tmp")]
        sizes.append((len(images), temporary[0].stat().st_size if temporary else None))
        return original(self, images, *args, **kwargs)

    monkeypatch.setattr(ConvRNN, "forward_timesteps", watched)
    activations = extract(model, stimuli, batch_size=2, cache=tmp_path, progress=False)
    batches = sizes[-4:]  # after the speed tricks' check: batches of 2, 2, 2, 1
    assert [size for size, _ in batches] == [2, 2, 2, 1]
    assert batches[0][1] is None  # the entry opens with the first batch's shapes
    row_bytes = activations.shape[1] * activations.shape[2] * 4
    grown = [after - before for (_, before), (_, after) in zip(batches[1:], batches[2:])]
    assert all(growth >= 2 * row_bytes for growth in grown), (grown, row_bytes)
    assert [name[-4:] for name in entry_files(tmp_path)] == [".npz"]  # the entry, no temporary file left


def test_an_extraction_that_fails_midway_leaves_no_entry(tmp_path, monkeypatch):
    model, stimuli = tiny_convrnn(n_steps=3), stimulus_set(n=6)
    calls = []
    original = ConvRNN.forward_timesteps

    def failing(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 5:  # two check passes, two batches, then the third batch fails
            raise RuntimeError("model failed")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(ConvRNN, "forward_timesteps", failing)
    with pytest.raises(RuntimeError, match="model failed"):
        extract(model, stimuli, batch_size=2, cache=tmp_path, progress=False)
    assert entry_files(tmp_path) == [] and len(calls) == 5
