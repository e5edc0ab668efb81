"""The process's pool of RSA-2048 private keys, generated ahead of need.

RSA generation is the slowest thing a stack start does (~35 ms a key); the IdP takes its signing keys from this
pool and keeps them across tenants and resets (fake_idp/keys.py). `prepare(n)` generates the first `n` keys on a
daemon thread: OpenSSL releases the GIL while it generates, so a caller that prepares before importing the
services (`Stack.start`, `authstage up`) has its keys ready when the tenant is built, at no cost in wall time.
"""

from __future__ import annotations

import threading

from cryptography.hazmat.primitives.asymmetric import rsa

__all__ = ["pool_key", "prepare", "wait"]

_POOL: list[rsa.RSAPrivateKey] = []
_LOCK = threading.Lock()
_PREPARING: list[threading.Thread] = []


def pool_key(index: int) -> rsa.RSAPrivateKey:
    """The index-th RSA-2048 key of this process (generated on first use, then reused)."""
    with _LOCK:
        while len(_POOL) <= index:
            _POOL.append(rsa.generate_private_key(public_exponent=65537, key_size=2048))
        return _POOL[index]


def prepare(count: int = 2) -> None:
    """Generate the first `count` keys in the background (a tenant's current and next key: 2)."""
    with _LOCK:
        if len(_POOL) >= count:
            return
    thread = threading.Thread(target=pool_key, args=(count - 1,), name="authstage-keypool", daemon=True)
    _PREPARING.append(thread)
    thread.start()


def wait() -> None:
    """Until the keys being prepared exist and their thread is gone (before a fork: it copies no thread)."""
    while _PREPARING:
        _PREPARING.pop().join()
