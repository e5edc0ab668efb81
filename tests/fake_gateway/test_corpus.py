"""The paste corpus (corpus/index.yaml) through two routes: a file (`Gateway.from_files`, what `python -m
fake_gateway --config` and `authstage gateway convert` do) and the control plane (`PUT /_authstage/config` of the
document as JSON). The stack-file route is tests/harness/test_paste.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from pydantic import ValidationError

from fake_gateway import Gateway
from fake_gateway.shapes import Options
from fake_gateway.shapes.text import parse_text

CORPUS = Path(__file__).parent / "corpus"
ENTRIES: list[dict[str, Any]] = yaml.safe_load((CORPUS / "index.yaml").read_text())


def _id(entry: dict[str, Any]) -> str:
    suffix = f"[{entry['select']}]" if entry.get("select") else "[params]" if entry.get("params") else ""
    return "+".join(Path(f).name for f in entry["files"]) + suffix


def entries(route: str) -> list[Any]:
    return [pytest.param(e, id=_id(e)) for e in ENTRIES if route in e.get("routes", ["file", "stack", "control"])]


def outcome(entry: dict[str, Any], route: str) -> str:
    return str(entry.get(route, entry["outcome"]))


def errors_of(exc: ValidationError) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for error in exc.errors(include_url=False):
        found.setdefault(".".join(str(p) for p in error["loc"]), []).append(error["msg"])
    return found


def assert_refused(found: dict[str, list[str]], expected: dict[str, str]) -> None:
    for path, text in expected.items():
        where = next((p for p in found if p == (path or "(body)") or (path and p.endswith(path))), None)
        where = where if where is not None or path else next(iter(found), None)
        assert where is not None, f"no error at {path!r}; errors: {found}"
        assert any(text in message for message in found[where]), (path, found[where])


def test_the_corpus_has_every_shape_and_names_its_sources() -> None:
    files = {f for e in ENTRIES for f in e["files"]}
    shapes = {e["shape"] for e in ENTRIES}
    assert len(files) >= 25
    assert {"api", "update-gateway", "gateway-target", "list-gateway-targets", "cloudformation", "cdk",
            "cloudformation-resource", "terraform-show", "terraform-state", "hcl", "agentcore-cli", "pulumi-stack",
            "pulumi-yaml"} <= shapes
    assert all(len(e["source"]) > 40 for e in ENTRIES)
    assert {e["outcome"] for e in ENTRIES} == {"served", "converted", "refused"}


@pytest.mark.parametrize("entry", entries("file"))
def test_file_route(entry: dict[str, Any]) -> None:
    files = [CORPUS / f for f in entry["files"]]
    options = Options(select=entry.get("select"), parameters=dict(entry.get("params") or {}))
    if outcome(entry, "file") == "refused":
        with pytest.raises(ValidationError) as caught:
            Gateway.from_files(files, options)
        assert_refused(errors_of(caught.value), entry["errors"])
        return
    gateway = Gateway.from_files(files, options)
    said = "\n".join(str(n) for n in gateway.notices)
    for text in entry.get("notices") or []:
        assert text in said
    if entry["shape"] not in ("api", "update-gateway"):
        assert any(n.kind == "converted" for n in gateway.notices)
    assert Gateway.from_document(gateway.to_document()).to_document() == gateway.to_document()


def _document(entry: dict[str, Any]) -> Any:
    """What a client PUTs: the first file's document as JSON, the other files as its targets."""
    first, *rest = (CORPUS / f for f in entry["files"])
    document = parse_text(first.read_text(), source=first.name)
    if rest:
        document["targets"] = [parse_text(f.read_text(), source=f.name) for f in rest]
    return document


@pytest.mark.parametrize("entry", entries("control"))
def test_control_plane_route(entry: dict[str, Any], start_gateway: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir((CORPUS / entry["files"][0]).parent)  # relative references resolve as beside the file
    running = start_gateway({"name": "blank", "authorizerType": "NONE"})
    with running.client() as http:
        response = http.put("/_authstage/config", json=_document(entry))
        if outcome(entry, "control") == "refused":
            assert response.status_code == 400, response.text
            found: dict[str, list[str]] = {}
            for problem in response.json()["detail"]:
                found.setdefault(problem["loc"], []).append(problem["msg"])
            assert_refused(found, entry["errors"])
            return
        assert response.status_code == 200, response.text
        notices = "\n".join(f"{n['path']}: {n['message']}" for n in http.get("/_authstage/notices").json()["notices"])
        for text in entry.get("notices") or []:
            if "added" not in text:  # bundle notices belong to the file route
                assert text.split(": ")[-1] in notices or text in notices
        listed = _tools(http)
    assert set(entry.get("tools") or []) <= set(listed)


def _tools(http: httpx.Client) -> list[str]:
    """Every schema target's catalogue, synchronized through the control plane (MCP servers are not called)."""
    names = []
    config = {t["name"]: t for t in http.get("/_authstage/config").json().get("targets", [])}
    for target in http.get("/_authstage/targets").json()["targets"]:
        status = target
        if "mcpServer" not in config[target["name"]]["targetConfiguration"].get("mcp", {}):
            status = http.post(f"/_authstage/targets/{target['name']}/synchronize", json={}).json()
            assert status["status"] == "READY", status
        names += [f"{target['name']}___{tool}" for tool in status["tools"]]
    return names
