"""Shared fixtures. Every test runs with its own cache dir, so nothing touches the user's cache."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path_factory.getbasetemp() / "mt-cache"
    monkeypatch.setenv("MULTITRUST_CACHE_DIR", str(cache))
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)


@pytest.fixture(scope="session")
def builtin_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built-in data tree (seed 0), built once per test session."""
    from multitrust.data.builtin import build_tree

    out = tmp_path_factory.mktemp("builtin") / "data"
    build_tree(out, seed=0)
    return out
