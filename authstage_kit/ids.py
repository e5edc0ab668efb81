"""Ids and secrets every service mints: random, or from the service's seeded PRNG (moto's ``moto_random`` idea).

A service whose config sets a seed serves each request with ``seeded(rng)`` in force (the control plane's
middleware does it), so codes, token ids, DCR client ids and session ids repeat run after run — scenarios
can assert exact values. Without a seed every id comes from :mod:`secrets`.
"""

from __future__ import annotations

import contextvars
import random
import secrets
import string
import uuid

__all__ = ["ALNUM", "URLSAFE", "current", "random_string", "reset", "seeded", "token_hex", "token_urlsafe", "uuid4"]

ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"

# The PRNG of the request being served when its service is seeded; None = cryptographically random ids.
_SEEDED: contextvars.ContextVar[random.Random | None] = contextvars.ContextVar("authstage_ids", default=None)


def seeded(rng: random.Random | None) -> contextvars.Token[random.Random | None]:
    """Serve what follows (this task and the tasks it starts) with ``rng``; undo with ``_SEEDED.reset(token)``."""
    return _SEEDED.set(rng)


def reset(token: contextvars.Token[random.Random | None]) -> None:
    _SEEDED.reset(token)


def current() -> random.Random | None:
    return _SEEDED.get()


def random_string(n: int, alphabet: str = ALNUM) -> str:
    rng = _SEEDED.get()
    if rng is None:
        return _secure_string(n, alphabet)
    return "".join(rng.choice(alphabet) for _ in range(n))


def _secure_string(n: int, alphabet: str) -> str:
    """`n` characters drawn uniformly from `alphabet` (at most 256) out of one `secrets.token_bytes` read: a byte
    below the largest multiple of the alphabet's size picks ``alphabet[byte % size]``, the others are drawn again
    (rejection sampling, so no character is likelier than another). `secrets.choice` per character is the same
    distribution at one ``getrandom`` call per character, 5x the time of a token's jti."""
    size = len(alphabet)
    limit = 256 - 256 % size
    chars: list[str] = []
    while len(chars) < n:
        chars.extend(alphabet[b % size] for b in secrets.token_bytes(n - len(chars) + 8) if b < limit)
    return "".join(chars[:n])


def token_urlsafe(nbytes: int) -> str:
    """Like :func:`secrets.token_urlsafe` (the same length), seeded when the service is."""
    return random_string(-(-nbytes * 4 // 3), URLSAFE)


def token_hex(nbytes: int) -> str:
    return random_string(nbytes * 2, "0123456789abcdef")


def uuid4() -> str:
    rng = _SEEDED.get()
    return str(uuid.uuid4() if rng is None else uuid.UUID(int=rng.getrandbits(128), version=4))
