"""Expectations: `match` (values and operators) and `check` (a step's whole `expect` block)."""

from __future__ import annotations

from harness._matching import check, match


def test_match_operators() -> None:
    assert match({"a": {"b": 1}}, {"a": {"b": 1, "c": 2}}) == []
    assert match({"a": {"absent": True}}, {"b": 1}) == []
    assert match({"a": {"absent": True}}, {"a": 1}) != []
    assert match({"regex": "^ab"}, "abc") == [] and match({"regex": "^b"}, "abc") != []
    assert match({"contains": "x"}, ["x", "y"]) == [] and match({"contains": ["x", "z"]}, ["x", "y"]) != []
    assert match({"not_contains": "z"}, "xyz") != [] and match({"one_of": [1, 2]}, 2) == []
    assert match({"not": 1}, 2) == [] and match([1, {"present": True}], [1, 0]) == []
    assert match({"equals": {"a": 1}}, {"a": 1, "b": 2}) != []


def test_check_reads_each_key_of_an_expect_block() -> None:
    observed = {"status": 401, "headers": {"WWW-Authenticate": 'Bearer error="invalid_token"'}, "text": "nope",
                "json": {"jsonrpc": "2.0", "id": 7, "error": {"code": -32001, "message": "Invalid Bearer token"}}}
    assert check({"status": [400, 401], "headers": {"www-authenticate": {"regex": "invalid_token"}}}, observed) == []
    assert check({"jsonrpc_error": {"code": -32001, "id": 7}}, observed) == []
    assert check({"jsonrpc_error": {"id": 8}}, observed) == ["id: expected 8, got 7"]
    assert check({"status": 200}, observed) == ["status: expected 200, got 401 ('nope')"]
    assert check({"token_kind": "none"}, observed) == []  # no token observed reads as kind `none`
    assert check({"result": {"isError": False}}, observed)[0].startswith("result: no JSON-RPC result")
    assert check({"note": "a key no check reads"}, observed) == []


def test_log_and_app_log_pass_when_any_record_matches() -> None:
    records = [{"service": "idp", "method": "POST", "path": "/oauth/token", "status": 200},
               {"service": "gateway", "method": "POST", "path": "/mcp", "status": 401, "reason": "aud"}]
    assert check({"log": {"service": "gateway", "status": 401}}, {"log": records}) == []
    (problem,) = check({"log": {"status": 403}}, {"log": records})
    assert problem.startswith("log: no record matches") and "gateway POST /mcp 401 aud" in problem
    assert check({"app_log": {"text": {"contains": "denied"}}}, {"app_log": [{"message": "tool denied"}]}) == []
    assert check({"app_log": {"text": {"contains": "denied"}}}, {"app_log": []}) != []
