"""TLS on loopback: a certificate authority made for one stack (trustme), the server certificate it issues for the
loopback names, and the trust every emulator's own HTTP clients use.

Auth0's clients build `https://{domain}/...` and AWS endpoints are https, so a setup script written for the real
systems needs HTTPS. `StackTls.create()` writes `ca.pem` (the CA, for NODE_EXTRA_CA_CERTS), `bundle.pem` (the CA
followed by certifi's public roots, for SSL_CERT_FILE / REQUESTS_CA_BUNDLE / AWS_CA_BUNDLE, so setting them does not
break other HTTPS), the server certificate and key uvicorn serves, and a second loopback certificate for a client's
own https listener (its OAuth client ID metadata document, which the IdP fetches: fake_idp/cimd.py). The services'
outbound clients (the gateway fetching JWKS and calling targets, the sample server fetching JWKS, the IdP fetching
client metadata documents) verify with :func:`client_context`, which trusts the system store, certifi's roots and
every CA registered with :func:`trust` in this process.
"""

from __future__ import annotations

import shutil
import ssl
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import certifi

__all__ = ["LOOPBACK_NAMES", "StackTls", "client_context", "trust", "untrust"]

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")

_lock = threading.Lock()
_trusted: list[str] = []
_context: ssl.SSLContext | None = None


@dataclass(frozen=True)
class StackTls:
    """The files of one stack's CA and server certificate."""

    directory: Path
    ca_file: Path
    bundle_file: Path
    cert_file: Path
    key_file: Path
    client_cert_file: Path
    client_key_file: Path

    @classmethod
    def create(cls, hosts: tuple[str, ...] = LOOPBACK_NAMES, directory: Path | None = None) -> StackTls:
        """A fresh CA and a server certificate for `hosts` (DNS names and IP addresses)."""
        import trustme  # a runtime dependency of `authstage up --tls` only

        root = Path(directory or tempfile.mkdtemp(prefix="authstage-tls-"))
        root.mkdir(parents=True, exist_ok=True)
        ca = trustme.CA(organization_name="authstage", organization_unit_name="stack CA (loopback only)")
        tls = cls(root, root / "ca.pem", root / "bundle.pem", root / "server.pem", root / "server-key.pem",
                  root / "client.pem", root / "client-key.pem")
        ca.cert_pem.write_to_path(str(tls.ca_file))
        for names, cert_file, key_file in ((hosts, tls.cert_file, tls.key_file),
                                           (LOOPBACK_NAMES, tls.client_cert_file, tls.client_key_file)):
            issued = ca.issue_cert(*dict.fromkeys(names))
            issued.private_key_pem.write_to_path(str(key_file))
            with cert_file.open("wb") as out:
                for blob in issued.cert_chain_pems:
                    out.write(blob.bytes())
            key_file.chmod(0o600)
        tls.bundle_file.write_bytes(ca.cert_pem.bytes() + b"\n" + Path(certifi.where()).read_bytes())
        return tls

    def server_options(self) -> dict[str, Any]:
        """What uvicorn.Config needs to serve HTTPS with this certificate."""
        return {"ssl_certfile": str(self.cert_file), "ssl_keyfile": str(self.key_file)}

    def remove(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


def trust(ca_file: str | Path) -> None:
    """Make this process's emulator clients trust `ca_file` (a stack's CA) besides certifi's roots."""
    global _context
    with _lock:
        _trusted.append(str(ca_file))
        _context = None


def untrust(ca_file: str | Path) -> None:
    global _context
    with _lock:
        if str(ca_file) in _trusted:
            _trusted.remove(str(ca_file))
        _context = None


def client_context() -> ssl.SSLContext:
    """The SSL context of every emulator's outbound HTTP client: the system store, certifi's roots and the trusted
    stack CAs."""
    global _context
    with _lock:
        if _context is None:
            context = ssl.create_default_context(cafile=certifi.where())
            context.load_default_certs()
            for path in _trusted:
                if Path(path).exists():
                    context.load_verify_locations(cafile=path)
            _context = context
        return _context
