"""pyproject's requirements: a core with lower bounds only, Brain-Score as the extra, the Pythons the suite ran on."""

import re
import sys
import tomllib
from pathlib import Path

PYPROJECT = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())["project"]


def name_of(requirement: str) -> str:
    return re.match(r"[A-Za-z0-9_.-]+", requirement).group(0).lower()


def test_the_core_requirements_have_lower_bounds_only():
    for requirement in PYPROJECT["dependencies"]:
        assert "<" not in requirement and "==" not in requirement, requirement
        assert ">=" in requirement, f"{requirement} has no lower bound"


def test_brainscore_is_only_the_extra():
    assert not [r for r in PYPROJECT["dependencies"] if name_of(r).startswith("brainscore")]
    assert [name_of(r) for r in PYPROJECT["optional-dependencies"]["brainscore"]] == ["brainscore-vision"]
    for extra, requirements in PYPROJECT["optional-dependencies"].items():
        if extra != "brainscore":
            assert not [r for r in requirements if name_of(r).startswith("brainscore")], extra


def test_requires_python_is_the_python_the_suite_runs_on():
    assert PYPROJECT["requires-python"] == ">=3.11,<3.12"
    assert sys.version_info[:2] == (3, 11)
