#!/bin/sh
# mcp-remote-client (mcp-remote 0.15.x) under the conformance contract: the server URL comes last, mcp-remote wants
# it first. A fresh token cache per run (MCP_REMOTE_CONFIG_DIR), the headless `authstage-browser` as BROWSER, the
# callback on 127.0.0.1. MCP_REMOTE_CLIENT names the mcp-remote-client executable.
for url; do :; done
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
MCP_REMOTE_CONFIG_DIR="$dir" "$MCP_REMOTE_CLIENT" "$url" --host 127.0.0.1 --transport http-only --silent
