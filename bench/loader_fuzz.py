"""The loader fuzz at scale: mutated real gateway configs (the paste corpus) through every loading stage.

Stages per example: conversion (`fake_gateway.shapes`, the safety net bypassed so a converter bug counts),
`Gateway.from_document` (validation, view, notices), the control plane's replace (what `PUT /_authstage/config`
runs: anything but a ControlError is a 500), and the harness paste (`harness._paste.paste_gateway`: mapping onto a
stack). Prints the examples run, the refusals, the tracebacks per stage (must be 0) and the time per example.

    .venv/bin/python bench/loader_fuzz.py [--examples 5000] [--quick]

`--quick` (what `make test` runs, tests/test_bench.py): 20 examples, to prove the fuzz runs.
"""

from __future__ import annotations

import argparse
import collections
import copy
import sys
import time
import traceback
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hypothesis import HealthCheck, given, settings
from pydantic import ValidationError

from authstage_kit.errors import ControlError
from fake_gateway import Gateway
from fake_gateway.control import GatewayControl
from fake_gateway.shapes import Options, _convert, detect
from harness._config import StackFile, stack_variables, tenant_variables
from harness._demo import demo_documents
from harness._exceptions import ConfigError
from harness._paste import paste_gateway
from tests.fake_gateway.shapes.mutations import mutated

STAGES = ("convert", "gateway", "control", "paste")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--examples", type=int, default=5000)
    parser.add_argument("--quick", action="store_true", help="20 examples: proves the fuzz runs")
    args = parser.parse_args()
    if args.quick:
        args.examples = 20
    variables = stack_variables("http://127.0.0.1:1", "http://127.0.0.1:2", "http://127.0.0.1:3")
    documents = demo_documents(variables)
    variables |= tenant_variables(documents["idp"])
    control = GatewayControl(Gateway.from_document({"name": "fuzz", "authorizerType": "NONE"}))
    refused: collections.Counter[str] = collections.Counter()
    crashes: collections.Counter[tuple[str, str]] = collections.Counter()
    examples = [0]

    def stage(name: str, document: Any) -> None:
        if name == "convert":
            shape = detect(document)
            if shape != "invalid":
                conversion = _convert(copy.deepcopy(document), shape, Options())
                if conversion.issues:
                    raise ValidationError.from_exception_data("convert", [])
        elif name == "gateway":
            Gateway.from_document(document)
        elif name == "control":
            control.replace(document)
        elif isinstance(document, dict):
            paste_gateway(StackFile(gateway=document), documents, variables)

    @settings(max_examples=args.examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(mutated())
    def run(document: Any) -> None:
        examples[0] += 1
        for name in STAGES:
            try:
                stage(name, document)
            except (ValidationError, ControlError, ConfigError):
                refused[name] += 1
            except Exception as exc:
                where = traceback.extract_tb(exc.__traceback__)[-1]
                crashes[(name, f"{type(exc).__name__} at {Path(where.filename).name}:{where.lineno}")] += 1

    started = time.perf_counter()
    run()
    elapsed = time.perf_counter() - started
    print(f"examples: {examples[0]}  ({elapsed / max(examples[0], 1) * 1000:.1f} ms each, {elapsed:.1f} s)")
    for name in STAGES:
        print(f"  {name:<8} refused {refused[name]:>5}   tracebacks {sum(n for (s, _), n in crashes.items() if s == name)}")
    for (name, where), count in crashes.most_common():
        print(f"  TRACEBACK {name}: {where} x{count}")
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
