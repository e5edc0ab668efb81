"""`python -m authstage`: the `authstage` command (the same entry point as the console script)."""

from __future__ import annotations

from harness._cli import entry

if __name__ == "__main__":
    entry()
