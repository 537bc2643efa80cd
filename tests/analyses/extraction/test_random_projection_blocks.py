"""The random projection drawn in row blocks: equal to its stacked matrix, unchanged for one block, bounded in memory."""

import hashlib
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from chronoscore.analyses.extraction import _projection as projection_module
from chronoscore.analyses.extraction._projection import (
    ProjectionSpec,
    RandomProjection,
    block_rows,
    random_projection_block,
    random_projection_matrix,
)


def old_seeded_matrix(area: str, n_rows: int, n_features: int, n_components: int) -> torch.Tensor:
    """The first ``n_rows`` rows as the whole matrix was drawn before blocks: one generator seeded by area|F|D."""
    text = f"chronoscore.random_projection|{area}|{n_features}|{n_components}"
    seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little") % 2**63
    drawn = torch.randn(n_rows, n_components, generator=torch.Generator().manual_seed(seed))
    return drawn.mul_(1.0 / math.sqrt(n_components))


@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of 2**12 elements (64 rows at D = 64), so that small matrices have many blocks."""
    monkeypatch.setattr(projection_module, "_BLOCK_ELEMENTS", 2**12)


@pytest.mark.parametrize("n_features, n_components, seed", [(65, 64, 0), (640, 64, 1), (1000, 64, 2),
                                                            (1300, 7, 3), (4096, 200, 4)])
def test_blocked_projection_equals_the_activity_times_the_stacked_blocks_in_float64(
        small_blocks, n_features, n_components, seed):
    rows = block_rows(n_components)
    n_blocks = -(-n_features // rows)
    assert n_blocks >= 2
    blocks = [random_projection_block("V4", n_features, n_components, block).numpy() for block in range(n_blocks)]
    assert [len(block) for block in blocks] == [rows] * (n_blocks - 1) + [n_features - rows * (n_blocks - 1)]
    matrix = np.concatenate(blocks).astype(np.float64)
    activity = np.random.default_rng(seed).standard_normal((3, 5, n_features))
    expected = np.einsum("tbf,fd->tbd", activity, matrix)
    for kept_bytes in (0, 10**9):
        got = RandomProjection(n_components, kept_bytes=kept_bytes).project("V4", torch.from_numpy(activity))
        assert got.dtype == torch.float64 and got.shape == (3, 5, n_components)
        np.testing.assert_allclose(got.numpy(), expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(random_projection_matrix("V4", n_features, n_components).numpy(), np.concatenate(blocks))


def test_each_block_has_its_own_seed_and_block_zero_keeps_the_seed_of_the_whole_matrix(small_blocks):
    rows = block_rows(64)
    first, second = (random_projection_block("IT", 10 * rows, 64, block) for block in (0, 1))
    torch.testing.assert_close(first, old_seeded_matrix("IT", rows, 10 * rows, 64), rtol=0, atol=0)
    assert not torch.equal(first, second)
    assert float(np.corrcoef(first.reshape(-1), second.reshape(-1))[0, 1]) == pytest.approx(0, abs=0.05)
    with pytest.raises(ValueError, match="outside"):
        random_projection_block("IT", 10 * rows, 64, 10)


@pytest.mark.parametrize("area, n_components", [("V1", 1000), ("IT_conv10", 300)])
def test_a_matrix_of_one_block_is_the_matrix_drawn_before_blocks(area, n_components):
    n_features = block_rows(n_components)  # the largest matrix of one block at the real block size
    torch.testing.assert_close(random_projection_matrix(area, n_features, n_components),
                               old_seeded_matrix(area, n_features, n_features, n_components), rtol=0, atol=0)


def test_a_matrix_of_many_blocks_is_a_johnson_lindenstrauss_projection(small_blocks):
    matrix = random_projection_matrix("V2", 20_000, 64).double()
    assert abs(float(matrix.mean())) < 0.002
    assert float(matrix.var()) == pytest.approx(1 / 64, rel=0.02)
    columns = matrix.T @ matrix  # E[R^T R] = (F / D) I
    torch.testing.assert_close(columns.diagonal() / (20_000 / 64), torch.ones(64, dtype=torch.float64),
                               rtol=0.05, atol=0)
    vectors = torch.randn(200, 20_000, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    ratios = (vectors @ matrix).square().sum(dim=1) / vectors.square().sum(dim=1)
    assert float(ratios.mean()) == pytest.approx(1.0, abs=0.03)  # squared norms kept on average
    assert float(ratios.std()) == pytest.approx(math.sqrt(2 / 64), rel=0.2)  # chi-square with D degrees / D


def resident_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no {field} in /proc/self/status")


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux's resettable peak RSS")
@pytest.mark.parametrize("kept_mib", [0, 8])
def test_projecting_a_large_area_holds_one_block_and_the_kept_ones_not_the_matrix(monkeypatch, kept_mib):
    monkeypatch.setattr(projection_module, "_BLOCK_ELEMENTS", 2**18)  # 1 MiB blocks at D = 256
    n_features, n_components = 2**16, 256  # the whole matrix: 64 MiB
    activity = torch.randn(2, 3, n_features, generator=torch.Generator().manual_seed(0))
    projection = RandomProjection(n_components, kept_bytes=kept_mib * 2**20)
    Path("/proc/self/clear_refs").write_text("5")  # the peak (VmHWM) restarts from the current RSS
    before = resident_mb("VmRSS")
    projected = projection.project("IT", activity)
    growth = resident_mb("VmHWM") - before
    assert projected.shape == (2, 3, n_components)
    assert growth < kept_mib + 20, f"peak grew {growth:.1f} MB"


def test_the_projection_is_the_same_in_another_process_whatever_the_global_seed(small_blocks):
    code = ("import sys, torch\n"
            "from chronoscore.analyses.extraction import _projection as p\n"
            "p._BLOCK_ELEMENTS = 2**12\n"
            "torch.manual_seed(1)\n"
            "x = torch.linspace(-1, 1, 2 * 3 * 700, dtype=torch.float64).reshape(2, 3, 700)\n"
            "sys.stdout.write(p.RandomProjection(64).project('V4', x).numpy().tobytes().hex())\n")
    there = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    torch.manual_seed(2)
    here = torch.linspace(-1, 1, 2 * 3 * 700, dtype=torch.float64).reshape(2, 3, 700)
    assert there == RandomProjection(64).project("V4", here).numpy().tobytes().hex()


def test_the_cache_key_of_the_random_projection_changed_with_the_blocks():
    key = ProjectionSpec("random", 100).key()
    assert key != {"kind": "random", "n_components": 100}  # the key of entries made with whole matrices
    assert key["version"] == 2
    assert "row blocks" in ProjectionSpec("random", 100).describe()
