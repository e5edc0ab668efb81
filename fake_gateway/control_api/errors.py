"""The errors of the emulated `bedrock-agentcore-control` API: AWS's JSON error shape, each string with its source.

Shape (botocore `RestJSONParser`, smithy aws-restjson1 "Operation error serialization"): status = the error
shape's `httpStatusCode` in the service model, `x-amzn-ErrorType: <Code>`, body `{"message": ...}` plus the
shape's other members (ValidationException: `reason`, `fieldList`). Tags as in `fake_gateway/errors.py`:
DOC, OBSERVED, INFERRED (our wording where AWS's was not captured).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fake_gateway.errors import Issue
from fake_gateway.validation import service_model

__all__ = [
    "AwsError",
    "conflict",
    "idempotency_mismatch",
    "not_emulated",
    "not_found",
    "serialization_error",
    "validation_error",
]

SERVICE = "bedrock-agentcore-control"

# The Coral validation summary AWS services print before the constraint messages (the constraint wording is
# fake_gateway/errors.py VALUE_CONSTRAINT): "1 validation error detected: Value ... ; Value ...".
VALIDATION_SUMMARY = "{n} validation error{s} detected: {details}"
# DOC (model ValidationExceptionReason enum): CannotParse | FieldValidationFailed | IdempotentParameterMismatchException.
REASON_FIELDS = "FieldValidationFailed"
REASON_IDEMPOTENCY = "IdempotentParameterMismatchException"
# DOC (CreateGateway API reference, clientToken): "If you don't specify this field, a value is randomly generated
# for you. If this token matches a previous request, the service ignores the request, but doesn't return an
# error." A reused token with different parameters: the enum value above; the wording is INFERRED.
IDEMPOTENCY_MISMATCH = "The clientToken '{token}' was used before with different parameters"
# INFERRED: the not-found / conflict wordings of AgentCore were not captured.
NOT_FOUND = "{kind} '{identifier}' was not found"
ALREADY_EXISTS = "A {kind} named '{name}' already exists"
GATEWAY_HAS_TARGETS = (
    "Gateway '{identifier}' has {count} target(s); delete its targets before deleting the gateway"
)  # INFERRED from the samples' cleanup scripts, which always delete targets first
ENGINE_IN_USE = "Policy engine '{identifier}' is attached to gateway(s) {gateways}; detach it first"  # INFERRED
# Ours: an operation of the model that authstage does not emulate. Coral's name for an operation the service
# does not know, at 501 (not retried by botocore's standard/legacy retry modes, unlike 500/502/503/504).
NOT_EMULATED = (
    "authstage does not emulate the {service} operation {operation} ({method} {uri}); the emulated operations "
    "are listed in docs/control-api.md"
)
NOT_EMULATED_CODE = "UnknownOperationException"
BODY_TOO_LARGE = "Request body of {size} bytes is too large (emulator.maxRequestBytes)"  # INFERRED, 413
NOT_EMULATED_STATUS = 501


class AwsError(Exception):
    """One AWS error answer: code, status, message and extra members; `reason` is ours (the request log)."""

    def __init__(self, code: str, message: str, *, status: int | None = None, log_reason: str | None = None,
                 **members: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status if status is not None else _status(code)
        self.reason = log_reason or f"{code}: {message}"
        self.members = members

    def body(self) -> dict[str, Any]:
        return {"message": self.message, **{k: v for k, v in self.members.items() if v is not None}}


def _status(code: str) -> int:
    """The error shape's `httpStatusCode` in the model (400 for shapes the model does not have)."""
    try:
        shape = service_model().shape_for(code)
    except Exception:  # botocore raises NoShapeFoundError for an unknown name
        return 400
    return int(shape.metadata.get("error", {}).get("httpStatusCode", 400))


def validation_error(issues: Sequence[Issue], operation: str, *, reason: str = REASON_FIELDS) -> AwsError:
    details = "; ".join(issue.message for issue in issues)
    message = VALIDATION_SUMMARY.format(n=len(issues), s="s" if len(issues) != 1 else "", details=details)
    fields = [{"name": issue.path or "(body)", "message": issue.message} for issue in issues]
    return AwsError("ValidationException", message, log_reason=f"{operation}: {message}", fieldList=fields,
                    reason=reason)


def idempotency_mismatch(token: str) -> AwsError:
    message = IDEMPOTENCY_MISMATCH.format(token=token)
    return AwsError("ValidationException", message, reason=REASON_IDEMPOTENCY)


def serialization_error(message: str) -> AwsError:
    """Coral's answer to a body or parameter it cannot parse (400 SerializationException)."""
    return AwsError("SerializationException", message, status=400)


def not_found(kind: str, identifier: str) -> AwsError:
    return AwsError("ResourceNotFoundException", NOT_FOUND.format(kind=kind, identifier=identifier))


def conflict(message: str) -> AwsError:
    return AwsError("ConflictException", message)


def not_emulated(operation: str, method: str, uri: str) -> AwsError:
    message = NOT_EMULATED.format(service=SERVICE, operation=operation, method=method, uri=uri)
    return AwsError(NOT_EMULATED_CODE, message, status=NOT_EMULATED_STATUS,
                    log_reason=f"{operation} is not emulated by authstage")
