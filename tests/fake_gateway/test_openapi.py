"""OpenAPI and API Gateway targets: operations as tools, tool calls as requests (fake_gateway/openapi.py)."""

from __future__ import annotations

import json

import pytest

from fake_gateway.openapi import apigateway_operations, base_url, operations, parse_spec, request_for

SPEC = {
    "openapi": "3.0.3",
    "info": {"title": "Pets", "version": "1"},
    "servers": [{"url": "https://{region}.pets.example/v2", "variables": {"region": {"default": "eu"}}}],
    "components": {"schemas": {"Pet": {"type": "object", "properties": {"name": {"type": "string"}}}},
                   "parameters": {"Trace": {"name": "X-Trace", "in": "header", "schema": {"type": "string"}}}},
    "paths": {
        "/pets/{petId}": {
            "parameters": [{"name": "petId", "in": "path", "schema": {"type": "integer"}, "description": "Pet id"}],
            "get": {"operationId": "getPet", "summary": "One pet",
                    "parameters": [{"$ref": "#/components/parameters/Trace"},
                                   {"name": "session", "in": "cookie", "schema": {"type": "string"}},
                                   {"name": "fields", "in": "query", "schema": {"type": "array"}}]},
            "delete": {"summary": "no operationId: not a tool"},
        },
        "/pets": {"post": {"operationId": "addPet", "requestBody": {"required": True, "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}}}}},
    },
}


def test_operations_with_an_operation_id_become_tools() -> None:
    tools = {op.name: op.tool() for op in operations(SPEC)}
    assert set(tools) == {"getPet", "addPet"}
    assert tools["getPet"] == {"name": "getPet", "description": "One pet", "inputSchema": {
        "type": "object",
        "properties": {"petId": {"type": "integer", "description": "Pet id"}, "X-Trace": {"type": "string"},
                       "session": {"type": "string"}, "fields": {"type": "array"}},
        "required": ["petId"]}}
    assert tools["addPet"]["inputSchema"] == {"type": "object", "required": ["body"], "properties": {
        "body": {"type": "object", "properties": {"name": {"type": "string"}}}}}  # $ref resolved


def test_parameters_are_placed_where_the_spec_says() -> None:
    get = next(op for op in operations(SPEC) if op.name == "getPet")
    request = request_for(get, base_url(SPEC) or "", {"petId": 7, "X-Trace": "t-1", "session": "a b",
                                                      "fields": ["name", True]}, {"X-Api-Key": "k"}, {"v": "2"})
    assert request.method == "GET"
    assert str(request.url) == "https://eu.pets.example/v2/pets/7?fields=name&fields=true&v=2"
    assert (request.headers["X-Trace"], request.headers["Cookie"], request.headers["X-Api-Key"]) == (
        "t-1", "session=a%20b", "k")
    assert request.content == b""
    post = next(op for op in operations(SPEC) if op.name == "addPet")
    assert json.loads(request_for(post, "http://127.0.0.1:9/", {"body": {"name": "Rex"}}).content) == {"name": "Rex"}
    path = request_for(get, "http://h", {"petId": "../admin"})
    assert str(path.url) == "http://h/pets/..%2Fadmin"  # a path parameter cannot leave its segment


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ({"swagger": "2.0", "paths": {}}, "Swagger 2.0 is not supported"),
        ({"openapi": "2.1"}, "not an OpenAPI 3.x document"),
        ({"openapi": "3.0.0"}, "no paths"),
        ("[1, 2]", "not a JSON/YAML object"),
        ("{not json: [", "neither JSON nor YAML"),
    ],
)
def test_bad_specs_say_what_is_wrong(source: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_spec(source)


def test_api_gateway_tools_from_filters_and_overrides() -> None:
    config = {"restApiId": "a1", "stage": "prod", "apiGatewayToolConfiguration": {
        "toolFilters": [{"filterPath": "/pets/*", "methods": ["GET", "DELETE"]}],
        "toolOverrides": [{"name": "removePet", "path": "/pets/{petId}", "method": "DELETE",
                           "description": "Remove a pet"}]}}
    from_export = {op.name: op for op in apigateway_operations(config, SPEC)}
    assert set(from_export) == {"getPet", "removePet"}  # /pets (POST) is not selected
    assert from_export["removePet"].description == "Remove a pet"
    bare = apigateway_operations(config, None)  # no export: the overrides define the tools
    assert [(op.name, op.method, [p.name for p in op.params]) for op in bare] == [("removePet", "DELETE", ["petId"])]
