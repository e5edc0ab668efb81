"""Self-contained HTML reports: the Markdown report's content as a page that opens anywhere, offline.

`authstage replay --report DIR` writes `DIR/<name>.html` next to `DIR/<name>.md`; the browser view saves the live
trace the same way (`trace_html`). One file, no script, no external stylesheet or font, the sequence diagram as
inline SVG (`_sequence.sequence_svg`): fine on a projector, a phone, or as a CI artifact. Reads results only;
secrets never reach it (the traffic comes from the services' redacted request logs).
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness._sequence import sequence_svg

if TYPE_CHECKING:
    from harness._replay import RunResult

__all__ = ["PAGE_STYLE", "html_page", "html_report", "trace_html", "traffic_table", "write_html_reports"]

PAGE_STYLE = """
body{font:16px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1e212a;background:#fafbfc}
main{max-width:1200px;margin:0 auto;padding:16px 20px}h1{font-size:1.6em;margin:.3em 0}h2{margin-top:1.6em}
table{border-collapse:collapse;width:100%;font-size:.9em}td,th{border:1px solid #d8dbe2;padding:4px 8px;
text-align:left;vertical-align:top}th{background:#eef0f6}code,pre{font:.85em ui-monospace,Menlo,Consolas,monospace}
pre{background:#f2f3f5;padding:8px;overflow:auto;white-space:pre-wrap;word-break:break-all}
.ok{color:#11703b;font-weight:600}.bad{color:#c0262d;font-weight:600}.diagram{overflow:auto;background:#fff;
border:1px solid #d8dbe2;border-radius:6px;padding:8px}.refusal td{background:#fff3f3}.muted{color:#666}
@media (max-width:700px){body{font-size:15px}td,th{padding:3px 4px}}
"""


def html_page(title: str, body: str) -> str:
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<style>{PAGE_STYLE}</style></head><body><main>{body}</main></body></html>\n"
    )


def traffic_table(traffic: list[dict[str, Any]]) -> str:
    """Every request: service, method, path, status, and for a refusal its reason and fix."""
    rows = []
    for record in traffic:
        refused = record["status"] >= 400
        why = escape(record.get("reason") or "") if refused else ""
        if refused and record.get("fix"):
            why += f'<br><span class="muted">fix: {escape(record["fix"])}</span>'
        rows.append(
            f'<tr class="{"refusal" if refused else ""}"><td>{escape(record["service"])}</td>'
            f"<td>{escape(record['method'])} <code>{escape(record['path'])}</code></td>"
            f'<td class="{"bad" if refused else "ok"}">{record["status"]}</td><td>{why}</td></tr>'
        )
    return ("<table><tr><th>service</th><th>request</th><th>status</th><th>reason · fix</th></tr>"
            + "".join(rows) + "</table>")


def _steps_table(run: RunResult) -> str:
    rows = []
    for step in run.steps:
        problems = "".join(f"<br>{escape(p)}" for p in step.problems)
        expected = escape(json.dumps(step.expected))[:400] if step.expected else "—"
        cls = "ok" if step.outcome in ("passed", "skipped") else "bad"
        rows.append(f"<tr><td>{step.step.index + 1}</td><td>{escape(step.step.kind)}: {escape(step.step.name)}</td>"
                    f'<td><code>{expected}</code></td><td class="{cls}">{escape(step.outcome)}{problems}</td></tr>')
    return "<table><tr><th>#</th><th>step</th><th>expected</th><th>result</th></tr>" + "".join(rows) + "</table>"


def _tokens(run: RunResult) -> str:
    decoded = [(s.step.name, s.observed.get("token_header"), s.observed.get("claims")) for s in run.steps
               if s.observed.get("claims")]
    if not decoded:
        return ""
    items = "".join(f"<li>{escape(name)}<pre>{escape(json.dumps({'header': header, 'claims': claims}, indent=2))}</pre></li>"
                    for name, header, claims in decoded)
    return f"<h3>Decoded tokens</h3><ul>{items}</ul>"


def html_report(runs: list[RunResult]) -> str:
    """One scenario's page: symptom, cause, fix, then each run's steps, tokens, diagram and traffic."""
    import yaml

    scenario = runs[0].scenario
    fix_yaml = yaml.safe_dump({k: v for k, v in scenario.fix.sections.items() if v}, sort_keys=False).strip()
    sources = " · ".join(f'<a href="{escape(s)}">{escape(s)}</a>' for s in scenario.sources)
    body = [
        f"<h1>{escape(scenario.title)}</h1>",
        f'<p class="muted"><code>{escape(scenario.name)}</code> · tags: {escape(", ".join(scenario.tags) or "—")}</p>',
        f"<p><b>Symptom.</b> {escape(scenario.symptom.strip())}</p>",
        f"<p><b>Root cause.</b> {escape(scenario.root_cause.strip())}</p>",
        f"<p><b>Fix.</b> {escape((scenario.fix_note or '').strip())}</p><pre>{escape(fix_yaml)}</pre>",
        f"<p><b>Sources.</b> {sources}</p>",
    ]
    for run in runs:
        verdict = '<span class="ok">as expected</span>' if run.passed else '<span class="bad">MISMATCH</span>'
        body.append(f"<h2>{escape(run.mode.capitalize())} ({verdict}, {run.duration_ms:.0f} ms)</h2>")
        if run.error:
            body.append(f'<p class="bad">Error: {escape(run.error)}</p>')
        body += [_steps_table(run), _tokens(run), "<h3>Traffic (secrets redacted)</h3>",
                 f'<div class="diagram">{sequence_svg(run.traffic, title=f"{scenario.name} {run.mode}")}</div>',
                 traffic_table(run.traffic)]
    return html_page(scenario.title, "".join(body))


def trace_html(traffic: list[dict[str, Any]], *, title: str = "authstage trace") -> str:
    """A live trace (the browser view's "save as HTML"): the diagram and the table."""
    body = (f"<h1>{escape(title)}</h1>"
            f'<div class="diagram">{sequence_svg(traffic, title=title)}</div>{traffic_table(traffic)}')
    return html_page(title, body)


def write_html_reports(runs: list[RunResult], directory: Path) -> list[Path]:
    """`--report DIR`: `DIR/<name>.html` for each scenario (beside the Markdown one) and `DIR/index.html`."""
    directory.mkdir(parents=True, exist_ok=True)
    by_scenario: dict[str, list[RunResult]] = {}
    for run in runs:
        by_scenario.setdefault(run.scenario.name, []).append(run)
    written = []
    links = []
    for name, scenario_runs in by_scenario.items():
        path = directory / f"{name}.html"
        path.write_text(html_report(scenario_runs), encoding="utf-8")
        written.append(path)
        passed = all(r.passed for r in scenario_runs)
        links.append(f'<li><a href="{escape(path.name)}">{escape(scenario_runs[0].scenario.title)}</a> '
                     f'<span class="{"ok" if passed else "bad"}">{"ok" if passed else "MISMATCH"}</span></li>')
    index = directory / "index.html"
    index.write_text(html_page("authstage scenario reports", f"<h1>Scenario reports</h1><ul>{''.join(links)}</ul>"),
                     encoding="utf-8")
    return [index, *written]
