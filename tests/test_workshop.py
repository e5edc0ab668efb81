"""docs/workshop.md runs as written: every shell block of every step, in order, against `authstage up`.

The stack runs as `make up` runs it (`authstage up --port-base N`), on free ports: the page's setup line is the one
thing rewritten (its fixed ports → the test's). Each step's output must show what the page says it shows; a step
without a check here fails the test, so a new step cannot go unverified. Step 7 happens in a browser: it is
verified by tests/harness/test_console.py (alice, bob's step-up 403 with its reason).
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness import ProcessStack

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "workshop.md"
PORT_BASE = 8480  # docs/workshop.md and the Makefile's PORT_BASE

# What each step's output must contain (regular expressions), or the test that verifies a browser step.
EXPECT: dict[str, list[str]] = {
    "1": [r'"issuer": "http://127\.0\.0\.1:\d+/"', r'"registration_endpoint"', r'"resource":"http://127\.0\.0\.1:\d+/mcp"'],
    "2": [r"HTTP/1\.1 401", r'error="invalid_token"', r'"message":"Invalid Bearer token"'],
    "3": [r"client_id: \"DEMOm2mClient", r"Result: accepted"],
    "4": [r"FAIL\s+aud", r"fix:"],
    "5": [r"403", r"Non-global clients are not allowed access to APIv1", r"authstage reset: every service"],
    "6": [r"allowed-clients-azp\s+ok\s+ok", r"runs as expected"],
    "7": ["tests/harness/test_console.py::test_bobs_step_up_403_appears_in_the_live_view_with_its_reason"],
    "8": [r'"keys":\s*\[', r"PASS\s+kid .* found in the JWKS", r"FAIL\s+exp", r"Result: rejected by exp"],
    "9": [r'gateway-outbound|DEMOgatewayOutbound', r'"isError":\s*false'],
    "10": [rf"runs as expected, {len(list((ROOT / 'scenarios').glob('*.yaml')))} scenarios"],  # the whole catalog
}


def steps() -> dict[str, list[str]]:
    """The numbered sections of the page and their shell blocks."""
    text = PAGE.read_text()
    found: dict[str, list[str]] = {}
    for match in re.finditer(r"^## (\d+)\. .*?(?=^## |\Z)", text, re.M | re.S):
        found[match.group(1)] = re.findall(r"```sh\n(.*?)```", match.group(0), re.S)
    return found


def setup_block() -> str:
    text = PAGE.read_text().split("## 1.")[0]
    blocks = re.findall(r"```sh\n(.*?)```", text, re.S)
    assert len(blocks) == 1 and blocks[0].startswith("IDP="), "the Setup names the URLs in one block"
    return blocks[0]


def _free_base() -> int:
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = probe.getsockname()[1]
        if base + 3 < 65536 and all(_free(base + i) for i in range(4)):
            return base
    raise RuntimeError("no four free consecutive ports")


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@pytest.fixture(scope="module")
def workshop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str], int]]:
    """`authstage up` as `make up` runs it, its manifest where `authstage token` looks, a shell in a checkout."""
    work = tmp_path_factory.mktemp("workshop")
    (work / ".venv").symlink_to(Path(sys.prefix))
    (work / "scenarios").symlink_to(ROOT / "scenarios")
    home = work / "home"
    home.mkdir()
    base = _free_base()
    stack = ProcessStack(port_base=base, env={"AUTHSTAGE_HOME": str(home)}).start()
    (home / "manifest.json").write_text(json.dumps(stack.manifest))
    env = {**os.environ, "AUTHSTAGE_HOME": str(home)}
    try:
        yield work, env, base
    finally:
        stack.stop()


def test_the_page_uses_the_fixed_ports_of_make_up() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert f"PORT_BASE ?= {PORT_BASE}" in makefile and "--port-base $(PORT_BASE)" in makefile
    block = setup_block()
    for offset, name in enumerate(("IDP", "GATEWAY", "MCP")):
        assert f"{name}=http://127.0.0.1:{PORT_BASE + offset}" in block
    assert f"http://127.0.0.1:{PORT_BASE + 3}/" in PAGE.read_text()


def test_every_step_has_a_check() -> None:
    assert set(steps()) == set(EXPECT)


@pytest.mark.parametrize("number", list(EXPECT))
def test_step_runs_as_written(workshop: tuple[Path, dict[str, str], int], number: str) -> None:
    work, env, base = workshop
    blocks = steps()[number]
    if not blocks:
        test_file, _, name = EXPECT[number][0].partition("::")
        assert name in (ROOT / test_file).read_text(), f"step {number} is verified by {EXPECT[number][0]}"
        return
    setup = setup_block()
    for offset in range(4):
        setup = setup.replace(f":{PORT_BASE + offset}", f":{base + offset}")
    script = setup + "\n".join(blocks)  # no `set -e`: a step may show a refusal (explain exits 1 on a FAIL)
    done = subprocess.run(["bash", "-c", script], cwd=work, env=env, capture_output=True, text=True, timeout=240)
    output = done.stdout + done.stderr
    assert "command not found" not in output and "No such file" not in output, output[-3000:]
    for pattern in EXPECT[number]:
        assert re.search(pattern, output), f"step {number}: no {pattern!r} in:\n{output[-3000:]}"
