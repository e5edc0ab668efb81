"""One TLS context per process for every outbound HTTP client the services and the harness make.

httpx (and httpx2) build a fresh ``ssl.SSLContext`` for every client unless given one, and loading the CA bundle
(certifi's ~150 KB of PEM) costs 10–40 ms of CPU each time: several clients per stack start, one more per MCP
session the gateway opens to a target. The context is the same every time (the CA bundle, and ``SSL_CERT_FILE`` /
``SSL_CERT_DIR`` when the client trusts the environment), so it is built once and shared; an ``SSLContext`` is safe
to share between clients and threads once configured. Pass it as ``verify=``.
"""

from __future__ import annotations

import functools
import ssl

__all__ = ["client_context"]


@functools.cache
def client_context(trust_env: bool = True) -> ssl.SSLContext:
    """httpx's default verifying context (``trust_env``: honour ``SSL_CERT_FILE`` / ``SSL_CERT_DIR``), built once."""
    import httpx

    return httpx.create_ssl_context(trust_env=trust_env)
