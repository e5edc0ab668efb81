"""The `/_authstage/` contract, proven on all three services at once: one error shape, the Host / cross-site /
token guards, the body and depth limits, and never a 5xx (docs/control-plane.md)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from authstage_kit.access import TOKEN_HEADER, Access
from authstage_kit.control import MAX_BODY_BYTES
from authstage_kit.runner import ServerThread
from harness import Stack

SERVICES = ("idp", "gateway", "mcp")
JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with Stack() as running:
        yield running


@pytest.fixture
def base(stack: Stack, request: pytest.FixtureRequest) -> Iterator[str]:
    url: str = getattr(stack, request.param).url
    yield url + "/_authstage"
    stack.reset()


def _call(method: str, url: str, **kwargs: Any) -> httpx.Response:
    return httpx.request(method, url, timeout=10, trust_env=False, **kwargs)


def assert_shape(response: httpx.Response, status: int, error: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "detail"} and body["error"] == error, body
    assert body["detail"] and all(set(d) == {"loc", "msg"} for d in body["detail"]), body
    return body


def by_service(test: Any) -> Any:
    return pytest.mark.parametrize("base", SERVICES, indirect=True)(test)


@by_service
def test_the_route_index_lists_the_common_routes(base: str) -> None:
    index = _call("GET", base + "/").json()
    listed = {(r["method"], r["path"]) for r in index["routes"]}
    assert {("GET", "/_authstage/config"), ("PATCH", "/_authstage/config"), ("PUT", "/_authstage/config"),
            ("POST", "/_authstage/reset"), ("GET", "/_authstage/clock"), ("POST", "/_authstage/clock"),
            ("GET", "/_authstage/log"), ("DELETE", "/_authstage/log")} <= listed  # fmt: skip


@by_service
@pytest.mark.parametrize("host", ["evil.example", "evil.example:80", "192.0.2.7", "127.0.0.1.evil.example"])
def test_a_foreign_host_header_is_misdirected(base: str, host: str) -> None:
    """DNS rebinding: a page on evil.example whose name now resolves to 127.0.0.1 reaches the port, not the plane."""
    body = assert_shape(_call("GET", base + "/config", headers={"host": host}), 421, "misdirected_request")
    assert body["detail"][0]["loc"] == "host"


@by_service
@pytest.mark.parametrize("host", ["localhost", "127.0.0.2", "[::1]", "app.localhost"])
def test_loopback_names_are_answered(base: str, host: str) -> None:
    port = httpx.URL(base).port
    assert _call("GET", base + "/config", headers={"host": f"{host}:{port}"}).status_code == 200


@by_service
def test_a_cors_simple_cross_site_post_is_refused_and_changes_nothing(base: str) -> None:
    before = _call("GET", base + "/clock").json()
    for ctype in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None):
        headers = {"content-type": ctype} if ctype else {}
        refused = _call("POST", base + "/clock", content=b'{"advance": 3600}', headers=headers)
        assert_shape(refused, 415, "unsupported_media_type")
        assert_shape(_call("POST", base + "/reset", headers=headers), 415, "unsupported_media_type")
    after = _call("GET", base + "/clock").json()
    assert after["offset"] == before["offset"] and after["frozen"] == before["frozen"]


@by_service
@pytest.mark.parametrize(
    "headers", [{"origin": "http://evil.example"}, {"origin": "https://evil.example:443"}, {"sec-fetch-site": "cross-site"}]
)
def test_a_browser_cross_site_request_is_forbidden(base: str, headers: dict[str, str]) -> None:
    assert_shape(_call("POST", base + "/clock", json={"advance": 1}, headers=headers), 403, "cross_site_request")
    assert _call("GET", base + "/clock").json()["offset"] == 0


@by_service
def test_a_same_machine_origin_is_fine(base: str) -> None:
    response = _call("POST", base + "/clock", json={"advance": 1}, headers={"origin": "http://127.0.0.1:9999"})
    assert response.status_code == 200


@by_service
def test_bodies_over_the_limit_are_refused_without_echo(base: str) -> None:
    huge = b'{"a": "' + b"x" * (MAX_BODY_BYTES + 10) + b'"}'
    response = _call("PATCH", base + "/config", content=huge, headers=JSON)
    assert_shape(response, 413, "payload_too_large")
    assert len(response.content) < 500


@by_service
@pytest.mark.parametrize("route", [("PATCH", "/config"), ("PUT", "/config"), ("POST", "/clock"), ("POST", "/reset")])
def test_deep_json_is_a_400_never_a_500(base: str, route: tuple[str, str]) -> None:
    deep = b"[" * 1000 + b"]" * 1000
    response = _call(route[0], base + route[1], content=deep, headers=JSON)
    assert 400 <= response.status_code < 500, response.text
    assert set(response.json()) == {"error", "detail"}


@by_service
def test_a_typo_in_a_clock_body_is_refused(base: str) -> None:
    body = assert_shape(_call("POST", base + "/clock", json={"advnce": 60}), 400, "invalid_clock")
    assert body["detail"][0]["loc"] == "advnce"
    assert_shape(_call("POST", base + "/clock", content=b'{"advance": 1e999}', headers=JSON), 400, "invalid_clock")


@by_service
def test_config_errors_name_each_key_in_one_shape(base: str) -> None:
    body = assert_shape(_call("PATCH", base + "/config", json={"no_such_knob": 1, "other_typo": 2}), 400, "invalid_config")
    assert {"no_such_knob", "other_typo"} <= {d["loc"] for d in body["detail"]}
    assert_shape(_call("PUT", base + "/config", content=b"", headers=JSON), 400, "invalid_config")
    assert_shape(_call("PATCH", base + "/config", content=b"{nope", headers=JSON), 400, "invalid_config")


@by_service
def test_unknown_routes_and_methods(base: str) -> None:
    assert_shape(_call("GET", base + "/nope"), 404, "not_found")
    response = _call("DELETE", base + "/config")
    assert_shape(response, 405, "method_not_allowed")
    assert set(response.headers["allow"].split(", ")) == {"GET", "PATCH", "PUT"}
    assert_shape(_call("GET", base + "/log", params={"since": "x"}), 400, "invalid_request")


@by_service
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    route=st.sampled_from([("PATCH", "/config"), ("PUT", "/config"), ("POST", "/clock"), ("POST", "/reset"),
                           ("GET", "/log"), ("POST", "/keys/rotate"), ("POST", "/explain"),
                           ("POST", "/targets/x/synchronize")]),
    body=st.one_of(st.binary(max_size=200), st.recursive(
        st.none() | st.booleans() | st.floats() | st.text(max_size=20),
        lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
        max_leaves=20).map(lambda v: json.dumps(v).encode())),
)  # fmt: skip
def test_no_body_makes_a_5xx(base: str, route: tuple[str, str], body: bytes) -> None:
    response = _call(route[0], base + route[1], content=body, headers=JSON)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert set(response.json()) == {"error", "detail"}


def test_a_stack_bound_beyond_loopback_gets_a_token() -> None:
    exposed = Access.for_bind("0.0.0.0", public_urls=("http://teacher.local:9000",))
    assert exposed.token and len(exposed.token) >= 24
    assert "teacher.local" in exposed.hosts and exposed.allows_host("teacher.local:9000")
    assert not exposed.allows_host("evil.example")
    assert Access.for_bind("127.0.0.1").token is None
    assert Access.for_bind("192.0.2.5").hosts == frozenset({"192.0.2.5"})


@pytest.mark.parametrize("service", SERVICES)
def test_the_token_is_required_when_set_and_the_product_surface_is_not_guarded(service: str) -> None:
    access = Access(token="stack-token-for-tests")
    with ServerThread(build=lambda url: _app(service, url, access), name=service) as server:
        assert_shape(_call("GET", server.url + "/_authstage/config"), 401, "unauthorized")
        wrong = {TOKEN_HEADER: "guess"}
        assert_shape(_call("GET", server.url + "/_authstage/config", headers=wrong), 401, "unauthorized")
        right = {TOKEN_HEADER: "stack-token-for-tests"}
        assert _call("GET", server.url + "/_authstage/config", headers=right).status_code == 200
        if service == "gateway":
            init = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}
            product = _call("POST", server.url + "/mcp", json=init,
                            headers={"accept": "application/json, text/event-stream"})  # fmt: skip
        else:
            path = {"idp": "/.well-known/openid-configuration", "mcp": "/healthz"}[service]
            product = _call("GET", server.url + path)
        assert product.status_code == 200, product.text


def _app(service: str, url: str, access: Access) -> Any:
    if service == "idp":
        from fake_idp import create_app, demo_tenant

        return create_app(demo_tenant(), base_url=url, access=access)
    if service == "gateway":
        from fake_gateway import Gateway
        from fake_gateway import create_app as gateway_app

        document = {"name": "open", "authorizerType": "NONE", "protocolType": "MCP"}
        return gateway_app(Gateway.from_document(document), base_url=url, access=access)
    from sample_mcp import create_app as mcp_app

    return mcp_app(base_url=url, access=access)
