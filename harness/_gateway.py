"""`authstage gateway convert FILE...`: any gateway config shape, printed as the API document authstage serves.

The notices (what was converted, resolved, ignored, and the warnings) go to stderr, one per line, so stdout is
the document alone (`> gateway.json`). Exit 0 when the result validates, 1 when it is refused (every problem
listed, each with its JSON path), 2 when the files cannot be read.
"""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

__all__ = ["convert_files"]


def convert_files(files: list[str], *, parameters: dict[str, str], select: str | None, output: str,
                  out: TextIO | None = None, err: TextIO | None = None) -> int:
    from pydantic import ValidationError

    from fake_gateway import Gateway
    from fake_gateway.shapes import Options, read_files

    out, err = out or sys.stdout, err or sys.stderr
    conversion = read_files(files, Options(select=select, parameters=parameters))
    for notice in conversion.notices:
        print(f"authstage gateway convert: {notice}", file=err)
    if conversion.issues:
        _problems([(i.path, i.message) for i in conversion.issues], conversion.shape, err)
        return 1 if conversion.document or conversion.shape != "file" else 2
    try:
        gateway = Gateway.from_conversion(conversion)
    except ValidationError as exc:
        _print(conversion.document, output, out)
        _problems([(".".join(str(p) for p in e["loc"]), e["msg"]) for e in exc.errors(include_url=False)],
                  conversion.shape, err)
        return 1
    for notice in gateway.notices[len(conversion.notices):]:
        print(f"authstage gateway convert: {notice}", file=err)
    _print(gateway.to_document(), output, out)
    return 0


def _print(document: dict[str, Any], output: str, out: TextIO) -> None:
    if output == "yaml":
        import yaml

        print(yaml.safe_dump(document, sort_keys=False), file=out, end="")
    else:
        print(json.dumps(document, indent=2), file=out)


def _problems(problems: list[tuple[str, str]], shape: str, err: TextIO) -> None:
    print(f"authstage gateway convert: refused ({shape}), {len(problems)} problem(s):", file=err)
    for path, message in problems:
        print(f"  {path or '<document>'}: {message}", file=err)
