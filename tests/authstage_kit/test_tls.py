"""One TLS context per process (authstage_kit/tls.py): built once, verifying, shared by the clients."""

from __future__ import annotations

import ssl

from authstage_kit.tls import client_context


def test_one_verifying_context_per_environment_setting() -> None:
    context = client_context()
    assert context is client_context() and context is not client_context(False)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert client_context(False).verify_mode == ssl.CERT_REQUIRED
