"""The command line as a user meets it: one clear line per bad input, secrets never on disk, the built-in
data built once and reused."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from multitrust.testing.server import start_server


def cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "multitrust", *args], capture_output=True, text=True, timeout=120, env=full_env, cwd=cwd
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["run", "--model", "gpt-4o"], "bad model spec 'gpt-4o': expected KIND:NAME"),
        (["run", "--model", "scripted:shout"], "unknown mode"),
        (["run", "--model", "scripted:yes", "--tasks", "X.9"], "unknown task 'X.9'"),
        (["run", "--model", "scripted:yes", "--tasks", "T.6", "--data", "/no/such/dir"], "data directory not found"),
        (["run", "--model", "scripted:yes", "--limit", "0"], "--limit"),
        (["report", "/no/such/run"], "not a run directory"),
        (["score", "/no/such/run"], "not a run directory"),
    ],
)
def test_bad_input_is_one_clear_line(args: list[str], expected: str, tmp_path: Path) -> None:
    result = cli(*args, "--out", str(tmp_path / "r")) if args[0] == "run" else cli(*args)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and expected in lines[0]
    assert "Traceback" not in result.stderr


def test_run_dir_of_another_model_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert (
        cli("run", "--model", "scripted:yes", "--tasks", "T.6", "--limit", "2", "--out", str(out), "-q").returncode == 0
    )
    result = cli("run", "--model", "scripted:no", "--tasks", "T.6", "--out", str(out), "-q")
    assert result.returncode == 2
    assert "holds a run of scripted:yes" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_secrets_never_reach_disk(tmp_path: Path) -> None:
    secret = "sk-test-SECRET-0123456789abcdef"
    with start_server(reply="yes") as server:
        out = tmp_path / "run"
        spec = f"openai-compat:{server.url}@m?api_key_env=MT_TEST_KEY"
        result = cli(
            "run",
            "--model",
            spec,
            "--judge",
            spec,
            "--tasks",
            "T.6",
            "--limit",
            "2",
            "--out",
            str(out),
            "-q",
            env={"MT_TEST_KEY": secret},
        )
        assert result.returncode == 0, result.stderr
        assert secret not in result.stdout + result.stderr
        report = cli("report", str(out), "--json", str(tmp_path / "r.json"))
        assert report.returncode == 0
    for path in [*out.rglob("*"), tmp_path / "r.json"]:
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), f"secret written to {path}"
    config = json.loads((out / "config.json").read_text())
    assert config["config"]["model"] == spec  # the spec names the variable, not the key


def test_builtin_data_is_built_once_and_reused(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    env = {"MULTITRUST_CACHE_DIR": str(cache)}
    first = cli(
        "run", "--model", "scripted:no", "--tasks", "F.2", "--limit", "1", "--out", str(tmp_path / "a"), "-q", env=env
    )
    assert first.returncode == 0, first.stderr
    trees = list((cache / "builtin").iterdir())
    assert len(trees) == 1 and (trees[0] / "MANIFEST.json").is_file()
    stamp = (trees[0] / "MANIFEST.json").stat().st_mtime_ns
    second = cli(
        "run", "--model", "scripted:no", "--tasks", "F.2", "--limit", "1", "--out", str(tmp_path / "b"), "-q", env=env
    )
    assert second.returncode == 0
    assert (trees[0] / "MANIFEST.json").stat().st_mtime_ns == stamp
    other_seed = cli(
        "run",
        "--model",
        "scripted:no",
        "--tasks",
        "F.2",
        "--limit",
        "1",
        "--seed",
        "5",
        "--out",
        str(tmp_path / "c"),
        "-q",
        env=env,
    )
    assert other_seed.returncode == 0
    assert len(list((cache / "builtin").iterdir())) == 2


def test_data_build_is_deterministic(tmp_path: Path) -> None:
    for name in ("a", "b"):
        assert cli("data", "build", "--out", str(tmp_path / name), "--seed", "3", "--tasks", "T.6,F.2").returncode == 0
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    assert files_a == files_b and len(files_a) > 50
    assert all((tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes() for f in files_a)


def test_list_tasks_shows_all_32() -> None:
    result = cli("list", "tasks")
    assert result.returncode == 0
    for tid in ("T.1", "S.6", "R.3", "F.7", "P.6"):
        assert f"│ {tid} " in result.stdout


def test_config_file_with_command_line_override(tmp_path: Path) -> None:
    config = tmp_path / "run.yaml"
    config.write_text("model: scripted:yes\ntasks: [T.6]\nlimit: 2\nseed: 4\nbootstrap: 0\n")
    out = tmp_path / "run"
    result = cli("run", "--config", str(config), "--model", "scripted:no", "--out", str(out), "-q")
    assert result.returncode == 0, result.stderr
    saved = json.loads((out / "config.json").read_text())["config"]
    assert saved["model"] == "scripted:no" and saved["tasks"] == ["T.6"] and saved["limit"] == 2 and saved["seed"] == 4
    bad = tmp_path / "bad.yaml"
    bad.write_text("modle: scripted:yes\n")
    result = cli("run", "--config", str(bad))
    assert result.returncode == 2 and "unknown setting(s) modle" in result.stderr


def test_version() -> None:
    from multitrust import __version__

    result = cli("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"multitrust {__version__}"


def test_run_where_every_sample_is_broken_exits_1(tmp_path: Path) -> None:
    """Every record of the only task is bad data: nothing was asked and nothing could be scored, so ``run``
    says why and exits 1 (documented: "1 nothing could be scored"), not 0."""
    query = tmp_path / "data" / "truthfulness" / "query_misleading" / "query_d_confusion.json"
    query.parent.mkdir(parents=True)
    query.write_text(json.dumps([{"image": "x.png", "query": 1, "truth": "Yes", "kind": "mirror"}]))
    result = cli("run", "--model", "scripted:yes", "--tasks", "T.6", "--data", str(tmp_path / "data"),
                 "--out", str(tmp_path / "run"), "-q")  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    assert "[0000]: field 'query' used by the prompt must be a string, got int" in result.stdout
    assert "Traceback" not in result.stderr
