"""Run a benchmark's Brain-Score side in the environment that has Brain-Score.

Brain-Score pins an older stack (numpy < 2, xarray < 2022.6) than chronoscore's
own environment, so ``make test`` keeps it in ``.venv-brainscore``. A benchmark
that compares the two calls :func:`brainscore_figures`: where ``brainscore_vision``
imports, it runs the reference in this process; otherwise it runs the benchmark
script again with that environment's Python and ``--reference-only RESULT.npz``,
and reads the figures the script saved there.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from importlib.util import find_spec
from pathlib import Path

import numpy as np

BRAINSCORE_PYTHON = Path(__file__).resolve().parents[1] / ".venv-brainscore" / "bin" / "python"
"""Default Python of the environment with Brain-Score (``make install-brainscore``)."""


def brainscore_figures(here: Callable[[], dict], script: str, argv: Sequence[str],
                       python: Path = BRAINSCORE_PYTHON) -> dict:
    """The reference's figures (a dict of arrays and numbers), from this process or from ``python``.

    Parameters
    ----------
    here : callable
        Runs the reference in this process and returns its figures; used when Brain-Score imports here.
    script : str
        The benchmark script (``__file__``); it must accept ``--reference-only RESULT.npz``.
    argv : sequence of str
        The script's size options, passed on unchanged.
    python : Path
        Python of the environment with Brain-Score.
    """
    if find_spec("brainscore_vision") is not None:
        return here()
    require_brainscore_python(python)
    with tempfile.TemporaryDirectory() as folder:
        result = Path(folder) / "brainscore.npz"
        subprocess.run([str(python), script, *argv, "--reference-only", str(result)], check=True)
        with np.load(result) as stored:
            return {key: (stored[key].item() if stored[key].ndim == 0 else stored[key]) for key in stored.files}


def require_brainscore_python(python: Path) -> Path:
    """``python`` if it exists; else exit saying how to make the Brain-Score environment."""
    if not python.exists():
        raise SystemExit(f"Brain-Score is not importable here and {python} does not exist; run "
                         "`make install-brainscore` or pass --brainscore-python PATH.")
    return python


def save_reference(figures: dict, path: Path) -> None:
    """Save the reference's figures for the calling process (``--reference-only``) and say where they ran."""
    np.savez(path, **figures)
    import xarray

    print(f"Brain-Score side: {sys.executable} (numpy {np.__version__}, xarray {xarray.__version__})")
