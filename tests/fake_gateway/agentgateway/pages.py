"""Test configs modeled on agentgateway's public Auth0 docs pages, with our own names and values.

- `old_page`: agentgateway/website@8f888114 content/docs/integrations/auth/auth0.md (the page as published
  2026-01-17: `binds`, a stdio target, `mcpAuthentication` without `resourceMetadata`, `- if:` and `auth.claims`),
  its two blocks joined as a reader does (the second block's `policies` on the first block's route).
- `current_page`: agentgateway/website@855a0c1a content/docs/standalone/latest/integrations/auth/auth0.md
  (`gateways` + `routes`, `${AUTH0_ISSUER}` variables, `provider: {auth0: {}}`, the rule as `jwt.permissions`).
"""

from __future__ import annotations

import sys
from typing import Any

import yaml

OLD_PAGE = """
binds:
- port: 3000
  listeners:
  - routes:
    - backends:
      - mcp:
          targets:
          - name: tools-server
            stdio:
              cmd: {python}
              args: ["-m", "sample_mcp", "--stdio"]
      policies:
        mcpAuthentication:
          mode: strict
          issuer: {issuer}
          audiences:
          - {audience}
          jwks:
            url: {jwks}
        authorization:
          rules:
          # Check for specific permission
          - if: '"read:tools" in auth.claims.permissions'
"""

CURRENT_PAGE = """
# yaml-language-server: $schema=https://agentgateway.dev/schema/config
gateways:
  default:
    port: 3000
routes:
- backends:
  - mcp:
      targets:
      - name: everything
        mcp:
          host: {target}
  policies:
    mcpAuthentication:
      mode: strict
      issuer: ${{AUTH0_ISSUER}}
      audiences:
      - ${{AUTH0_AUDIENCE}}
      provider:
        auth0: {{}}
      resourceMetadata:
        resource: {resource}
        scopesSupported:
        - read:tools
        bearerMethodsSupported:
        - header
    authorization:
      rules:
      - '"read:tools" in jwt.permissions'
"""


def old_page(issuer: str = "https://example-tenant.auth0.test/", audience: str = "https://api.example.test",
             jwks: str | None = None) -> dict[str, Any]:
    text = OLD_PAGE.format(python=sys.executable, issuer=issuer, audience=audience,
                           jwks=jwks or f"{issuer}.well-known/jwks.json")
    document: dict[str, Any] = yaml.safe_load(text)
    return document


def current_page_text(target: str = "http://127.0.0.1:9/mcp", resource: str = "http://localhost:3000/mcp") -> str:
    return CURRENT_PAGE.format(target=target, resource=resource)
