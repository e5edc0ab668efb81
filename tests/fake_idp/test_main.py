"""``python -m fake_idp``: the JSON ready line, --config, --no-control-plane, config errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _start(*args: str) -> tuple[subprocess.Popen[str], dict]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "fake_idp", "--json", "--port", "0", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        proc.kill()
        pytest.fail(f"no ready line; stderr: {proc.stderr.read() if proc.stderr else ''}")
    return proc, json.loads(line)


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_ready_line_and_serving() -> None:
    proc, ready = _start()
    try:
        assert list(ready) == [
            "service",
            "url",
            "issuer",
            "discovery_url",
            "jwks_uri",
            "token_endpoint",
            "apis",
            "clients",
        ]
        assert ready["service"] == "fake_idp" and ready["issuer"] == ready["url"] + "/"
        assert ready["apis"] == {
            "authstage-gateway": "http://127.0.0.1:8000/mcp",
            "sample-search": "http://127.0.0.1:8001/mcp",
        }
        m2m = ready["clients"]["demo-m2m"]
        doc = httpx.get(ready["discovery_url"]).json()
        assert doc["issuer"] == ready["issuer"] and doc["jwks_uri"] == ready["jwks_uri"]
        r = httpx.post(
            ready["token_endpoint"],
            data={"grant_type": "client_credentials", "audience": ready["apis"]["authstage-gateway"], **m2m},
        )
        assert r.status_code == 200
        assert httpx.get(ready["url"] + "/_authstage/config").status_code == 200
    finally:
        _stop(proc)
    assert proc.returncode == 0


def test_config_file_and_no_control_plane(tmp_path: Path) -> None:
    cfg = tmp_path / "tenant.yaml"
    cfg.write_text("name: tiny\napis: [{name: api, identifier: 'urn:tiny'}]\n")
    proc, ready = _start("--config", str(cfg), "--no-control-plane")
    try:
        assert ready["apis"] == {"api": "urn:tiny"} and ready["clients"] == {}
        assert httpx.get(ready["url"] + "/_authstage/config").status_code == 404
    finally:
        _stop(proc)


def test_bad_config_exits_2_with_the_key(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("faults: {jwks_kid_mode: sometimes}\n")
    r = subprocess.run(
        [sys.executable, "-m", "fake_idp", "--config", str(cfg)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2 and "faults.jwks_kid_mode" in r.stderr
