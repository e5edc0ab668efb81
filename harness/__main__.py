"""`python -m harness` is the `authstage` command."""

from __future__ import annotations

from harness._cli import entry

if __name__ == "__main__":
    entry()
