"""The README's two set-up commands stay true: the test command is exactly what CI runs."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def setup_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("```bash", 1)[1].split("```", 1)[0]
    return [line.strip() for line in block.strip().splitlines()]


def test_exactly_two_setup_commands() -> None:
    install_and_run, tests = setup_commands()
    assert install_and_run.endswith("multitrust run")
    assert "pytest" in tests


def test_ci_runs_the_readme_test_command() -> None:
    _, tests = setup_commands()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert tests in [line.strip() for line in ci]
