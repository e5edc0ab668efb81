"""The request log: one record per request, the one redaction, capped, control-plane paths left out."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from authstage_kit.clock import Clock
from authstage_kit.reqlog import RequestLog, RequestLogMiddleware
from tests.authstage_kit.test_redact import JWT


async def echo(request: Request) -> Response:
    body = await request.body()
    if request.query_params.get("fail"):
        request.state.reason = "refused on purpose"
        request.state.notes = ["a remark"]
        return JSONResponse({"error": "nope"}, status_code=403)
    if request.headers.get("content-type", "").startswith("application/json"):
        return JSONResponse({"access_token": JWT, "refresh_token": "v1.M" + "a" * 60, "seen": len(body)})
    return PlainTextResponse(f"client_secret=leaked {JWT}")


@pytest.fixture
def logged() -> tuple[RequestLog, Starlette]:
    log = RequestLog(service="test", clock=Clock(), max_records=5)
    app = Starlette(routes=[Route("/{path:path}", echo, methods=["GET", "POST"])])
    app.add_middleware(RequestLogMiddleware, log=log)
    return log, app


def test_every_secret_is_redacted_and_every_token_decoded(logged: tuple[RequestLog, Starlette]) -> None:
    log, app = logged

    async def go() -> None:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1") as ac:
            await ac.get("/x", params={"client_secret": "s3", "password": "pw", "api_key": "k",
                                       "access_token": "opaque", "state": "keep"})  # fmt: skip
            await ac.post("/form", data={"client_secret": "s3", "grant_type": "client_credentials", "assertion": JWT})
            await ac.post("/json", json={"deep": {"list": [{"password": "pw"}]}, "n": 1})
            await ac.post("/text", content=f"password=pw&token={JWT}".encode(), headers={"content-type": "text/plain"})
            await ac.get("/x", params={"fail": "1"}, headers={"authorization": f"Bearer {JWT}", "cookie": "sid=1"})
            await ac.get("/_authstage/config")

    asyncio.run(go())
    query, form, body, text, refused = log.records()
    assert query["query"] == {"client_secret": "[redacted]", "password": "[redacted]", "api_key": "[redacted]",
                              "access_token": "[redacted]", "state": "keep"}  # fmt: skip
    assert form["request"]["body"]["client_secret"] == "[redacted]"
    assert form["request"]["body"]["grant_type"] == "client_credentials"
    assert any(t["where"] == "request.body.assertion" for t in form["tokens"])
    assert body["request"]["body"] == {"deep": {"list": [{"password": "[redacted]"}]}, "n": 1}
    assert body["response"]["body"]["refresh_token"] == "v1.M…[redacted]"
    assert body["tokens"][0]["where"] == "response.body.access_token"
    assert body["tokens"][0]["claims"]["sub"] == "alice"
    assert "pw" not in json.dumps(text) and JWT not in json.dumps(text)
    assert "leaked" not in json.dumps(text["response"]["body"])
    assert refused["status"] == 403 and refused["reason"] == "refused on purpose" and refused["notes"] == ["a remark"]
    assert refused["request"]["headers"]["authorization"] == "Bearer eyJhbGciOi…[redacted]"
    assert refused["request"]["headers"]["cookie"] == "[redacted]"
    assert refused["tokens"][0]["where"] == "request.headers.authorization"
    assert all(r["path"] != "/_authstage/config" for r in log.records())  # the control plane is not logged
    for record in log.records():
        assert record["service"] == "test"
        json.dumps(record, allow_nan=False)


def test_the_log_is_capped_and_seq_keeps_counting(logged: tuple[RequestLog, Starlette]) -> None:
    log, _ = logged
    for index in range(8):
        log.add({"path": f"/{index}"})
    records = log.records()
    assert [r["seq"] for r in records] == [4, 5, 6, 7, 8]
    assert log.records(since=7) == [records[-1]]
    log.resize(2)
    assert [r["seq"] for r in log.records()] == [7, 8]
    log.clear()
    assert log.add({"path": "/after"})["seq"] == 9


def test_hostile_bodies_become_strict_json_records(logged: tuple[RequestLog, Starlette]) -> None:
    log, _ = logged
    seen: list[int] = []
    unsubscribe = log.subscribe(lambda record: seen.append(record["seq"]))
    record = log.add({"request": {"body": {"n": float("nan")}}, "deep": [[[[[[[[[[[]]]]]]]]]]]})
    unsubscribe()
    log.add({"path": "/x"})
    assert seen == [record["seq"]]
    assert record["request"]["body"] == {"n": "NaN"}
    json.dumps(record, allow_nan=False)


def _serve(app: Starlette, *paths: str) -> None:
    async def go() -> None:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1") as ac:
            for path in paths:
                await ac.post(path, json={"client_secret": "s3"})

    asyncio.run(go())


def test_records_are_built_when_read_and_the_same_as_built_at_once(logged: tuple[RequestLog, Starlette]) -> None:
    """Writing a record only captures it; reading builds it (docs/performance.md), the same record either way."""
    log, app = logged
    _serve(app, "/a", "/b")
    assert log._deferred == 2  # captured, not built: nobody has read them
    lazily = log.records()
    assert log._deferred == 0 and [r["path"] for r in lazily] == ["/a", "/b"]
    eager: list[dict[str, object]] = []
    log.clear()
    unsubscribe = log.subscribe(eager.append)  # a subscriber for built records: built as they are served
    _serve(app, "/a", "/b")
    unsubscribe()
    assert log._deferred == 0 and eager == log.records()
    strip = lambda r: {k: v for k, v in r.items() if k not in ("seq", "time", "duration_ms")}  # noqa: E731
    assert [strip(r) for r in eager] == [strip(r) for r in lazily]
    assert eager[0]["request"]["body"] == {"client_secret": "[redacted]"}


def test_a_pending_subscriber_gets_records_it_may_never_build(logged: tuple[RequestLog, Starlette]) -> None:
    import pickle

    log, app = logged
    pending: list[object] = []
    unsubscribe = log.subscribe(pending.append, pending=True)
    _serve(app, "/p")
    unsubscribe()
    assert log._deferred == 1  # the pending subscriber did not make it build
    copy = pickle.loads(pickle.dumps(pending[0]))  # what a replay worker sends back
    built = copy.record()  # type: ignore[attr-defined]
    assert built == log.records()[-1] and built["request"]["body"] == {"client_secret": "[redacted]"}
