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


INK, RED, SOFT = "#444", "#c0262d", "#bbb"


def _text(x: float, y: float, text: str, *, color: str = "#1e212a", bold: bool = False, anchor: str = "middle") -> str:
    weight = ' font-weight="600"' if bold else ""
    return f'<text x="{x:.0f}" y="{y:.0f}" fill="{color}" text-anchor="{anchor}"{weight}>{escape(text)}</text>'


def _arrow_svg(arrow: Arrow, y: int) -> str:
    x1, x2 = _x(arrow.source), _x(arrow.target)
    refused = arrow.answer and arrow.status >= 400
    color = RED if refused else INK
    label = arrow.label if not arrow.answer else f"{arrow.status}" + (f" {arrow.reason}" if refused and arrow.reason else "")
    label = label if len(label) <= 70 else label[:67] + "..."
    head = 8 if x2 > x1 else -8
    dash = ' stroke-dasharray="5 4"' if arrow.answer else ""
    kind = "refused" if refused else ("answer" if arrow.answer else "call")
    return (
        f'<g class="{kind}"><line x1="{x1}" y1="{y}" x2="{x2 - head}" y2="{y}" stroke="{color}" stroke-width="1.5"{dash}/>'
        f'<path d="M{x2} {y} l{-head} -5 l0 10 z" fill="{color}"/>'
        + _text(min(x1, x2) + 6, y - 6, label, color=color, bold=refused, anchor="start")
        + "</g>"
    )


def sequence_svg(traffic: list[dict[str, Any]], *, title: str = "") -> str:
    """The diagram as one `<svg>` element. Presentation attributes only (no `<style>`): whole inside an HTML file,
    and drawn under the browser view's Content-Security-Policy, which allows no inline styles."""
    lines = arrows(traffic)
    width = _x("mcp") + 160
    height = _TOP + _ROW * (len(lines) + 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sequence" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" font-family="system-ui,sans-serif" font-size="13" role="img" '
        f'aria-label="{escape(title or "sequence diagram")}">',
    ]
    for key, name in PARTICIPANTS.items():
        x = _x(key)
        parts.append(f'<rect x="{x - 55}" y="8" width="110" height="28" rx="5" fill="#eef0f6" stroke="#99a"/>')
        parts.append(_text(x, 27, name, bold=True))
        parts.append(f'<line x1="{x}" y1="36" x2="{x}" y2="{height - 8}" stroke="{SOFT}" stroke-dasharray="2 4"/>')
    for row, arrow in enumerate(lines):
        parts.append(_arrow_svg(arrow, _TOP + _ROW * row + 10))
    parts.append("</svg>")
    return "".join(parts)
