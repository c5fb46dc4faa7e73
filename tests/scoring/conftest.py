"""Shared fixtures of the scoring tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

#: what applying a judge profile may set in the environment (the classifier selection reads it)
PROFILE_ENV = (
    "MULTITRUST_TOXICITY_BACKEND",
    "MULTITRUST_MODERATION_MODEL",
    "MULTITRUST_DETOXIFY_CHECKPOINT",
    "MULTITRUST_ACTION_CLASSIFIER",
)


@pytest.fixture
def profile_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Restore the classifier environment and forget the classifier choices after a test that applies a
    profile in-process (otherwise the profile's classifiers would leak into later tests)."""
    from multitrust.scoring.classifiers.action import reset_action_backend
    from multitrust.scoring.classifiers.toxicity import reset_backends

    for key in PROFILE_ENV:
        monkeypatch.setenv(key, "placeholder")  # records the original value (or its absence) for teardown
        monkeypatch.delenv(key)
    yield
    monkeypatch.undo()
    reset_backends()
    reset_action_backend()
