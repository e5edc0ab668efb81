"""The session stack between tests (harness/_restore.py), through the plugin as a user's suite runs it."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]


def test_a_patch_or_a_moved_clock_does_not_leak_into_the_next_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_breaks_the_stack(authstage_stack):
            authstage_stack.patch(gateway={"authorizerConfiguration": {"customJWTAuthorizer": {
                "allowedScopes": ["nobody:has-this"]}}})
            authstage_stack.clock(advance=90000)
            authstage_stack.rotate_keys(revoke_previous=True)
            assert authstage_stack.http.post(authstage_stack.gateway.mcp_url, json={}).status_code == 401

        def test_gets_the_stack_as_it_was(authstage_stack):
            assert authstage_stack.gateway.config()["authorizerConfiguration"]["customJWTAuthorizer"][
                "allowedScopes"] == ["mcp:tools"]
            assert authstage_stack.gateway.clock()["offset"] == 0
            token = authstage_stack.token()
            response = authstage_stack.http.post(
                authstage_stack.gateway.mcp_url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json, text/event-stream",
                         "MCP-Protocol-Version": "2025-11-25"})
            assert response.status_code == 200, response.text
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=2)


def test_a_failing_test_shows_the_stacks_refusals_with_reason_and_fix(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_fails_with_a_bare_403(authstage_stack):
            token = authstage_stack.token(scope="")
            authstage_stack.patch(gateway={"authorizerConfiguration": {"customJWTAuthorizer": {
                "allowedScopes": ["mcp:admin"]}}})
            response = authstage_stack.http.post(
                authstage_stack.gateway.mcp_url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json, text/event-stream"})
            assert response.status_code == 200
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*authstage refusals*", "*[[]gateway[]] POST /mcp 403 — *mcp:admin*",
                                 "*fix: *mcp:admin*"])
