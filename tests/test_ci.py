"""CI skips nothing by accident: every optional module a test skips on is installed by the README's test
command, except the GPU-only vLLM; and pytest always prints why a test was skipped."""

from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: modules whose tests may skip in CI: they need an NVIDIA GPU
GPU_ONLY = {"vllm"}


def skipped_on_modules() -> set[str]:
    """Modules named by a ``pytest.importorskip(NAME)`` or a ``find_spec(NAME) is None`` skip condition."""
    found: set[str] = set()
    for path in (ROOT / "tests").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        found.update(re.findall(r"importorskip\(\s*[\"']([\w.]+)[\"']", text))
        found.update(re.findall(r"find_spec\(\s*[\"']([\w.]+)[\"']\s*\)\s+is\s+(?:not\s+)?None", text))
    return found


def pyproject_section(header: str) -> str:
    """The text of one ``[table]`` of pyproject.toml (tomllib is Python 3.11+, the project supports 3.10)."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    return text.split(f"\n{header}\n", 1)[1].split("\n[", 1)[0]


def test_pytest_prints_skip_reasons(pytestconfig: pytest.Config) -> None:
    assert re.search(r'^addopts = ".*-rs\b', pyproject_section("[tool.pytest.ini_options]"), re.MULTILINE)
    assert "s" in pytestconfig.option.reportchars  # and this very session was started with it


def test_the_dev_extra_installs_what_the_classifier_tests_skip_on() -> None:
    dev = pyproject_section("[project.optional-dependencies]").split("dev = [", 1)[1].split("]", 1)[0]
    assert re.search(r'^\s*"httpx>=', dev, re.MULTILINE)


@pytest.mark.skipif(os.environ.get("CI") != "true", reason="checks CI's full install (CI=true)")
def test_every_module_a_test_skips_on_is_installed_in_ci() -> None:
    modules = skipped_on_modules()
    assert {"torch", "httpx", "profanity_check", "ray", "mkdocs", "vllm"} <= modules  # the scan finds them
    missing = sorted(m for m in modules - GPU_ONLY if importlib.util.find_spec(m.split(".")[0]) is None)
    assert not missing, f"tests skip on modules the README's test command does not install: {missing}"
