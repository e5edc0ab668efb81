"""Routes serve exactly the methods of their table (authstage_kit/routing.py): no implicit HEAD."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.testclient import TestClient

from authstage_kit.routing import exact_route


def test_a_get_route_does_not_answer_head() -> None:
    app = Starlette(routes=[exact_route("/", lambda request: PlainTextResponse("hi"), ["GET"]),
                            exact_route("/both", lambda request: PlainTextResponse("hi"), ["GET", "HEAD"])])
    with TestClient(app) as client:
        assert client.get("/").text == "hi"
        assert client.head("/").status_code == 405
        assert client.head("/both").status_code == 200
