"""The pytest plugin, exercised the way a user's test suite uses it (pytester runs a separate session)."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]


def test_fixtures_give_a_session_stack_and_isolated_stacks(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import asyncio

        def test_session_stack(authstage_stack):
            token = authstage_stack.token()
            async def call():
                async with authstage_stack.mcp_client(token=token) as client:
                    return await client.call_tool("search-server___echo", {"text": "hi"})
            assert asyncio.run(call()).structured_content == {"result": "hi"}
            assert authstage_stack.manifest["gateway"]["mcp_url"] == authstage_stack.gateway.mcp_url
            assert authstage_stack.idp.issuer.endswith("/")
            assert authstage_stack.mcp.url.startswith("http://127.0.0.1:")

        def test_factory_merges_over_the_demo(authstage):
            stack = authstage(gateway={"authorizerConfiguration": {"customJWTAuthorizer": {"allowedScopes": ["nope"]}}})
            response = stack.http.post(stack.gateway.mcp_url, json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
                                       headers={"Authorization": "Bearer " + stack.token(),
                                                "Accept": "application/json, text/event-stream"})
            assert response.status_code == 403
            assert 'error="insufficient_scope"' in response.headers["www-authenticate"]
            assert any(r["status"] == 403 for r in stack.log())

        def test_two_factory_stacks_do_not_share_ports(authstage):
            a, b = authstage(), authstage()
            assert {a.idp.url, a.gateway.url, a.mcp.url}.isdisjoint({b.idp.url, b.gateway.url, b.mcp.url})
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=3)


def test_process_stack_runs_the_services_out_of_process(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import os

        def test_process(authstage_process_stack):
            stack = authstage_process_stack
            assert stack.process is None  # managed by xprocess, not by this test process
            token = stack.token()
            response = stack.http.post(stack.gateway.mcp_url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                                       headers={"Authorization": "Bearer " + token,
                                                "Accept": "application/json, text/event-stream",
                                                "MCP-Protocol-Version": "2025-11-25"})
            assert response.status_code == 200
            assert stack.gateway.log()  # control plane over HTTP
        """
    )
    result = pytester.runpytest("-q")
    result.assert_outcomes(passed=1)


def test_process_stack_without_pytest() -> None:
    from harness import ProcessStack

    with ProcessStack() as stack:
        assert stack.process is not None and stack.process.poll() is None
        assert stack.token()
        pid = stack.process
    assert pid.poll() is not None
