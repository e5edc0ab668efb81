"""What the benches print about the machine they ran on: CPU model and count, Python, the load average, and the
other processes that were using CPU (the machine may be shared: docs/performance.md says how to read figures
taken while something else ran)."""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path

__all__ = ["busy_processes", "describe_machine"]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def describe_machine() -> str:
    load = " / ".join(f"{v:.2f}" for v in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    return (f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs ({_cpu_model()}), "
            f"{platform.python_implementation()} {platform.python_version()}, load average {load}")


def _cpu_ticks() -> dict[int, tuple[str, int]]:
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        found[int(stat.parent.name)] = (name, int(fields[11]) + int(fields[12]))
    return found


def busy_processes(seconds: float = 1.0, top: int = 5) -> list[str]:
    """The processes (but this one and its children) that used the most CPU over `seconds`, as `name NN%`."""
    if not Path("/proc/self/stat").exists():
        return []
    mine = {os.getpid()}
    before = _cpu_ticks()
    time.sleep(seconds)
    after = _cpu_ticks()
    ticks = os.sysconf("SC_CLK_TCK")
    used = [(after[pid][1] - before[pid][1], after[pid][0]) for pid in after if pid in before and pid not in mine]
    used.sort(reverse=True)
    return [f"{name} {100 * delta / ticks / seconds:.0f}%" for delta, name in used[:top] if delta > 0]
