"""The framework-neutral messages: parameters read as Auth0 reads them, responses written as Starlette wrote them."""

from __future__ import annotations

import asyncio
import json

import pytest
from starlette.responses import JSONResponse, RedirectResponse

from fake_idp import errors
from fake_idp.authorize import authorize_endpoint
from fake_idp.context import Ctx
from fake_idp.discovery import openid_configuration
from fake_idp.wire import Incoming, json_response, read_params, redirect
from tests.fake_idp.conftest import CLI_CALLBACK, CLI_ID, GATEWAY, Idp, query_of

FORM = {"content-type": "application/x-www-form-urlencoded"}


def test_form_parameters_first_value_wins_and_is_noted() -> None:
    request = Incoming(method="POST", headers=FORM, body=b"a=1&b=&a=2")
    assert read_params(request) == {"a": "1", "b": ""}
    assert request.notes == ["parameter 'a' repeated; the first value is used"]


def test_json_parameters_are_flat_strings() -> None:
    body = json.dumps({"s": "x", "t": True, "n": 3, "f": 1.5, "none": None}).encode()
    request = Incoming(method="POST", headers={"content-type": "application/json"}, body=body)
    assert read_params(request) == {"s": "x", "t": "true", "n": "3", "f": "1.5"}


@pytest.mark.parametrize(
    ("body", "description"),
    [
        (b"{", "Malformed request body: invalid JSON"),
        (b"[1]", "Malformed request body: expected a JSON object"),
        (b'{"scope": ["a"]}', "Invalid value for parameter: scope"),
    ],
)
def test_bad_json_parameters(body: bytes, description: str) -> None:
    request = Incoming(method="POST", headers={"content-type": "application/json"}, body=body)
    with pytest.raises(errors.OAuthError) as caught:
        read_params(request)
    assert (caught.value.status_code, caught.value.description) == (400, description)


def test_oversize_body_is_413_and_other_media_types_read_as_nothing() -> None:
    with pytest.raises(errors.OAuthError) as caught:
        read_params(Incoming(method="POST", oversize=1024))
    assert caught.value.status_code == 413 and "over 1024 bytes" in (caught.value.reason or "")
    request = Incoming(method="POST", headers={"content-type": "text/plain"}, body=b"a=1")
    assert read_params(request) == {} and "neither form nor JSON" in request.notes[0]


def test_query_param_is_the_last_value() -> None:
    assert Incoming(query=[("state", "a"), ("state", "b")]).query_param("state") == "b"
    assert Incoming().query_param("state") is None


def test_responses_are_written_as_starlette_wrote_them() -> None:
    doc = {"name": "Zoë", "n": [1, 2]}
    assert json_response(doc).body == JSONResponse(doc).body
    url = "http://127.0.0.1:8976/callback?code=a b&state=é#frag"
    assert redirect(url).headers["location"] == RedirectResponse(url).headers["location"]


def test_endpoints_run_without_a_web_framework(idp: Idp) -> None:
    """An endpoint is a function of (tenant runtime, neutral request): no ASGI, no HTTP server."""
    ctx = Ctx.of(idp.control, Incoming(host="login.example.test:8443", scheme="https"))
    out = asyncio.run(openid_configuration(ctx))
    assert json.loads(out.body)["issuer"] == "https://login.example.test:8443/"
    query = [
        ("client_id", CLI_ID),
        ("redirect_uri", CLI_CALLBACK),
        ("response_type", "code"),
        ("audience", GATEWAY),
        ("state", "st-1"),
    ]
    out = asyncio.run(authorize_endpoint(Ctx.of(idp.control, Incoming(query=query, host="127.0.0.1"))))
    assert out.status == 302 and query_of(out.headers["location"])["state"] == "st-1"
