"""The loader fuzz: real gateway documents of every shape, mutated, never give a traceback or a 5xx.

Every mutated corpus document goes through conversion (shapes.convert), the model (Gateway.from_document:
validation, the view, the notices), the control plane's replace (what PUT /_authstage/config runs: anything but a
ControlError would be answered 500), and, when it loads, the catalogue of each schema target (only a
TargetFailure may come out). bench/loader_fuzz.py runs the same with more examples and prints the counts.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from pydantic import ValidationError

from authstage_kit.errors import ControlError
from fake_gateway import Gateway
from fake_gateway.control import GatewayControl
from fake_gateway.shapes import UNREADABLE, convert
from fake_gateway.targets import TargetFailure
from fake_gateway.tool_targets import SCHEMA_KINDS
from tests.fake_gateway.shapes.mutations import mutated

CONTROL = GatewayControl(Gateway.from_document({"name": "fuzz", "authorizerType": "NONE"}))


def load(document: Any) -> str:
    """'loaded' or 'refused'; any other exception fails the test with its traceback."""
    conversion = convert(document)
    assert all(isinstance(i.path, str) and i.message for i in conversion.issues)
    assert not any(i.message.startswith(UNREADABLE.split("{")[0]) for i in conversion.issues), conversion.issues
    try:
        gateway = Gateway.from_document(document)
    except ValidationError as exc:
        assert exc.errors(include_url=False)  # every refusal names at least one problem
        outcome = "refused"
    else:
        assert all(n.kind and n.message for n in gateway.notices)
        for spec in gateway.view.targets:
            if spec.kind in SCHEMA_KINDS:
                try:
                    CONTROL.backend.tool_targets.list_tools(spec)
                except TargetFailure:
                    pass
        outcome = "loaded"
    try:
        CONTROL.replace(document)
    except ControlError as exc:
        assert exc.status == 400 and exc.detail
    return outcome


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_real_documents_never_crash_the_loader(document: Any) -> None:
    load(document)
