"""AWS REST-JSON, server side, driven by botocore's `bedrock-agentcore-control` service model.

Routes come from each operation's `http.method` and `http.requestUri` (labels `{name}` one raw path segment,
`{name+}` the rest); input members are bound by their `location` (`uri`, `querystring`, `header`, else the JSON
body); output members are written by botocore's own REST-JSON serializer (the code that writes request bodies,
so timestamps and blobs come out exactly as botocore parses them), header members as headers, and the status is
the operation's `http.responseCode`. Errors are AWS's JSON error shape (`{"message": ...}` plus the error
shape's members) with the code in `x-amzn-ErrorType`, which botocore's RestJSONParser reads.
https://smithy.io/2.0/aws/protocols/aws-restjson1-protocol.html
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from botocore.model import OperationModel, Shape, StructureShape
from botocore.serialize import create_serializer

from fake_gateway.control_api.errors import AwsError, serialization_error
from fake_gateway.validation import service_model

__all__ = ["Route", "bind_input", "find_route", "render_error", "render_output", "routes"]


@dataclass(frozen=True)
class Route:
    """One operation's HTTP binding: method and the requestUri's path segments."""

    operation: str
    method: str
    segments: tuple[str, ...]
    literals: int

    def match(self, parts: list[str]) -> dict[str, str] | None:
        """The raw (still percent-encoded) label values, or None."""
        labels: dict[str, str] = {}
        for index, segment in enumerate(self.segments):
            if segment.startswith("{") and segment.endswith("+}"):
                rest = parts[index:]
                if not rest or not rest[0]:
                    return None
                labels[segment[1:-2]] = "/".join(rest)
                return labels
            if index >= len(parts):
                return None
            if segment.startswith("{"):
                if not parts[index]:
                    return None
                labels[segment[1:-1]] = parts[index]
            elif segment != parts[index]:
                return None
        return labels if len(parts) == len(self.segments) else None


@functools.lru_cache(maxsize=1)
def routes() -> tuple[Route, ...]:
    """Every operation of the model, the most literal first (so `/gateways/{id}/targets/` beats a label)."""
    model = service_model()
    found = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        path = str(http["requestUri"]).split("?", 1)[0]
        segments = tuple(path.split("/")[1:])
        literals = sum(1 for s in segments if not s.startswith("{"))
        found.append(Route(name, str(http["method"]), segments, literals))
    return tuple(sorted(found, key=lambda r: (-r.literals, -len(r.segments))))


def find_route(method: str, raw_path: str) -> tuple[Route, dict[str, str]] | None:
    """The operation a request names: exact path first, then the path with its trailing slash toggled."""
    candidates = [raw_path, raw_path[:-1] if raw_path.endswith("/") else raw_path + "/"]
    for path in candidates:
        parts = path.split("/")[1:]
        for route in routes():
            if route.method != method:
                continue
            labels = route.match(parts)
            if labels is not None:
                return route, {k: unquote(v) for k, v in labels.items()}
    return None


def _query_value(shape: Shape, values: list[str], name: str) -> Any:
    if shape.type_name == "list":
        return values
    value = values[-1]
    if shape.type_name in ("integer", "long"):
        try:
            return int(value)
        except ValueError:
            raise serialization_error(f"Value '{value}' at '{name}' is not an integer") from None
    if shape.type_name == "boolean":
        return value.lower() == "true"
    return value


def bind_input(
    operation: OperationModel,
    labels: Mapping[str, str],
    query: Iterable[tuple[str, str]],
    headers: Mapping[str, str],
    body: bytes,
) -> dict[str, Any]:
    """The operation's input parameters as plain JSON values (validated afterwards against the model)."""
    shape = operation.input_shape
    if shape is None:
        return {}
    params: dict[str, Any] = dict(_body(body))
    pairs = list(query)
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        if location == "uri" and wire in labels:
            params[name] = labels[wire]
        elif location == "querystring":
            values = [v for k, v in pairs if k == wire]
            if values:
                params[name] = _query_value(member, values, wire)
        elif location == "header" and wire.lower() in headers:
            params[name] = headers[wire.lower()]
        elif location is not None:
            params.pop(name, None)
    return params


def _body(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        raise serialization_error("Request body is not valid JSON") from None
    if not isinstance(document, dict):
        raise serialization_error("Request body must be a JSON object")
    return document


def render_output(operation: OperationModel, result: Mapping[str, Any]) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of a successful answer, written per the output shape."""
    status = int(operation.http.get("responseCode", 200))
    shape = operation.output_shape
    headers: dict[str, str] = {}
    if shape is None or status == 204:
        return status, headers, b""
    assert isinstance(shape, StructureShape)
    body: dict[str, Any] = {}
    for name, value in result.items():
        member = shape.members.get(name)
        if member is None or value is None:
            continue
        location = member.serialization.get("location")
        if location == "header":
            headers[member.serialization.get("name", name)] = str(value)
        elif location == "statusCode":
            status = int(value)
        elif location is None:
            body[name] = value
    serializer: Any = create_serializer("rest-json", include_validation=False)
    encoded: bytes = serializer._serialize_body_params(body, shape)  # botocore's JSON writer for this protocol
    headers["Content-Type"] = "application/json"
    return status, headers, encoded


def render_error(error: AwsError) -> tuple[int, dict[str, str], bytes]:
    """AWS's JSON error shape: the code in `x-amzn-ErrorType`, `message` and the shape's members in the body."""
    headers = {"Content-Type": "application/json", "x-amzn-ErrorType": error.code}
    return error.status, headers, json.dumps(error.body(), separators=(",", ":")).encode()
