"""Replay reports: the terminal table, a Markdown page per scenario (symptom, cause, fix, steps, decoded tokens,
the traffic as a Mermaid sequence diagram), JUnit XML, JSON results, and the generated catalog index
(docs/scenarios.md).

Everything here reads results; nothing talks to a service. Secrets never reach a report: the traffic comes from
the services' request logs, which redact them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness._sequence import PARTICIPANTS, arrows

if TYPE_CHECKING:
    from harness._replay import RunResult, StepResult
    from harness._scenario import Scenario

__all__ = ["index_markdown", "junit_xml", "markdown_report", "mermaid", "result_json", "text_report",
           "write_markdown_reports"]




def text_report(scenarios: list[Scenario], runs: list[RunResult], modes: tuple[str, ...], seconds: float) -> str:
    """What `authstage replay` prints: one row per scenario and mode, then every mismatch, then the count."""
    width = max(len(s.name) for s in scenarios)
    by_name: dict[str, dict[str, RunResult]] = {}
    for run in runs:
        by_name.setdefault(run.scenario.name, {})[run.mode] = run
    lines = [f"{'scenario':<{width}}  " + "  ".join(f"{m:<9}" for m in modes) + "  title"]
    for scenario in scenarios:
        cells = [f"{('ok' if by_name[scenario.name][mode].passed else 'MISMATCH'):<9}" for mode in modes]
        lines.append(f"{scenario.name:<{width}}  " + "  ".join(cells) + f"  {scenario.title}")
    for run in runs:
        if not run.passed:
            lines.append(f"\n{run.scenario.name} ({run.mode}) — {run.scenario.path}")
            lines += [f"  - {problem}" for problem in run.problems]
    failed = sum(not r.passed for r in runs)
    lines.append(f"\n{len(runs) - failed}/{len(runs)} runs as expected, {len(scenarios)} scenarios, {seconds:.2f} s")
    return "\n".join(lines)


def mermaid(traffic: list[dict[str, Any]]) -> str:
    lines = ["sequenceDiagram", *(f"    participant {alias}" for alias in PARTICIPANTS.values())]
    for arrow in arrows(traffic):
        source, target = PARTICIPANTS[arrow.source], PARTICIPANTS.get(arrow.target, arrow.target)
        if not arrow.answer:
            lines.append(f"    {source}->>{target}: {arrow.label}".replace(";", ",").replace("#", ""))
        else:
            reason = f" ({arrow.reason})" if arrow.reason else ""
            lines.append(f"    {source}-->>{target}: {arrow.status}{reason}".replace(";", ",").replace("#", "")[:300])
    return "\n".join(lines)


def markdown_report(runs: list[RunResult]) -> str:
    scenario = runs[0].scenario
    import yaml

    fix_yaml = yaml.safe_dump({k: v for k, v in scenario.fix.sections.items() if v}, sort_keys=False).strip()
    out = [
        f"# {scenario.title}",
        "",
        f"`{scenario.name}` · tags: {', '.join(scenario.tags) or '—'} · file `{scenario.path}`",
        "",
        f"**Symptom.** {scenario.symptom.strip()}",
        "",
        f"**Root cause.** {scenario.root_cause.strip()}",
        "",
        "**Fix.**" + (f" {scenario.fix_note.strip()}" if scenario.fix_note else ""),
        "",
        "```yaml",
        fix_yaml,
        "```",
        "",
    ]
    client_fixes = [f"- step {s.index + 1} ({s.name}): `{json.dumps(s.fix)}`" for s in scenario.steps if s.fix]
    if client_fixes:
        out += ["Client-side fix (merged over the step in the fixed run):", "", *client_fixes, ""]
    out.append("**Sources.** " + " · ".join(f"<{s}>" for s in scenario.sources))
    for run in runs:
        verdict = "as expected" if run.passed else "MISMATCH"
        out += ["", f"## {run.mode.capitalize()} ({verdict}, {run.duration_ms:.0f} ms)", ""]
        if run.error:
            out += [f"Error: {run.error}", ""]
        out += ["| # | step | expected | observed | result |", "|---|---|---|---|---|"]
        for step in run.steps:
            observed = _observed_summary(step)
            expected = _cell(json.dumps(step.expected)) if step.expected else "—"
            result = step.outcome + ("".join(f"<br>{_cell(p)}" for p in step.problems) if step.problems else "")
            out.append(f"| {step.step.index + 1} | {step.step.kind}: {_cell(step.step.name)} | {expected} | {observed} | {result} |")
        tokens = [(s.step.name, s.observed.get("token_header"), s.observed.get("claims")) for s in run.steps
                  if s.observed.get("claims")]
        if tokens:
            out += ["", "Decoded tokens:", ""]
            for name, header, claims in tokens:
                out += [f"- {name}:", "  ```json", "  " + json.dumps({"header": header, "claims": claims}), "  ```"]
        out += ["", "Traffic (secrets redacted):", "", "```mermaid", mermaid(run.traffic), "```"]
    return "\n".join(out) + "\n"


def write_markdown_reports(runs: list[RunResult], directory: Path) -> None:
    """`--report DIR`: one Markdown page per scenario (`DIR/<name>.md`), its runs in order."""
    directory.mkdir(parents=True, exist_ok=True)
    by_scenario: dict[str, list[RunResult]] = {}
    for run in runs:
        by_scenario.setdefault(run.scenario.name, []).append(run)
    for name, scenario_runs in by_scenario.items():
        (directory / f"{name}.md").write_text(markdown_report(scenario_runs), encoding="utf-8")


def _cell(text: str) -> str:
    text = text.replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= 240 else text[:237] + "..."


def _observed_summary(step: StepResult) -> str:
    observed = step.observed
    parts = []
    if "status" in observed:
        parts.append(f"HTTP {observed['status']}")
    body = observed.get("json")
    if isinstance(body, dict):
        if "error" in body:
            parts.append(_cell(json.dumps(body["error"])))
        elif "result" in body and isinstance(body["result"], dict):
            result = body["result"]
            if "isError" in result:
                parts.append(f"isError={result['isError']}")
            if "tools" in result:
                parts.append(f"{len(result['tools'])} tools")
    if "redirect" in observed:
        redirect = {k: v for k, v in observed["redirect"].items() if k in ("error", "error_description", "page")}
        if redirect:
            parts.append(_cell(json.dumps(redirect)))
    if step.step.kind == "deploy" and isinstance(body, dict):
        parts += [_cell(f"{name}: {json.dumps(answer.get('detail', answer) if isinstance(answer, dict) else answer)}")
                  for name, answer in body.items()]
    if "checks" in observed:
        parts.append(", ".join(f"{k}={v}" for k, v in observed["checks"].items() if v is False) or "all checks pass")
    return _cell("; ".join(parts)) if parts else "—"


def junit_xml(runs: list[RunResult]) -> str:
    import xml.etree.ElementTree as ET

    suite = ET.Element("testsuite", name="authstage-scenarios", tests=str(len(runs)),
                       failures=str(sum(not r.passed for r in runs)),
                       time=f"{sum(r.duration_ms for r in runs) / 1000:.3f}")
    for run in runs:
        case = ET.SubElement(suite, "testcase", classname=f"scenarios.{run.scenario.name}", name=run.mode,
                             file=run.scenario.path, time=f"{run.duration_ms / 1000:.3f}")
        if not run.passed:
            failure = ET.SubElement(case, "failure", message=(run.problems or ["mismatch"])[0][:500])
            failure.text = "\n".join(run.problems)
    return ET.tostring(suite, encoding="unicode")


def result_json(run: RunResult) -> dict[str, Any]:
    return {
        "scenario": run.scenario.name,
        "mode": run.mode,
        "passed": run.passed,
        "duration_ms": round(run.duration_ms, 1),
        "problems": run.problems,
        "steps": [{"name": s.step.name, "kind": s.step.kind, "outcome": s.outcome, "problems": s.problems}
                  for s in run.steps],
    }


INDEX_HEAD = """# Scenario catalog

Each scenario replays a real-world failure of an OAuth-protected MCP setup (Auth0 + AgentCore-style gateway +
MCP server), asserts the exact symptom users saw, then applies the fix and shows it passing.
Run them with `authstage replay scenarios/` (or `pytest --authstage-scenarios scenarios/`); write one as shown
in [How to write a scenario](#how-to-write-a-scenario). This index is generated:
`authstage replay scenarios/ --write-index docs/scenarios.md`.

| scenario | symptom | tags | source |
|---|---|---|---|
"""


def index_markdown(scenarios: list[Scenario], guide: str) -> str:
    rows = []
    for scenario in sorted(scenarios, key=lambda s: s.name):
        sources = " ".join(f"[{i + 1}]({url})" for i, url in enumerate(scenario.sources))
        rows.append(f"| **{_cell(scenario.title)}**<br>`{scenario.name}` | {_cell(scenario.symptom.strip())} | "
                    f"{', '.join(scenario.tags)} | {sources} |")
    return INDEX_HEAD + "\n".join(rows) + "\n\n" + guide
