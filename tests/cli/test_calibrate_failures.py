"""``judges calibrate`` with a judge whose calls fail (a dead endpoint, as a stopped llama.cpp server is)
says so — role, count, the first cause — exits 1, and stores nothing as that judge's calibration."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from multitrust.scoring import calibration
from multitrust.testing.server import start_server


def test_calibrate_with_a_dead_judge_names_the_cause_and_exits_1(tmp_path: Path) -> None:
    with start_server() as srv:
        url = srv.url  # closed when the block ends: nothing listens there any more
    store = tmp_path / "calibration.json"
    n = len(calibration.load_set("consistency")[0])
    args = [
        "judges",
        "calibrate",
        "--role",
        "consistency",
        "--rounds",
        "20",
        "--judge",
        f"openai-compat:{url}@dead?max_retries=0",
    ]
    result = subprocess.run(
        [sys.executable, "-m", "multitrust", *args],
        capture_output=True,
        text=True,
        timeout=180,
        env=dict(os.environ, COLUMNS="250", MULTITRUST_CALIBRATION_FILE=str(store)),
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    (line,) = [li for li in result.stderr.splitlines() if li.startswith("error:")]
    assert line.startswith(f"error: consistency: {n} of {n} judge calls failed (openai-compat:{url}@dead")
    assert "first: " in line and "connection error" in line
    assert not store.exists()  # a judge that answered nothing is not stored as calibrated
