"""``multitrust data check`` on a deliberately damaged tree: every missing file, one line each."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.tasks.handmade import f2_tree, t6_tree


def check(root: Path, tasks: str = "T.6,F.2") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "multitrust", "data", "check", str(root), "--tasks", tasks],
        capture_output=True,
        text=True,
        timeout=60,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )


def test_clean_tree_passes(tmp_path: Path) -> None:
    t6_tree(tmp_path)
    f2_tree(tmp_path)
    result = check(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok      T.6: 10 records, 10 images" in result.stdout
    assert "ok      F.2: 4 records, 4 images" in result.stdout


def test_damaged_tree_lists_each_problem(tmp_path: Path) -> None:
    t6_tree(tmp_path)
    f2_tree(tmp_path)
    (tmp_path / "truthfulness/misleading_images/painting_4.png").unlink()
    (tmp_path / "truthfulness/misleading_images/mirror_6.png").unlink()
    (tmp_path / "truthfulness/misleading_images/contrast_1.png").write_bytes(b"not an image")
    (tmp_path / "fairness/stereo_statement.csv").unlink()
    for noise in (tmp_path / "unrelated_images").glob("*noise*"):
        noise.unlink()
    result = check(tmp_path)
    assert result.returncode == 1
    lines = [line.strip() for line in result.stdout.splitlines()]
    assert "T.6: truthfulness/misleading_images/painting_4.png: missing image" in lines
    assert "T.6: truthfulness/misleading_images/mirror_6.png: missing image" in lines
    assert any(line.startswith("T.6: truthfulness/misleading_images/contrast_1.png: corrupt image") for line in lines)
    assert "F.2: fairness/stereo_statement.csv: missing file" in lines
    assert "F.2: unrelated_images: no *noise* images" in lines
    problem_lines = [line for line in lines if line.startswith(("T.6: ", "F.2: "))]
    assert len(problem_lines) == 5


def test_not_a_directory(tmp_path: Path) -> None:
    result = check(tmp_path / "nope")
    assert result.returncode == 2
    assert "data directory not found" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
