"""What the CUSTOM_JWT authorizer found (DOC inbound-jwt-authorizer; RFC 6750 §3.1): one `Check` per rule.

`Check(name, passed, reason, fix)` is the record the HTTP answer (`authorizer.decide`), the request log and
`authstage explain` all share; `Verdict` is every check for one request, in the order they ran.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["Check", "Verdict", "skipped"]


@dataclass
class Check:
    """One authorizer check. `passed` is None when it did not run (not configured, or an earlier step failed)."""

    name: str
    passed: bool | None
    reason: str
    fix: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def skipped(names: Iterable[str], why: str) -> list[Check]:
    """The checks that did not run because an earlier step failed."""
    return [Check(n, None, f"not evaluated: {why}") for n in names]


@dataclass
class Verdict:
    checks: list[Check]
    claims: dict[str, Any] | None = None
    header: dict[str, Any] | None = None
    token: str | None = None

    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.passed is False]

    def check(self, name: str) -> Check | None:
        return next((c for c in self.checks if c.name == name), None)

    @property
    def unknown_kid(self) -> bool:
        kid = self.check("kid")
        return bool(kid and kid.passed is False and kid.reason.startswith("no key"))
