"""A strict MCP client's checks (harness/_client_checks.py) against metadata served by a mock transport."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from harness._client_checks import client_checks, metadata_urls, same_issuer

RESOURCE = "https://gw.example/mcp"
PRM_URL = "https://gw.example/.well-known/oauth-protected-resource"


def client(prm: Any, metadata: dict[str, Any] | None, where: str = "oauth-authorization-server") -> httpx.Client:
    def answer(request: httpx.Request) -> httpx.Response:
        if str(request.url) == PRM_URL and prm is not None:
            return httpx.Response(200, json=prm)
        if request.url.path.startswith(f"/.well-known/{where}") and metadata is not None:
            return httpx.Response(200, json=metadata)
        return httpx.Response(404)

    return httpx.Client(transport=httpx.MockTransport(answer))


def checks(http: httpx.Client, **kw: Any) -> dict[str, bool | None]:
    options = {"prm_url": PRM_URL, "resource": RESOURCE, "trusted": "https://idp.example/", "redirect": None, **kw}
    return {c.name: c.passed for c in client_checks(http, **options)}


def test_metadata_urls_follow_the_mcp_order() -> None:
    assert metadata_urls("https://as.example") == [
        "https://as.example/.well-known/oauth-authorization-server",
        "https://as.example/.well-known/openid-configuration",
    ]
    assert metadata_urls("https://as.example/tenant/") == [
        "https://as.example/.well-known/oauth-authorization-server/tenant",
        "https://as.example/.well-known/openid-configuration/tenant",
        "https://as.example/tenant/.well-known/openid-configuration",
    ]


@pytest.mark.parametrize(
    ("a", "b", "exact", "root_slash"),
    [
        ("https://idp.example/", "https://idp.example/", True, True),
        ("https://idp.example", "https://idp.example/", False, True),
        ("https://idp.example/t", "https://idp.example/t/", False, False),
        ("https://idp.example/", "https://other.example/", False, False),
    ],
)
def test_same_issuer(a: str, b: str, exact: bool, root_slash: bool) -> None:
    assert same_issuer(a, b) is exact and same_issuer(a, b, "root-slash") is root_slash


def test_each_check_passes_fails_or_is_not_run() -> None:
    prm = {"resource": RESOURCE, "authorization_servers": ["https://idp.example/"]}
    good = {"issuer": "https://idp.example/", "authorization_response_iss_parameter_supported": True}
    assert checks(client(prm, good)) == {"resource": True, "authorization_servers": True, "issuer": True, "iss": None}
    redirect = {"code": "c", "iss": "https://idp.example/"}
    assert checks(client(prm, good), redirect=redirect)["iss"] is True
    assert checks(client(prm, good), redirect={"code": "c"})["iss"] is False  # advertised, not sent
    assert checks(client(prm, {"issuer": "https://idp.example/"}), redirect={"code": "c"})["iss"] is True
    assert checks(client(prm, good), redirect={"code": "c", "iss": "https://evil.example/"})["iss"] is False
    assert checks(client(prm, good), redirect={"page": True})["iss"] is None
    # the metadata found via OpenID Connect Discovery when RFC 8414 is absent
    assert checks(client(prm, good, where="openid-configuration"))["issuer"] is True


def test_resource_and_issuer_rules() -> None:
    slashless = {"resource": RESOURCE + "/v1", "authorization_servers": ["https://idp.example"]}
    metadata = {"issuer": "https://idp.example/"}
    strict = checks(client(slashless, metadata), resource=RESOURCE + "/v1/x")
    assert strict == {"resource": False, "authorization_servers": False, "issuer": False, "iss": None}
    relaxed = checks(client(slashless, metadata), resource=RESOURCE + "/v1/x", resource_rule="prefix",
                     issuer_rule="root-slash")
    assert relaxed == {"resource": True, "authorization_servers": True, "issuer": True, "iss": None}


def test_missing_metadata_documents() -> None:
    assert checks(client(None, None))["resource"] is False
    assert checks(client({"resource": RESOURCE, "authorization_servers": []}, None))["authorization_servers"] is False
    no_as = checks(client({"resource": RESOURCE, "authorization_servers": ["https://idp.example/"]}, None))
    assert no_as["issuer"] is False
    assert checks(client({"resource": RESOURCE, "authorization_servers": ["https://idp.example/"]}, None),
                  trusted=None)["authorization_servers"] is None
