"""The stack CA (trustme): its files, the server certificate's names, and the trust of the emulators' clients."""

from __future__ import annotations

import ssl

import certifi
from cryptography import x509

from authstage_kit.runner import ServerThread
from authstage_kit.tls import StackTls, client_context, trust, untrust


async def _ok(scope, receive, send) -> None:  # a minimal ASGI app
    if scope["type"] == "http":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"ok"})


def test_files_names_and_bundle(tmp_path) -> None:
    tls = StackTls.create(directory=tmp_path)
    cert = x509.load_pem_x509_certificate(tls.cert_file.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert {str(ip) for ip in names.get_values_for_type(x509.IPAddress)} == {"127.0.0.1", "::1"}
    bundle = tls.bundle_file.read_text()
    assert bundle.startswith(tls.ca_file.read_text().strip()) and certifi.contents().strip()[-200:] in bundle
    assert oct(tls.key_file.stat().st_mode)[-3:] == "600"
    tls.remove()
    assert not tmp_path.exists()


def test_https_server_is_trusted_only_once_its_ca_is(tmp_path) -> None:
    import httpx

    tls = StackTls.create(directory=tmp_path)
    with ServerThread(_ok, ssl=tls.server_options()) as server:
        url = server.url.replace("http://127.0.0.1", "https://localhost")
        try:
            httpx.get(url, verify=client_context())
            raise AssertionError("an unknown CA must not be trusted")
        except httpx.ConnectError as exc:
            assert "CERTIFICATE_VERIFY_FAILED" in str(exc)
        trust(tls.ca_file)
        try:
            assert httpx.get(url, verify=client_context()).text == "ok"
        finally:
            untrust(tls.ca_file)
    assert isinstance(client_context(), ssl.SSLContext)


def test_client_certificate_for_a_clients_own_loopback_listener(tmp_path) -> None:
    """The second certificate (a client's https listener, e.g. its OAuth client ID metadata document) is the CA's too,
    for the loopback names whatever the server certificate names."""
    tls = StackTls.create(("localhost", "127.0.0.1", "::1", "stack.test"), directory=tmp_path)
    cert = x509.load_pem_x509_certificate(tls.client_cert_file.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    ca = x509.load_pem_x509_certificate(tls.ca_file.read_bytes())
    assert cert.issuer == ca.subject and oct(tls.client_key_file.stat().st_mode)[-3:] == "600"
    tls.remove()
