"""Whole-app properties: the route table, and fuzzed bad input never yields a 500 or a non-Auth0 shape."""

from __future__ import annotations

import ast
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fake_idp
from fake_idp.app import ROUTES
from tests.fake_idp.conftest import Idp

PARAM_NAMES = st.sampled_from(
    [
        "grant_type",
        "client_id",
        "client_secret",
        "audience",
        "resource",
        "scope",
        "code",
        "redirect_uri",
        "code_verifier",
        "refresh_token",
        "subject_token",
        "subject_token_type",
        "requested_token_type",
        "x",
        "token",
    ]
)
VALUES = st.one_of(
    st.sampled_from(
        [
            "client_credentials",
            "authorization_code",
            "refresh_token",
            "urn:ietf:params:oauth:grant-type:token-exchange",
            "DEMOm2mClient0000000000000000001",
            "demo-secret-not-for-production-m2m-0001",
            "http://127.0.0.1:8000/mcp",
            "",
        ]
    ),
    st.text(max_size=300),
)
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def test_public_surface() -> None:
    assert fake_idp.__all__ == ["Tenant", "create_app", "demo_tenant"]
    assert {p for p, _, _ in ROUTES} >= {
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
        "/.well-known/jwks.json",
        "/authorize",
        "/oauth/token",
        "/oauth/revoke",
        "/oidc/register",
        "/userinfo",
        "/oidc/logout",
    }


def test_only_the_adapter_knows_the_web_framework() -> None:
    """moto's split: state and rules free of FastAPI/Starlette; app.py adapts (control.py: the control plane)."""
    importers = set()
    for path in Path(fake_idp.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            if any(n.split(".")[0] in ("fastapi", "starlette") for n in names):
                importers.add(path.stem)
    assert importers <= {"app", "control"}, importers


@FUZZ
@given(body=st.dictionaries(PARAM_NAMES, VALUES, max_size=8), as_json=st.booleans())
def test_token_endpoint_fuzz(idp: Idp, body: dict, as_json: bool) -> None:
    r = idp.http.post("/oauth/token", json=body) if as_json else idp.http.post("/oauth/token", data=body)
    assert r.status_code in (200, 400, 401, 403, 413, 429), r.text
    assert r.headers["content-type"].startswith("application/json")
    if r.status_code >= 400:
        assert set(r.json()) <= {"error", "error_description", "error_uri"} and r.json()["error"]


@FUZZ
@given(
    doc=st.one_of(
        st.dictionaries(
            st.sampled_from(
                ["redirect_uris", "client_name", "grant_types", "token_endpoint_auth_method", "x"]
            ),
            st.one_of(
                st.text(max_size=50), st.lists(st.text(max_size=50), max_size=3), st.integers(), st.none()
            ),
            max_size=5,
        ),
        st.lists(st.integers(), max_size=3),
        st.text(max_size=20),
    )
)
def test_register_endpoint_fuzz(idp: Idp, doc: object) -> None:
    idp.control.state.windows.clear()  # stay under the 5/s DCR limit
    r = idp.http.post("/oidc/register", json=doc)
    assert r.status_code in (200, 201, 400), r.text
    assert r.headers["content-type"].startswith("application/json")


@FUZZ
@given(
    params=st.dictionaries(
        st.sampled_from(
            [
                "client_id",
                "redirect_uri",
                "response_type",
                "scope",
                "audience",
                "resource",
                "state",
                "code_challenge",
                "code_challenge_method",
                "prompt",
                "response_mode",
                "login_hint",
                "claims",
            ]
        ),
        VALUES,
        max_size=8,
    )
)
def test_authorize_fuzz(idp: Idp, params: dict) -> None:
    r = idp.http.get("/authorize", params=params)
    assert r.status_code in (200, 302, 400), r.text
    if r.status_code == 400:
        assert r.headers["content-type"].startswith("text/html") and "Oops!" in r.text


@FUZZ
@given(header=st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=200))
def test_userinfo_fuzz(idp: Idp, header: str) -> None:
    r = idp.http.get("/userinfo", headers={"Authorization": header.strip() or "Bearer"})
    assert r.status_code == 401 and r.text == "Unauthorized"


def test_cors_for_browser_clients(idp: Idp) -> None:
    origin = {"Origin": "http://localhost:6274"}
    r = idp.http.get("/.well-known/openid-configuration", headers=origin)
    assert r.headers["access-control-allow-origin"] == "http://localhost:6274"
    pre = idp.http.options(
        "/oauth/token",
        headers={
            **origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert pre.status_code == 204 and "POST" in pre.headers["access-control-allow-methods"]
    idp.patch({"emulator": {"cors_allowed_origins": ["https://inspector.example.test"]}})
    r = idp.http.get("/.well-known/openid-configuration", headers=origin)
    assert "access-control-allow-origin" not in r.headers


def test_head_is_served_where_the_route_table_says_so(idp: Idp) -> None:
    """The routes are Starlette's (issue 14) but serve exactly the table's methods: no implicit HEAD on a GET
    route; it is refused as any other method the route does not name."""
    head = idp.http.head("/.well-known/openid-configuration")
    post = idp.http.post("/.well-known/openid-configuration")
    assert head.status_code == post.status_code == 405
    assert idp.http.get("/.well-known/openid-configuration").status_code == 200
