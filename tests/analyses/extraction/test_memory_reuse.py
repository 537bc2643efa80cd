"""Heap reuse during extraction (glibc's thresholds) and large result arrays in their own mapping."""

from __future__ import annotations

import ctypes
import gc
import mmap
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from chronoscore.analyses.extraction import _heap_reuse as heap_reuse
from chronoscore.analyses.extraction._heap_reuse import free_heap_returned, heap_kept
from chronoscore.analyses.extraction._large_arrays import empty_array

BLOCK_BYTES = 64 * 1024 * 1024


class _MallocInfo(ctypes.Structure):
    """glibc's ``struct mallinfo2``: byte counts of the heap (``arena``) and of mmap'd blocks (``hblkhd``)."""

    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                 "keepcost")]


def _malloc_info() -> _MallocInfo:
    library = heap_reuse._LIBRARY
    if library is None or not hasattr(library, "mallinfo2"):
        pytest.skip("needs glibc 2.33 or newer (mallinfo2)")
    library.mallinfo2.restype = _MallocInfo
    return library.mallinfo2()


def _mapped_bytes_of_a_block() -> int:
    """How many more bytes glibc holds in mmap'd blocks while a 64 MB numpy array is alive."""
    before = _malloc_info().hblkhd
    block = np.ones(BLOCK_BYTES // 8)
    during = _malloc_info().hblkhd
    del block
    return during - before


def check_large_blocks_come_from_the_heap_inside_the_block_and_from_mmap_outside():
    assert _mapped_bytes_of_a_block() >= BLOCK_BYTES
    with heap_kept() as active:
        assert active
        assert _mapped_bytes_of_a_block() < BLOCK_BYTES
    assert _mapped_bytes_of_a_block() >= BLOCK_BYTES


def check_nested_blocks_keep_the_setting_until_the_outermost_ends():
    _malloc_info()
    with heap_kept():
        with heap_kept():
            pass
        assert heap_reuse._depth == 1
        assert _mapped_bytes_of_a_block() < BLOCK_BYTES
    assert heap_reuse._depth == 0
    assert _mapped_bytes_of_a_block() >= BLOCK_BYTES


def check_the_setting_is_restored_when_the_block_raises():
    _malloc_info()
    with pytest.raises(RuntimeError), heap_kept():
        raise RuntimeError("model failed")
    assert heap_reuse._depth == 0
    assert _mapped_bytes_of_a_block() >= BLOCK_BYTES


@pytest.mark.parametrize("check", [check_large_blocks_come_from_the_heap_inside_the_block_and_from_mmap_outside,
                                   check_nested_blocks_keep_the_setting_until_the_outermost_ends,
                                   check_the_setting_is_restored_when_the_block_raises])
def test_heap_settings_in_a_fresh_process(check):
    """Each check runs in a new interpreter: earlier tests' large extractions leave free chunks of 64 MB and
    more in this process's heap, from which glibc serves a block before it considers mmap at all."""
    _malloc_info()  # skips without glibc 2.33
    script = f"from tests.analyses.extraction.test_memory_reuse import {check.__name__} as check\ncheck()\nprint('OK')"
    finished = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                              cwd=Path(__file__).resolve().parents[3])
    assert finished.returncode == 0 and finished.stdout.strip().endswith("OK"), finished.stderr[-2000:]


@pytest.mark.parametrize("shape, dtype", [((3, 4, 2), np.float32), ((700, 1000, 2), np.float16),
                                          ((512, 1024, 2), np.float32)])
def test_empty_array_is_a_writable_c_ordered_array_of_the_shape(shape, dtype):
    values = empty_array(shape, dtype)
    assert values.shape == shape and values.dtype == dtype
    assert values.flags.c_contiguous and values.flags.writeable
    expected = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    values[...] = expected
    np.testing.assert_array_equal(values, expected)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(values)), expected)


def test_a_view_keeps_its_mapped_array_alive():
    view = empty_array((1024, 1024), np.float32)[10:20]
    gc.collect()
    view[...] = 7.0
    assert float(view.sum()) == 7.0 * 10 * 1024


def _owning_buffer(values: np.ndarray) -> object:
    """The object at the bottom of an array's chain of bases (through a memoryview to what it views)."""
    while isinstance(values.base, np.ndarray):
        values = values.base
    return values.base.obj if isinstance(values.base, memoryview) else values.base


def test_a_large_array_has_its_own_mapping_and_a_small_one_comes_from_numpy():
    assert isinstance(_owning_buffer(empty_array((512, 1024, 2), np.float32)), mmap.mmap)
    assert _owning_buffer(empty_array((3, 4, 2), np.float32)) is None


def _resident_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def check_free_heap_is_returned_inside_the_block():
    _malloc_info()
    with heap_kept():
        blocks = [np.ones(BLOCK_BYTES // 8) for _ in range(4)]  # 256 MB from the heap, touched
        keep = np.ones(1024)  # a small live block above them keeps the heap's top from shrinking by itself
        del blocks
        before = _resident_mb()
        assert free_heap_returned()
        returned = before - _resident_mb()
        del keep
    assert returned > 3 * BLOCK_BYTES / 2**20, f"{returned:.0f} MB returned"


def test_free_heap_is_returned_inside_the_block_in_a_fresh_process():
    _malloc_info()
    script = ("from tests.analyses.extraction.test_memory_reuse import "
              "check_free_heap_is_returned_inside_the_block as check\ncheck()\nprint('OK')")
    finished = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                              cwd=Path(__file__).resolve().parents[3])
    assert finished.returncode == 0 and finished.stdout.strip().endswith("OK"), finished.stderr[-2000:]
