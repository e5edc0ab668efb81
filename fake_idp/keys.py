"""The tenant signing-key ring and ``/.well-known/jwks.json`` (RFC 7517; Auth0 signing keys, sheet §1.4).

Auth0 publishes the current and the next key, plus the previous key until it is revoked, and signs with
the current key only. Each key carries a self-signed X.509 certificate with ``CN=<tenant domain>`` in
``x5c`` and its base64url SHA-1 thumbprint in ``x5t``; newer tenants use a random 21-character ``kid``.
RSA generation is slow, so private keys come from the process's pool (authstage_kit.keypool) and are reused
across tenants.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import json
import secrets
import string
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from joserfc import jwt
from joserfc.jwk import RSAKey

from authstage_kit.keypool import pool_key
from fake_idp.tenant import Keys, KeySpec

__all__ = ["SIGNED_MEMO", "KeyRing", "KeyRingError", "KeyState", "SigningKey", "pool_key", "random_kid"]

KeyState = Literal["current", "next", "previous", "revoked"]
SIGNED_MEMO = 128  # distinct RS256 tokens each key remembers (SigningKey.encode)
_ALNUM = string.ascii_letters + string.digits
_CERTS: dict[tuple[int, str], bytes] = {}  # (pool index, domain) -> DER: a pool key's certificate, made once
_CERTS_LOCK = threading.Lock()


class KeyRingError(ValueError):
    """A rotate/revoke request the ring cannot honour (e.g. revoking the current key)."""


def _pool_cert(index: int, key: rsa.RSAPrivateKey, domain: str) -> bytes:
    """The certificate of the index-th pool key for `domain`, made on first use: the key is shared by every tenant
    of the process already (`pool_key`), and signing a certificate costs ~8 ms a key, twice per tenant."""
    with _CERTS_LOCK:
        if (index, domain) not in _CERTS:
            _CERTS[(index, domain)] = _self_signed_cert(key, domain).public_bytes(serialization.Encoding.DER)
        return _CERTS[(index, domain)]


def random_kid() -> str:
    """A 21-character kid like ``3oX3IvZqbsWl6M7FLkIp9`` (CAPTURE agerpoint JWKS)."""
    return "".join(secrets.choice(_ALNUM) for _ in range(21))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _self_signed_cert(key: rsa.RSAPrivateKey, domain: str) -> x509.Certificate:
    """Shape of Auth0's certs (decoded from captured x5c): CN=domain, ~14 years, CA:TRUE, KU certSign+digSig."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domain)])
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    serial = int.from_bytes(secrets.token_bytes(9), "big") >> 1 or 1
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=5000))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    )
    return builder.sign(key, hashes.SHA256())


