"""authstage's emulator kernel: what the three services and the harness share, and nothing they own.

One module per concept (Starlette's layout): ``clock`` (a service's skewable clock), ``merge`` (RFC 7396 JSON merge
patch), ``redact`` (the one secret list and redaction by key and by value), ``reqlog`` (the capped request log and
its ASGI middleware), ``control`` (the ``/_authstage/`` control plane every service serves, with its safety
guards), ``ids`` (seeded ids, moto_random's idea), ``runner`` (sockets and uvicorn), ``jwks`` (the discovery +
JWKS cache both token verifiers use), ``errors`` (the kernel's exceptions and the control plane's one error shape).

The kernel imports none of ``fake_idp``, ``fake_gateway``, ``sample_mcp`` or ``harness``; they import it.
There are no re-exports: the module path is the API (``from authstage_kit.clock import Clock``).
"""

__all__: list[str] = []
