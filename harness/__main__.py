"""`python -m harness` is the `authstage` command."""

from __future__ import annotations

import sys

from harness._cli import main

if __name__ == "__main__":
    sys.exit(main())
