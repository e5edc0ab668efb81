"""The one error renderer: each IdpError in the shape Auth0 answers with (sheet §5)."""

from __future__ import annotations

import json

from fake_idp import errors
from fake_idp.render import error_response
from tests.fake_idp.conftest import query_of


def test_oauth_error_is_json_with_its_headers() -> None:
    exc = errors.OAuthError("invalid_grant", "nope", status=403, headers={"Retry-After": "1"})
    out = error_response(exc)
    assert (out.status, out.media_type, json.loads(out.body)) == (
        403,
        "application/json",
        {"error": "invalid_grant", "error_description": "nope"},
    )
    assert out.headers == {"Retry-After": "1"}


def test_boom_and_plain_errors() -> None:
    out = error_response(errors.BoomError(404, errors.NOT_FOUND))
    assert json.loads(out.body) == {"statusCode": 404, "error": "Not Found", "message": "Not Found"}
    out = error_response(
        errors.PlainError(401, "Unauthorized", headers={"WWW-Authenticate": 'Bearer realm="Users"'})
    )
    assert (out.status, out.media_type, out.body) == (401, "text/plain", b"Unauthorized")
    assert out.headers["WWW-Authenticate"] == 'Bearer realm="Users"'


def test_authorize_error_without_a_callback_is_the_error_page() -> None:
    out = error_response(errors.AuthorizeError("invalid_request", errors.CALLBACK_MISMATCH))
    assert out.status == 400 and out.media_type == "text/html"
    assert errors.ERROR_PAGE_TITLE in out.body.decode() and "Callback URL mismatch" in out.body.decode()


def test_authorize_error_goes_back_to_the_callback_in_its_response_mode() -> None:
    exc = errors.AuthorizeError(
        "access_denied", "denied", redirect_uri="http://127.0.0.1:1/cb", state="s", iss="http://i/"
    )
    out = error_response(exc)
    assert out.status == 302
    assert query_of(out.headers["location"]) == {
        "error": "access_denied",
        "error_description": "denied",
        "state": "s",
        "iss": "http://i/",
    }
    exc.response_mode, exc.state, exc.iss = "form_post", None, None
    out = error_response(exc)
    assert out.status == 200 and 'name="error" value="access_denied"' in out.body.decode()
    assert 'name="state"' not in out.body.decode()
