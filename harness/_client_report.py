"""What `authstage client-check` reports: the terminal summary (conformance's SUITE SUMMARY lines), JUnit XML, a
Markdown report, JSON, and the verdict against a baseline of expected failures (conformance's
`--expected-failures` YAML: `{client: [scenario, or scenario:check-id]}`).

Everything here reads results; nothing talks to a service.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from harness._exceptions import ConfigError

if TYPE_CHECKING:
    from harness._client_check import ScenarioResult

__all__ = ["Baseline", "dumps", "junit_xml", "load_baseline", "markdown_report", "results_json", "text_report"]


def _line(result: ScenarioResult) -> str:
    name = result.scenario.name
    if result.skipped:
        return f"- {name}: skipped ({result.skipped})"
    passed, failed, warnings = result.count("SUCCESS"), result.count("FAILURE"), result.count("WARNING")
    mark = "✓" if result.passed else "✗"
    extra = f", {warnings} warnings" if warnings else ""
    return f"{mark} {name}: {passed} passed, {failed} failed{extra} ({result.seconds:.2f} s)"


def text_report(results: list[ScenarioResult], seconds: float) -> str:
    lines = ["", "=== CLIENT CHECK SUMMARY ===", ""]
    for result in results:
        lines.append(_line(result))
        lines += [f"    - {c['name']}" + (f": {c['description']}" if c["description"] != c["name"] else "")
                  for c in result.failures]
        if result.failures and result.exit_code not in (0, None) and not result.timed_out:
            said = [line.strip() for line in result.stderr.splitlines() if line.strip()]
            lines.append(f"    (the client exited {result.exit_code}" + (f": {said[-1][:200]})" if said else ")"))
        if result.stopped:
            lines.append(f"    ({result.stopped})")
    graded = [r for r in results if not r.skipped]
    total = {s: sum(r.count(s) for r in graded) for s in ("SUCCESS", "FAILURE", "WARNING")}
    ok = sum(r.passed for r in graded)
    lines += ["", f"Total: {total['SUCCESS']} passed, {total['FAILURE']} failed, {total['WARNING']} warnings; "
              f"{ok}/{len(graded)} scenarios passed, {len(results) - len(graded)} skipped ({seconds:.2f} s)"]
    return "\n".join(lines)


def junit_xml(results: list[ScenarioResult]) -> str:
    import xml.etree.ElementTree as ET

    suite = ET.Element("testsuite", name="authstage-client-check", tests=str(len(results)),
                       failures=str(sum(not r.passed for r in results)),
                       skipped=str(sum(bool(r.skipped) for r in results)),
                       time=f"{sum(r.seconds for r in results):.3f}")
    for result in results:
        case = ET.SubElement(suite, "testcase", classname=f"client-check.{result.scenario.suite}",
                             name=result.scenario.name, time=f"{result.seconds:.3f}")
        if result.skipped:
            ET.SubElement(case, "skipped", message=result.skipped)
        elif not result.passed:
            first = result.failures[0]
            failure = ET.SubElement(case, "failure", message=f"{first['id']}: {first['description']}"[:500])
            failure.text = "\n".join(f"{c['status']} {c['id']}: {c['description']}" for c in result.failures)
        if result.stderr:
            ET.SubElement(case, "system-err").text = result.stderr[-20000:]
    return ET.tostring(suite, encoding="unicode")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")[:300]


def markdown_report(results: list[ScenarioResult], command: list[str]) -> str:
    out = ["# Client check", "", f"Client: `{' '.join(command)}`", "",
           "| scenario | suite | verdict | passed | failed | warnings | s |", "|---|---|---|---|---|---|---|"]
    for r in results:
        verdict = "skipped" if r.skipped else "pass" if r.passed else "**FAIL**"
        out.append(f"| `{r.scenario.name}` | {r.scenario.suite} | {verdict} | {r.count('SUCCESS')} | "
                   f"{r.count('FAILURE')} | {r.count('WARNING')} | {r.seconds:.2f} |")
    for r in results:
        if r.passed and not r.stopped:
            continue
        out += ["", f"## `{r.scenario.name}`", "", r.scenario.summary, "", f"Source: {r.scenario.source}", ""]
        if r.skipped:
            out.append(f"Skipped: {r.skipped}")
            continue
        out += ["| check | status | description |", "|---|---|---|"]
        out += [f"| `{c['id']}` | {c['status']} | {_cell(c['description'])} |" for c in r.checks if c["status"] != "INFO"]
        if r.stopped:
            out += ["", f"The runner ended the client: {r.stopped}."]
    return "\n".join(out) + "\n"


def results_json(results: list[ScenarioResult], seconds: float) -> dict[str, Any]:
    return {"seconds": round(seconds, 3), "scenarios": [
        {"scenario": r.scenario.name, "suite": r.scenario.suite, "passed": r.passed, "skipped": r.skipped,
         "exit_code": r.exit_code, "timed_out": r.timed_out, "stopped": r.stopped, "seconds": round(r.seconds, 3),
         "failed_checks": sorted({c["id"] for c in r.failures}), "checks": r.checks} for r in results]}


class Baseline:
    """conformance's expected-failures file: scenarios (or `scenario:check-id`) allowed to fail."""

    def __init__(self, entries: list[str]) -> None:
        self.entries = entries

    def expected(self, result: ScenarioResult) -> bool:
        name = result.scenario.name
        if name in self.entries:
            return True
        failing = {c["id"] for c in result.failures}
        return bool(failing) and all(f"{name}:{check}" in self.entries for check in failing)

    def listed(self, result: ScenarioResult) -> bool:
        name = result.scenario.name
        return any(e == name or e.startswith(f"{name}:") for e in self.entries)

    def verdict(self, results: list[ScenarioResult]) -> tuple[int, list[str]]:
        """Exit 1 on a failure not in the baseline or a baseline entry that now passes (stale), as conformance."""
        graded = [r for r in results if not r.skipped]
        unexpected = [r.scenario.name for r in graded if not r.passed and not self.expected(r)]
        expected = [r.scenario.name for r in graded if not r.passed and self.expected(r)]
        stale = [r.scenario.name for r in graded if r.passed and self.listed(r)]
        lines = []
        for heading, mark, names in (("Expected failures (in baseline):", "~", expected),
                                     ("Stale baseline entries (now passing - remove from baseline):", "✓", stale),
                                     ("Unexpected failures (not in baseline):", "✗", unexpected)):
            if names:
                lines += ["", heading, *(f"  {mark} {n}" for n in names)]
        return (1 if unexpected or stale else 0), lines


def load_baseline(path: str) -> Baseline:
    try:
        document = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the expected-failures file: {exc}", path=path) from exc
    if not isinstance(document, dict) or not isinstance(document.get("client", []), list):
        raise ConfigError(f"{path}: expected a mapping with a `client:` list of scenario names", path=path)
    return Baseline([str(e) for e in document.get("client") or []])


def dumps(document: Any) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False)
