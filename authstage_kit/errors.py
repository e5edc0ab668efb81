"""The kernel's exceptions and the control plane's one error shape.

* AuthstageError                 - base of every error authstage raises on purpose (the harness builds on it)
  x ServerStartError             - a service did not bind or did not become ready
  x ControlError                 - a control-plane request refused: HTTP status + the one body shape below

Every control-plane 4xx on every service has the same body (docs/control-plane.md "Errors")::

    {"error": "<code>", "detail": [{"loc": "<where>", "msg": "<what is wrong>"}, ...]}

``loc`` is a dotted path into the document for config errors (``faults.jwks_fault``, ``targets.0.name``),
``(body)`` for the body as a whole, a header name (``host``, ``content-type``) or a query parameter (``since``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the kernel's errors load without pydantic: the `authstage` command starts with them
    from pydantic import BaseModel

__all__ = ["AuthstageError", "ControlError", "Problem", "ServerStartError", "problems_of"]

Problem = dict[str, str]


class AuthstageError(Exception):
    """Base class of every error authstage raises on purpose."""


class ServerStartError(AuthstageError):
    """A service did not start or did not answer its readiness check in time."""

    def __init__(self, message: str, *, service: str = "") -> None:
        super().__init__(message)
        self.service = service


class ControlError(AuthstageError):
    """A refused control-plane request. ``body()`` is the one shape; ``headers`` go out with it."""

    def __init__(
        self, status: int, error: str, detail: list[Problem], *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__("; ".join(f"{d['loc']}: {d['msg']}" for d in detail) or error)
        self.status = status
        self.error = error
        self.detail = detail
        self.headers = dict(headers or {})

    @classmethod
    def invalid(
        cls, error: str, loc: str, msg: str, *, more: list[tuple[str, str]] | None = None, status: int = 400
    ) -> ControlError:
        pairs = [(loc, msg), *(more or [])]
        return cls(status, error, [{"loc": where, "msg": what} for where, what in pairs])

    def body(self) -> dict[str, Any]:
        return {"error": self.error, "detail": self.detail}


def problems_of(errors: list[Any], model: type[BaseModel] | None = None) -> list[Problem]:
    """pydantic ``ValidationError.errors()`` as ``{loc, msg}`` problems (``loc`` dotted, ``(body)`` when empty);
    with the settings ``model``, an unknown key's message names the closest real one."""
    from authstage_kit.suggest import extra_key_message

    found: list[Problem] = []
    for err in errors:
        loc = ".".join(str(part) for part in err.get("loc", ())) or "(body)"
        message = extra_key_message(err, model) if model is not None else str(err.get("msg", ""))
        found.append({"loc": loc, "msg": message})
    return found
