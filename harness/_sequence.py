"""The traffic of a stack as a sequence diagram: who called whom, in order, each answer with its status and reason.

One model (`arrows`), two drawings: Mermaid text for the Markdown reports (`_report.mermaid`) and a self-contained
SVG (no script, no external font) for the HTML reports and the browser view, which projects it as it grows.
Callers are told apart by User-Agent: the gateway and the sample server name themselves on their outbound calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

__all__ = ["PARTICIPANTS", "Arrow", "arrows", "caller", "sequence_svg"]

PARTICIPANTS = {"client": "Client", "idp": "IdP", "gateway": "Gateway", "mcp": "MCP"}


@dataclass(frozen=True)
class Arrow:
    """One line of the diagram: a request (`answer` False) or its answer."""

    source: str  # a key of PARTICIPANTS
    target: str
    label: str
    answer: bool
    status: int
    reason: str | None


def caller(record: dict[str, Any]) -> str:
    agent = (record.get("request", {}).get("headers", {}) or {}).get("user-agent", "")
    if "authstage-gateway" in agent:
        return "gateway"
    if "authstage-sample-mcp" in agent:
        return "mcp"
    return "client"


def _label(record: dict[str, Any]) -> str:
    body = (record.get("request") or {}).get("body")
    detail = ""
    if isinstance(body, dict) and "method" in body:
        detail = f" {body['method']}"
    elif isinstance(body, dict) and "grant_type" in body:
        detail = f" {body['grant_type']}"
    return f"{record['method']} {record['path']}{detail}"


def arrows(traffic: list[dict[str, Any]]) -> list[Arrow]:
    """A request at its start and its answer at its end, so nested calls sit between the two (records carrying
    `started_at`/`finished_at`); otherwise in record order."""
    timed = all("started_at" in r and "finished_at" in r for r in traffic)
    events = sorted(
        [(r["started_at"] if timed else i, 0, i) for i, r in enumerate(traffic)]
        + [(r["finished_at"] if timed else i, 1, i) for i, r in enumerate(traffic)]
    )
    out = []
    for _, is_answer, index in events:
        record = traffic[index]
        source, target = caller(record), record["service"]
        if is_answer:
            source, target = target, source
        out.append(Arrow(source, target, _label(record), bool(is_answer), record["status"], record.get("reason")))
    return out


_COLUMN = 190
_ROW = 34
_TOP = 56


def _x(participant: str) -> int:
    order = list(PARTICIPANTS)
    return 100 + _COLUMN * (order.index(participant) if participant in order else len(order))


def _text(x: float, y: float, text: str, cls: str, anchor: str = "middle") -> str:
    return f'<text x="{x:.0f}" y="{y:.0f}" class="{cls}" text-anchor="{anchor}">{escape(text)}</text>'


def _arrow_svg(arrow: Arrow, y: int) -> str:
    x1, x2 = _x(arrow.source), _x(arrow.target)
    refused = arrow.answer and arrow.status >= 400
    cls = "refused" if refused else ("answer" if arrow.answer else "call")
    label = arrow.label if not arrow.answer else f"{arrow.status}" + (f" {arrow.reason}" if refused and arrow.reason else "")
    label = label if len(label) <= 70 else label[:67] + "..."
    head = 8 if x2 > x1 else -8
    dash = ' stroke-dasharray="5 4"' if arrow.answer else ""
    return (
        f'<g class="{cls}"><line x1="{x1}" y1="{y}" x2="{x2 - head}" y2="{y}"{dash}/>'
        f'<path d="M{x2} {y} l{-head} -5 l0 10 z"/>'
        + _text(min(x1, x2) + 6, y - 6, label, "label", "start")
        + "</g>"
    )


def sequence_svg(traffic: list[dict[str, Any]], *, title: str = "") -> str:
    """The diagram as one `<svg>` element (inline styles, so it is whole inside an HTML file or a page)."""
    lines = arrows(traffic)
    width = _x("mcp") + 160
    height = _TOP + _ROW * (len(lines) + 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sequence" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title or "sequence diagram")}">',
        "<style>.sequence text{font:13px system-ui,sans-serif;fill:#1e212a}.sequence .head{font-weight:600}"
        ".sequence line{stroke:#555;stroke-width:1.5}.sequence path{fill:#555}"
        ".sequence .refused line{stroke:#c0262d}.sequence .refused path{fill:#c0262d}"
        ".sequence .refused text{fill:#c0262d;font-weight:600}.sequence .life{stroke:#bbb;stroke-dasharray:2 4}</style>",
    ]
    for key, name in PARTICIPANTS.items():
        x = _x(key)
        parts.append(f'<rect x="{x - 55}" y="8" width="110" height="28" rx="5" fill="#eef0f6" stroke="#99a"/>')
        parts.append(_text(x, 27, name, "head"))
        parts.append(f'<line class="life" x1="{x}" y1="36" x2="{x}" y2="{height - 8}"/>')
    for row, arrow in enumerate(lines):
        parts.append(_arrow_svg(arrow, _TOP + _ROW * row + 10))
    parts.append("</svg>")
    return "".join(parts)
