"""Shared test settings: Brain-Score never installs packages at run time, and nothing is cached in the user's home."""

import os

import pytest

os.environ.setdefault("BS_INSTALL_DEPENDENCIES", "no")


@pytest.fixture(scope="session", autouse=True)
def chronoscore_home(tmp_path_factory):
    """``CHRONOSCORE_HOME`` is a temporary folder for the whole session (set before any other fixture runs).

    Extraction caches, the embedded benchmark and anything else under
    ``chronoscore.paths.cache_dir()`` go there, never into ``~/.cache/chronoscore``;
    a test may still point it elsewhere with ``monkeypatch.setenv``.
    """
    with pytest.MonkeyPatch.context() as patch:
        home = tmp_path_factory.mktemp("chronoscore_home")
        patch.setenv("CHRONOSCORE_HOME", str(home))
        yield home
