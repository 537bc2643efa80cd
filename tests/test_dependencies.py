"""Dependencies point one way: cli → figures → analyses → {models, neural_fit, stimuli} → chronoscore core.

Every module of a package is imported, one after another, in a fresh
interpreter; after each, the packages it must not depend on must still be absent
from ``sys.modules`` (``sys.modules`` only grows, so the first module that
pulls one in is the one named).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import chronoscore

REPOSITORY = Path(__file__).resolve().parents[1]
FOLDERS = {"chronoscore.models": "models", "chronoscore.neural_fit": "neural_fit", "chronoscore.stimuli": "stimuli",
           "chronoscore.analyses": "analyses", "chronoscore.figures": "figures"}
FORBIDDEN = {
    "chronoscore.models": ["chronoscore.stimuli", "chronoscore.neural_fit", "chronoscore.analyses",
                           "chronoscore.figures", "chronoscore.cli"],
    "chronoscore.neural_fit": ["chronoscore.models", "chronoscore.stimuli", "chronoscore.analyses",
                               "chronoscore.figures", "chronoscore.cli"],
    "chronoscore.stimuli": ["chronoscore.models", "chronoscore.neural_fit", "chronoscore.analyses",
                            "chronoscore.figures", "chronoscore.cli"],
    "chronoscore.analyses": ["chronoscore.figures", "chronoscore.cli"],
    "chronoscore.figures": ["chronoscore.cli"],
}
"""Package -> the packages none of its modules may import."""


def modules_of(package: str) -> list[str]:
    """Every module of ``package`` (its folder's ``.py`` files), but ``__main__`` entry points."""
    folder = REPOSITORY / FOLDERS[package]
    names = []
    for path in sorted(folder.rglob("*.py")):
        parts = path.relative_to(folder).with_suffix("").parts
        if parts[-1] == "__main__":
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names.append(".".join((package, *parts)))
    return names


def first_offences(modules: list[str], forbidden: list[str]) -> dict[str, list[str]]:
    """Module -> the forbidden packages found in ``sys.modules`` right after importing it (offenders only)."""
    probe = ("import importlib, json, sys\n"
             f"modules, forbidden = {modules!r}, {forbidden!r}\n"
             "offences = {}\n"
             "for module in modules:\n"
             "    importlib.import_module(module)\n"
             "    found = [name for name in forbidden if name in sys.modules]\n"
             "    if found:\n"
             "        offences[module] = found\n"
             "        break\n"
             "print(json.dumps(offences))\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False,
                          env=dict(os.environ, BS_INSTALL_DEPENDENCIES="no"))
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_module_imports_a_package_it_must_not_depend_on(package):
    modules = modules_of(package)
    assert len(modules) > 5
    assert first_offences(modules, FORBIDDEN[package]) == {}


def test_the_check_names_a_module_that_reaches_upward():
    """The probe itself can fail: the command line's package does import analyses."""
    assert first_offences(["chronoscore.cli.score"], ["chronoscore.analyses"]) == {}  # light until it runs
    offences = first_offences(["chronoscore.cli.claims"], ["chronoscore.analyses"])
    assert offences == {"chronoscore.cli.claims": ["chronoscore.analyses"]}


def test_the_core_imports_no_subpackage():
    core = [f"chronoscore.{path.stem}" for path in sorted(Path(chronoscore.__file__).parent.glob("*.py"))
            if path.stem not in ("__init__", "__main__")]
    assert first_offences(["chronoscore", *core], list(FORBIDDEN) + ["chronoscore.cli"]) == {}


def test_no_module_imports_brainscore():
    """Brain-Score is the optional extra: every module imports without loading it (it is imported on use)."""
    modules = [module for package in sorted(FOLDERS) for module in modules_of(package)]
    assert first_offences(modules, ["brainscore_vision", "brainscore_core", "brainio"]) == {}
