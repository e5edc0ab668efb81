"""`python -m authstage` and `authstage --version` (the top-level module authstage.py)."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version


def test_python_dash_m_authstage_and_version() -> None:
    done = subprocess.run([sys.executable, "-m", "authstage", "--version"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == f"authstage {version('authstage')}"
    helped = subprocess.run([sys.executable, "-m", "authstage", "--help"], capture_output=True, text=True, timeout=60)
    assert "replay" in helped.stdout and "reset" in helped.stdout
