"""The browser view, driven by a real Chromium (Debian's `chromium`, through the Playwright Python package).

A person logs in as alice and as bob through the IdP's real login and consent pages, watches bob's step-up 403
arrive in the live view with its reason, decodes a token in the page (explained on the gateway's clock), and
opens a scenario's HTML report. Screenshots go under each test's tmp dir. Without Chromium these tests skip with
how to get it; in CI (`CI=true`) `.ci/run` installs it and they must run.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from harness import Stack
from harness._console import start_console


def console_of(stack: Stack) -> str:
    return start_console(stack)

CHROMIUM = os.environ.get("AUTHSTAGE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
HOW = "install Chromium (Debian: `apt-get install chromium`, as root) and `pip install playwright`"


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def _playwright() -> Any:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    if sync_playwright is None or not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the browser tests: {HOW} (.ci/run does both)")
        pytest.skip(f"no Chromium for the browser tests: {HOW}")
    return sync_playwright


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_playwright = _playwright()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with Stack() as running:
        start_console(running)
        yield running


@pytest.fixture
def page(browser: Any, stack: Stack, tmp_path: Path) -> Iterator[Any]:
    stack.reset()
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    tab.set_default_timeout(20000)
    yield tab
    tab.screenshot(path=str(tmp_path / "final.png"), full_page=True)
    context.close()


def _log_in(page: Any, console: str, email: str, password: str, shots: Path) -> str:
    """Click "Log in as a user", type into the IdP's login page, accept consent; the text of the outcome."""
    page.goto(console + "/")
    page.click("#login")
    page.wait_for_url("**/u/login**")
    assert page.locator("input[name=password]").count() == 1  # the real login page, no auto-approve
    page.screenshot(path=str(shots / f"login-{email.split('@')[0]}.png"))
    page.fill("#username", email)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/u/consent**")
    page.screenshot(path=str(shots / f"consent-{email.split('@')[0]}.png"))
    page.click("button[value=accept]")
    page.wait_for_url(console + "/#login=*")
    result = page.locator("#login-result")
    expect(result).to_contain_text(re.compile("Logged in|Refused"))
    return str(result.text_content())


def test_alice_logs_in_on_the_real_pages_and_the_tool_call_shows_live(page: Any, stack: Stack, tmp_path: Path) -> None:
    outcome = _log_in(page, console_of(stack), "alice@example.test", "demo-password-alice", tmp_path)
    assert "Logged in" in outcome
    page.locator("#requests tbody tr[data-service=gateway][data-status='200']").first.wait_for()
    page.locator("#diagram svg").wait_for()
    assert "POST /mcp" in str(page.locator("#diagram").inner_html())
    page.screenshot(path=str(tmp_path / "alice.png"), full_page=True)
    authorize = [r for r in stack.idp.log() if r["path"] == "/authorize"]
    assert authorize and "auto-approved" not in " ".join(authorize[-1]["notes"])


def test_bobs_step_up_403_appears_in_the_live_view_with_its_reason(page: Any, stack: Stack, tmp_path: Path) -> None:
    outcome = _log_in(page, console_of(stack), "bob@example.test", "demo-password-bob", tmp_path)
    assert "Refused: the gateway answered 403" in outcome and "mcp:tools" in outcome
    row = page.locator("#requests tbody tr[data-service=gateway][data-status='403']").first
    row.wait_for()
    why = str(row.locator("td.why").text_content())
    assert "mcp:tools" in why and "fix:" in why
    page.locator("#diagram svg g.refused").first.wait_for()  # the diagram redraws after the table row appears
    page.screenshot(path=str(tmp_path / "bob-403.png"), full_page=True)
    refused = [r for r in stack.gateway.log() if r["status"] == 403]
    assert refused and refused[-1]["reason"] in why


def test_a_token_decoded_in_the_page_is_explained_on_the_gateways_clock(page: Any, stack: Stack,
                                                                         tmp_path: Path) -> None:
    token = stack.token()
    claims = jwt.decode(token, options={"verify_signature": False})
    page.goto(console_of(stack) + "/")
    page.fill("#token-input", token)
    page.click("#explain")
    page.locator("#verdict").wait_for()
    assert page.locator("#verdict").text_content() == "Accepted by the gateway"
    assert claims["sub"] in str(page.locator("#explained table.claims").text_content())
    page.click("button[data-action=clock][data-advance='90000']")  # the one-click fault: clocks +25 h
    expect(page.locator("#fault-result")).to_contain_text("done")
    page.click("#explain")
    expect(page.locator("#verdict")).to_contain_text("Rejected")
    assert "exp" in str(page.locator("#explained table.checks tr.check-fail").first.text_content())
    page.screenshot(path=str(tmp_path / "explained-expired.png"), full_page=True)


def test_an_html_report_opens_in_the_browser(page: Any, tmp_path: Path) -> None:
    from harness._cli import main

    assert main(["replay", "scenarios", "-k", "step-up-insufficient-scope", "--report", str(tmp_path)]) == 0
    assert (tmp_path / "step-up-insufficient-scope.md").exists()
    page.goto((tmp_path / "index.html").as_uri())
    page.click("text=403 insufficient_scope")
    assert page.url.endswith("step-up-insufficient-scope.html")
    assert page.locator("svg.sequence g.refused").count() >= 1
    assert "403" in str(page.locator("table tr.refusal").first.text_content()) and "fix:" in str(page.locator("table tr.refusal").first.text_content())
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)


def test_the_console_api_keeps_the_control_plane_guards(stack: Stack) -> None:
    api = console_of(stack) + "/api/fault"
    cross = httpx.post(api, json={"action": "reset"}, headers={"Origin": "https://evil.example"})
    assert cross.status_code == 403 and cross.json()["error"] == "cross_site_request"
    form = httpx.post(api, content=b"action=reset", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert form.status_code == 415
    rebinding = httpx.get(console_of(stack) + "/api/state", headers={"Host": "evil.example"})
    assert rebinding.status_code == 421
    page = httpx.get(console_of(stack) + "/")
    assert "script-src 'self'" in page.headers["content-security-policy"] and "https://" not in page.text
