"""The session stack between tests: what a test changed is undone, and what it was refused is shown when it fails.

`Snapshot.take` notes, before a test, each service's config document, clock and (IdP) key ids, and where its
request log stands. `restore` after the test: the logs are cleared (each test starts with an empty trace); when
the test changed a config, a clock or the keys, the services are reset (runtime state cleared, keys back) and the
noted config and clocks put back. Both are in-process reads and a few loopback requests: cheap enough for every
test. `refusals_section` is the text pytest appends to a failing test's report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from harness._fixes import fix_of

if TYPE_CHECKING:
    from harness._stack import Stack

__all__ = ["Snapshot", "refusals_section"]


def _control(stack: Stack, name: str) -> Any:
    app = getattr(stack, name).app
    return app.state.control if app is not None else None


def _kids(control: Any) -> Any:
    keys = getattr(control, "keys", None)
    return keys.describe() if keys is not None else None


@dataclass
class Snapshot:
    """One stack as a test found it (`documents` empty: a stack made for the test, nothing to restore)."""

    stack: Stack
    documents: dict[str, dict[str, Any]]
    marks: dict[str, int]
    clocks: dict[str, dict[str, Any]] = field(default_factory=dict)
    keys: Any = None

    @classmethod
    def take(cls, stack: Stack) -> Snapshot:
        documents, marks, clocks = {}, {}, {}
        for service in stack.services:
            control = _control(stack, service.name)
            documents[service.name] = control.document()
            records = control.records(0)
            marks[service.name] = records[-1]["seq"] if records else 0
            clocks[service.name] = control.clock.state()
        return cls(stack, documents, marks, clocks, _kids(_control(stack, "idp")))

    def records(self) -> list[dict[str, Any]]:
        """Every request of the stack since the snapshot, in time order."""
        found = [r for s in self.stack.services for r in s.log(self.marks.get(s.name, 0))]
        return sorted(found, key=lambda r: (r["time"], r["service"], r["seq"]))

    def _changed(self) -> bool:
        for name, document in self.documents.items():
            control = _control(self.stack, name)
            state = control.clock.state()
            if control.document() != document or (state["frozen"], state["offset"]) != (
                self.clocks[name]["frozen"], self.clocks[name]["offset"]
            ):
                return True
        return bool(_kids(_control(self.stack, "idp")) != self.keys)

    def restore(self) -> None:
        if not self.documents:
            return
        if self._changed():
            for service in self.stack.services:
                service.reset()  # over HTTP: the gateway also closes its target pools
                control = _control(self.stack, service.name)
                if control.document() != self.documents[service.name]:
                    control.replace(self.documents[service.name])
                clock = self.clocks[service.name]
                control.clock.apply({"at": clock["now"]} if clock["frozen"] else {"offset": clock["offset"]})
        for service in self.stack.services:
            _control(self.stack, service.name).log.clear()


def refusals_section(snapshots: list[Snapshot]) -> str:
    """Every 4xx/5xx the test's stacks served during the test: one line each, reason and fix."""
    lines = []
    for snapshot in snapshots:
        try:
            records = snapshot.records()
        except Exception as exc:  # a stack the test stopped: say so instead of failing the report
            lines.append(f"(stack not readable: {type(exc).__name__})")
            continue
        for record in records:
            if record["status"] < 400:
                continue
            fix = fix_of(record)
            lines.append(f"[{record['service']}] {record['method']} {record['path']} {record['status']}"
                         f" — {record.get('reason')}" + (f"\n    fix: {fix}" if fix else ""))
    return "\n".join(lines)
