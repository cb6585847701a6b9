"""Git as an operator configures it, for the tests that fetch repositories: a gitconfig of the
test's own, a counter of the fetches local repositories serve, and a temporary folder that
must end empty."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


def add_to_config(config: Path, text: str) -> None:
    config.write_text(config.read_text() + text)


@pytest.fixture
def git_global_config(tmp_path, monkeypatch, settings) -> Path:
    """An operator gitconfig of the test's own, and local repositories allowed."""
    config = tmp_path / "operator.gitconfig"
    config.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    settings.CONNECTORS_ALLOW_LOCAL_REPOSITORIES = True
    settings.CONNECTORS_GIT_TIMEOUT_SECONDS = 30
    return config


@pytest.fixture
def fetch_counter(git_global_config, tmp_path) -> Path:
    """Counts the packs the source repositories serve, i.e. the fetches (not ls-remote)."""
    count = tmp_path / "fetches"
    count.write_text("")
    hook = tmp_path / "count-fetches.sh"
    hook.write_text(f'#!/bin/sh\necho fetch >> {count}\nexec "$@"\n')
    hook.chmod(0o755)
    add_to_config(git_global_config, f"[uploadpack]\n\tpackObjectsHook = {hook}\n")
    return count


@pytest.fixture
def scratch_root(tmp_path, monkeypatch) -> Iterator[Path]:
    """Temporary directories of this test go to a folder of its own, which must end empty."""
    root = tmp_path / "scratch"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    yield root
    assert not list(root.iterdir())
