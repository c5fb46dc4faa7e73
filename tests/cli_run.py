"""``python -m multitrust`` in a subprocess, as a user types it: for tests of what the console shows."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120, columns: int = 220, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the CLI with ``args``; ``env`` adds to the environment, ``columns`` keeps rich's tables unwrapped."""
    return subprocess.run(
        [sys.executable, "-m", "multitrust", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=dict(os.environ, COLUMNS=str(columns), **(env or {})),
        cwd=cwd,
    )
