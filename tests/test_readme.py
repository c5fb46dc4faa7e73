"""The README's two set-up commands stay true: the test command is exactly what CI runs."""

import re
from pathlib import Path

import pytest

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


def readme_sample() -> list[str]:
    """The lines of the README's ``$ multitrust run`` sample output, after the command line."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("```\n$ multitrust run\n", 1)[1].split("```", 1)[0]
    return block.splitlines()


def shape(line: str, model: str, run_dir: str) -> str:
    """A printed line with its numbers, model spec and run directory abstracted away."""
    line = line.replace(run_dir, "RUN").replace(model, "MODEL")
    return " ".join(re.sub(r"\d+(\.\d+)?", "N", line).split())


def test_readme_sample_output_is_what_the_quick_suite_prints(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The quick suite, run here with the fallback model (builtin:tiny is made unusable), prints the README's
    lines: the same header, title, table header, overall, calls and report lines."""
    from rich.console import Console
    from typer.testing import CliRunner

    from multitrust import cli
    from multitrust.models import local_registry

    monkeypatch.setattr(local_registry, "_installed", lambda *names: list(names))
    monkeypatch.setattr(cli, "console", Console(width=250))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli.app, ["run"])
    assert result.exit_code == 0, result.output
    (run_dir,) = (p.relative_to(tmp_path) for p in (tmp_path / "runs").iterdir())
    printed = {shape(line, cli.QUICK_FALLBACK_MODEL, str(run_dir)) for line in result.stdout.splitlines()}
    sample = readme_sample()
    readme_run = re.search(r"runs/\d{8}-\d{6}", "\n".join(sample))
    assert readme_run is not None
    for line in sample:
        if line.startswith(("│ ", "└")):  # score rows: the README's model scores differently
            continue
        expected = shape(line.replace("builtin:tiny@1", "builtin:tiny"), "builtin:tiny", readme_run.group())
        expected = expected.replace("MODEL — RUN", "MODEL#seed=N — RUN")  # the scripted model names its seed
        assert expected in printed, f"README line not printed by the CLI: {line!r}"


def test_readme_and_the_docs_it_links_cite_only_files_in_the_repo() -> None:
    """No "spec §N" or ARCHITECTURE.md: those live outside the repository, where readers cannot follow them."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    linked = sorted(set(re.findall(r"\bdocs/[\w./-]+\.(?:md|png|sh)\b", text)))
    assert "docs/report-schema.md" in linked
    for name in ["README.md", *linked]:
        path = ROOT / name
        assert path.is_file(), f"README links {name}, which is not in the repository"
        if path.suffix == ".md":
            body = path.read_text(encoding="utf-8")
            assert "spec §" not in body and "ARCHITECTURE.md" not in body, name