@dataclass
class SigningKey:
    kid: str
    private_key: rsa.RSAPrivateKey
    cert_der: bytes
    state: KeyState
    x5t: str = ""
    jose: RSAKey = field(init=False)
    _signed: OrderedDict[str, str] = field(init=False, repr=False, default_factory=OrderedDict)
    _signed_lock: threading.Lock = field(init=False, repr=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if not self.x5t:
            self.x5t = _b64url(hashlib.sha1(self.cert_der).digest())
        # Built from the key object directly: a PEM round-trip re-validates the RSA key (~30 ms).
        self.jose = RSAKey(self.private_key, self.private_key, {"kid": self.kid})

    def encode(self, header: dict[str, Any], claims: dict[str, Any], alg: str) -> str:
        """The compact JWS of ``claims`` under ``header`` (joserfc), signed with this key.

        An RS256 signature (RSASSA-PKCS1-v1_5) is a function of the key and the signing input, so the last
        `SIGNED_MEMO` distinct (header, claims) pairs this key signed are remembered and served again byte for byte:
        the same client asking for the same audience and scopes within one second gets the very token a fresh
        signature would make (Auth0's default profile carries no ``jti``), without the ~0.3 ms RSA operation.
        PS256 is randomized and always signed afresh.
        """
        if alg != "RS256":
            return jwt.encode(header, claims, self.jose, algorithms=[alg], default_type=None)
        try:
            memo = json.dumps([header, claims], separators=(",", ":"), allow_nan=False)
        except (TypeError, ValueError):  # not JSON: joserfc says why
            return jwt.encode(header, claims, self.jose, algorithms=[alg], default_type=None)
        with self._signed_lock:
            token = self._signed.get(memo)
            if token is not None:
                self._signed.move_to_end(memo)
                return token
        token = jwt.encode(header, claims, self.jose, algorithms=[alg], default_type=None)
        with self._signed_lock:
            self._signed[memo] = token
            if len(self._signed) > SIGNED_MEMO:
                self._signed.popitem(last=False)
        return token

    @functools.cached_property
    def _public(self) -> tuple[str, str, str]:
        """n, e and the base64 certificate: computed once per key, not per JWKS request."""
        pub = self.jose.as_dict(private=False)
        return str(pub["n"]), str(pub["e"]), base64.b64encode(self.cert_der).decode("ascii")

    def jwk(self, *, include_alg: bool, kid: str | None = None) -> dict[str, Any]:
        """Public JWK in Auth0's key order: kty, use, n, e, kid, x5t, x5c, alg."""
        n, e, x5c = self._public
        out: dict[str, Any] = {
            "kty": "RSA",
            "use": "sig",
            "n": n,
            "e": e,
            "kid": kid or self.kid,
            "x5t": self.x5t,
            "x5c": [x5c],
        }
        if include_alg:
            out["alg"] = "RS256"
        return out


class KeyRing:
    """Current / next / previous keys plus the last three revoked (DOC revoke-signing-keys.mdx)."""

    def __init__(self, config: Keys, domain: str) -> None:
        self._lock = threading.RLock()
        self.domain = domain
        self.config = config
        self._pool_next = 0
        self.keys: list[SigningKey] = []
        self.revoked: list[SigningKey] = []
        for spec in config.ring or [KeySpec(state="current"), KeySpec(state="next")]:
            self.keys.append(self._make(spec.state, spec.kid, spec.private_key_pem))
        if not any(k.state == "next" for k in self.keys):
            self.keys.append(self._make("next"))

    def _make(self, state: KeyState, kid: str | None = None, pem: str | None = None) -> SigningKey:
        if pem:
            loaded = serialization.load_pem_private_key(pem.encode(), password=None)
            if not isinstance(loaded, rsa.RSAPrivateKey):
                raise KeyRingError("keys.ring private_key_pem must be an RSA private key")
            priv = loaded
            der = _self_signed_cert(priv, self.domain).public_bytes(serialization.Encoding.DER)
        else:
            priv = pool_key(self._pool_next)
            der = _pool_cert(self._pool_next, priv, self.domain)
            self._pool_next += 1
        x5t = _b64url(hashlib.sha1(der).digest())
        if kid is None:
            if self.config.kid_style == "thumbprint_hex":
                # DOC json-web-key-set-properties.mdx: kid == x5t == base64 of the uppercase hex SHA-1.
                kid = base64.b64encode(hashlib.sha1(der).hexdigest().upper().encode()).decode().rstrip("=")
                x5t = kid
            else:
                kid = random_kid()
        return SigningKey(kid=kid, private_key=priv, cert_der=der, state=state, x5t=x5t)

    def clone(self) -> KeyRing:
        """An independent ring with the same keys and states (used to restore the creation-time ring on reset)."""
        twin = KeyRing.__new__(KeyRing)
        twin._lock = threading.RLock()
        twin.domain, twin.config, twin._pool_next = self.domain, self.config, self._pool_next
        with self._lock:
            copy = {
                id(k): SigningKey(
                    kid=k.kid, private_key=k.private_key, cert_der=k.cert_der, state=k.state, x5t=k.x5t
                )
                for k in [*self.keys, *self.revoked]
            }
            twin.keys = [copy[id(k)] for k in self.keys]
            twin.revoked = [copy[id(k)] for k in self.revoked]
        return twin

    # State -----------------------------------------------------------------------------------------------

    def by_state(self, state: str) -> SigningKey | None:
        return next((k for k in self.keys if k.state == state), None)

    @property
    def current(self) -> SigningKey:
        key = self.by_state("current")
        assert key is not None, "a key ring always has a current key"
        return key

    def rotate(self, *, revoke_previous: bool = False) -> dict[str, Any]:
        """Auth0 ``POST /api/v2/keys/signing/rotate``: next -> current, current -> previous, new next."""
        with self._lock:
            old_prev = self.by_state("previous")
            if old_prev is not None:
                self._revoke(old_prev)
            cur = self.current
            nxt = self.by_state("next") or self._make("next")
            if nxt not in self.keys:
                self.keys.append(nxt)
            cur.state = "previous"
            nxt.state = "current"
            self.keys.append(self._make("next"))
            if revoke_previous:
                self._revoke(cur)
            self.keys.sort(key=lambda k: {"current": 0, "next": 1, "previous": 2}.get(k.state, 3))
            return self.describe()

    def revoke(self, kid: str | None = None) -> dict[str, Any]:
        """Auth0 ``PUT /api/v2/keys/signing/{kid}/revoke``: only a previous (or next) key can be revoked."""
        with self._lock:
            target = (
                self.by_state("previous")
                if kid is None
                else next((k for k in self.keys if k.kid == kid), None)
            )
            if target is None:
                raise KeyRingError("no such key to revoke" if kid else "there is no previous key to revoke")
            if target.state == "current":
                raise KeyRingError("the current signing key cannot be revoked; rotate first")
            self._revoke(target)
            if target.state == "revoked" and not self.by_state("next"):
                self.keys.append(self._make("next"))
            return self.describe()

    def _revoke(self, key: SigningKey) -> None:
        key.state = "revoked"
        if key in self.keys:
            self.keys.remove(key)
        self.revoked = ([key, *self.revoked])[:3]

    def describe(self) -> dict[str, Any]:
        return {
            "keys": [{"kid": k.kid, "state": k.state, "x5t": k.x5t} for k in self.keys],
            "revoked": [{"kid": k.kid, "x5t": k.x5t} for k in self.revoked],
        }

    # Publishing and verifying ----------------------------------------------------------------------------

    def published(self, key_rotation: str) -> list[SigningKey]:
        """Keys in the JWKS, Auth0 order (current, next, previous). ``serve_next_only`` hides the current key."""
        with self._lock:
            keys = list(self.keys)
        if key_rotation == "serve_next_only":
            return [k for k in keys if k.state == "next"]
        return keys

    def jwks(self, *, key_rotation: str, kid_mode: str) -> dict[str, Any]:
        keys = self.published(key_rotation)
        out = []
        for key in keys:
            kid = None
            if kid_mode == "duplicate_kid" and key.state == "next":
                kid = self.current.kid  # two keys under one kid: validators pick the wrong one
            out.append(key.jwk(include_alg=self.config.include_alg, kid=kid))
        return {"keys": out}
