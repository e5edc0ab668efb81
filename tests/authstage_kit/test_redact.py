"""One secret list, by key (headers, forms, queries, JSON at any depth) and by value (text anywhere)."""

from __future__ import annotations

import json

import pytest

from authstage_kit.redact import (
    decode_unverified,
    is_secret,
    json_safe,
    redact,
    redact_header,
    redact_query,
    redact_url,
    scrub,
)

JWT = (
    "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJhbGljZSIsImF1ZCI6Imh0dHA6Ly94L21jcCJ9."
    "c2lnbmF0dXJlLWJ5dGVz"
)


@pytest.mark.parametrize(
    "name",
    ["client_secret", "clientSecret", "Client-Secret", "password", "api_key", "apiKey", "X-Api-Key", "code",
     "access_token", "refresh_token", "id_token", "subject_token", "client_assertion", "Authorization",
     "Cookie", "x-authstage-token", "x-amz-security-token"],
)  # fmt: skip
def test_every_spelling_of_a_secret_name_is_one_name(name: str) -> None:
    assert is_secret(name)


@pytest.mark.parametrize("name", ["state", "scope", "client_id", "code_challenge", "redirect_uri", "error_code"])
def test_ordinary_names_are_kept(name: str) -> None:
    assert not is_secret(name)


def test_query_strings_lose_every_secret_even_opaque_tokens() -> None:
    query = "client_secret=s3&password=pw&api_key=k&access_token=opaque-not-a-jwt&state=xyz&code=abc"
    assert redact_query(query) == {
        "client_secret": "[redacted]", "password": "[redacted]", "api_key": "[redacted]",
        "access_token": "[redacted]", "state": "xyz", "code": "[redacted]",
    }  # fmt: skip


def test_json_bodies_are_redacted_at_any_depth_and_tokens_keep_a_prefix() -> None:
    body = {"params": {"arguments": {"nested": [{"clientSecret": "s3"}, {"access_token": JWT}]}}, "id": 1}
    out = redact(body)
    assert out["params"]["arguments"]["nested"] == [
        {"clientSecret": "[redacted]"},
        {"access_token": "eyJhbGciOi…[redacted]"},
    ]
    assert body["params"]["arguments"]["nested"][0]["clientSecret"] == "s3"  # not modified


def test_values_are_scrubbed_wherever_they_sit() -> None:
    text = f"Bearer {JWT} then client_secret=s3&x=1, error_code=7 code_challenge=keep api_key=k"
    out = scrub(text)
    assert JWT not in out and "s3" not in out and "api_key=[redacted]" in out
    assert "error_code=7" in out and "code_challenge=keep" in out


def test_headers_and_locations() -> None:
    assert redact_header("Authorization", f"Bearer {JWT}") == "Bearer eyJhbGciOi…[redacted]"
    assert redact_header("authorization", "Bearer opaque") == "Bearer [redacted]"
    assert redact_header("authorization", "Basic dXNlcjpwYXNz") == "Basic [redacted]"
    assert redact_header("x-api-key", "k") == "[redacted]"
    assert redact_header("set-cookie", "sid=abc; Path=/") == "sid=[redacted]"
    assert redact_url("http://127.0.0.1:1/cb?code=abc&state=s") == "http://127.0.0.1:1/cb?code=[redacted]&state=s"


def test_json_safe_is_strict_json_and_survives_absurd_input() -> None:
    record = json_safe({"n": float("nan"), "i": float("inf"), "token": JWT})
    assert json.loads(json.dumps(record, allow_nan=False)) == {"n": "NaN", "i": "Infinity", "token": record["token"]}
    assert JWT not in json.dumps(record)
    deep: list[object] = []
    node = deep
    for _ in range(3000):
        node.append([])
        node = node[0]  # type: ignore[assignment]  # building a deliberately deep list
    assert isinstance(json_safe(deep), str)


def test_decode_unverified_reads_jws_and_jwe_headers_only_for_display() -> None:
    decoded = decode_unverified(JWT)
    assert decoded == {"header": {"alg": "RS256", "kid": "k1"}, "claims": {"sub": "alice", "aud": "http://x/mcp"}}
    jwe = "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..aXY.Y2lwaGVy.dGFn"
    assert decode_unverified(jwe) == {"header": {"alg": "dir", "enc": "A256GCM"}, "claims": None, "encrypted": True}
    assert decode_unverified("not-a-token") is None
    assert decode_unverified("eyJ" + "A" * 9000) is None
