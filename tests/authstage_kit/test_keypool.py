"""The RSA key pool (authstage_kit/keypool.py): keys generated ahead on a thread are the ones handed out."""

from __future__ import annotations

import time

from cryptography.hazmat.primitives.asymmetric import rsa

from authstage_kit import keypool


def test_prepared_keys_are_the_pool_keys() -> None:
    keypool.prepare(3)
    deadline = time.monotonic() + 30
    while len(keypool._POOL) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    keys = [keypool.pool_key(i) for i in range(3)]
    assert keys == keypool._POOL[:3] and all(isinstance(k, rsa.RSAPrivateKey) for k in keys)
    assert keys[0].key_size == 2048 and len({id(k) for k in keys}) == 3
    assert keypool.pool_key(1) is keys[1]  # reused, not regenerated
    keypool.prepare(2)  # already there: nothing to do
