"""The README's examples work as printed: the pytest example runs under pytest, the shell example under bash."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]
ROOT = Path(__file__).resolve().parents[1]


def example(kind: str) -> str:
    readme = (ROOT / "README.md").read_text()
    match = re.search(rf"<!-- readme-example: {kind} -->\n```\w+\n(.*?)```", readme, re.S)
    assert match, f"README has no {kind} example"
    return match.group(1)


def test_pytest_example(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_readme_example=example("pytest"))
    result = pytester.runpytest("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=3)


def test_shell_example(tmp_path: Path) -> None:
    (tmp_path / ".venv").symlink_to(Path(sys.prefix))
    result = subprocess.run(["bash", "-c", "set -e\n" + example("shell")], cwd=tmp_path, capture_output=True, text=True,
                            timeout=120, env={**os.environ, "AUTHSTAGE_HOME": str(tmp_path / "home")})
    assert result.returncode == 0, result.stderr
    assert '"search-server___search"' not in result.stdout  # a call result, not a listing
    assert '"isError":false' in result.stdout.replace(" ", "") and '"results"' in result.stdout
