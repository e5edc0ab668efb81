"""A forged-token toolkit: the attacks of RFC 8725 (JWT BCP) and the OWASP JWT cheat sheet, as real tokens.

Every forgery is built with joserfc / cryptography (real signatures, real HMACs, real JWEs, real X.509), never
a string that could not parse. `forgeries(realm)` returns them grouped by class; `send()` puts the exact header
bytes on the wire with a raw HTTP/1.1 client (httpx refuses control characters and merges nothing, but we want
duplicates, NUL bytes and folded lines to reach the server as written). Used by
`tests/fake_gateway/test_forged_tokens.py` and `tests/sample_mcp/test_forged_tokens.py`.

`kind` names what is wrong with a forgery, in the words of the gateway's authorizer checks: `missing`,
`scheme`, `duplicate`, `malformed`, `alg`, `kid`, `signature`, `crit`, `expired`, `not_yet_valid`, `claims`,
`issuer`, `audience`, `scope` (a valid token whose scopes are not RFC 6749 §3.3 scope-tokens), `transport` (the
HTTP server itself refuses the request line/headers).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID
from joserfc import jwe
from joserfc.jwk import OctKey, RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from authstage_kit.runner import ServerThread

__all__ = [
    "CLASSES",
    "AttackerSite",
    "Forgery",
    "Realm",
    "Reply",
    "b64url",
    "forgeries",
    "pinned_ring",
    "rsa_key",
    "send",
    "sign_rs256",
]

# Every forgery class, in the order `forgeries()` builds them.
CLASSES = (
    "alg-none",
    "hs256-public-key",
    "alg-other",
    "kid-other-key",
    "kid-junk",
    "embedded-key",
    "unknown-crit",
    "signature",
    "tampered-payload",
    "expiry",
    "issuer",
    "audience",
    "jwe-opaque",
    "cross-service",
    "oversized",
    "non-ascii-control",
    "bearer-scheme",
    "duplicate",
    "loose-syntax",
)

_KEYS: dict[str, RSAKey] = {}
_EC: dict[str, ec.EllipticCurvePrivateKey] = {}
_LOCK = threading.Lock()


def rsa_key(name: str) -> RSAKey:
    """One RSA-2048 key per name per process (generation is slow); kid = name."""
    with _LOCK:
        if name not in _KEYS:
            _KEYS[name] = RSAKey.generate_key(2048, parameters={"kid": name, "use": "sig", "alg": "RS256"})
        return _KEYS[name]


def pinned_ring(current: RSAKey, next_key: RSAKey) -> dict[str, Any]:
    """The IdP tenant's `keys:` section holding these two keys (so the test owns the IdP's private keys)."""

    def pem(key: RSAKey) -> str:
        raw = key.as_pem(private=True)
        return raw.decode() if isinstance(raw, bytes) else raw

    return {
        "ring": [
            {"kid": current.kid, "state": "current", "private_key_pem": pem(current)},
            {"kid": next_key.kid, "state": "next", "private_key_pem": pem(next_key)},
        ]
    }


class _SmallRsa:
    """An RSA-1024 attacker key built with cryptography (joserfc warns below 2048 bits): its JWK fits a JOSE header
    under joserfc's 512-byte limit, so an embedded-`jwk` forgery reaches the signature check."""

    def __init__(self) -> None:
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
        numbers = self.private_key.public_key().public_numbers()
        self.jwk = {
            "kty": "RSA",
            "n": b64url(numbers.n.to_bytes(128, "big")),
            "e": b64url(numbers.e.to_bytes(3, "big")),
        }


_SMALL: list[_SmallRsa] = []


def _small_rsa() -> _SmallRsa:
    with _LOCK:
        if not _SMALL:
            _SMALL.append(_SmallRsa())
        return _SMALL[0]


def _ec_key(name: str) -> ec.EllipticCurvePrivateKey:
    with _LOCK:
        if name not in _EC:
            _EC[name] = ec.generate_private_key(ec.SECP256R1())
        return _EC[name]


def b64url(data: bytes | str) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _segment(part: dict[str, Any] | bytes | str) -> str:
    """A JOSE segment: a dict is JSON-encoded; bytes are the raw JSON text; str is already encoded."""
    if isinstance(part, str):
        return part
    if isinstance(part, bytes):
        return b64url(part)
    return b64url(json.dumps(part, separators=(",", ":")))


def sign_rs256(
    key: RSAKey | _SmallRsa, header: dict[str, Any] | bytes | str, claims: dict[str, Any] | bytes | str
) -> str:
    """A compact JWS signed RS256 with `key` over exactly these segments (no library second-guessing the header)."""
    signing_input = f"{_segment(header)}.{_segment(claims)}"
    signature = key.private_key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64url(signature)}"


def _sign_ps256(key: RSAKey, header: dict[str, Any], claims: dict[str, Any]) -> str:
    signing_input = f"{_segment(header)}.{_segment(claims)}"
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
    return f"{signing_input}.{b64url(key.private_key.sign(signing_input.encode(), pss, hashes.SHA256()))}"


def _sign_es256(key: ec.EllipticCurvePrivateKey, header: dict[str, Any], claims: dict[str, Any]) -> str:
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    signing_input = f"{_segment(header)}.{_segment(claims)}"
    r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    return f"{signing_input}.{b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def _hmac(secret: bytes, header: dict[str, Any], claims: dict[str, Any], digest: Any = None) -> str:
    signing_input = f"{_segment(header)}.{_segment(claims)}"
    mac = crypto_hmac.HMAC(secret, digest or hashes.SHA256())
    mac.update(signing_input.encode())
    return f"{signing_input}.{b64url(mac.finalize())}"


def _self_signed(key: RSAKey, cn: str) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key.private_key, hashes.SHA256())
    )


@dataclass(frozen=True)
class Realm:
    """What the verifier under test trusts, and the keys the test owns.

    `key` signs the IdP's real tokens and `sibling` is a second key published in the same JWKS (Auth0's "next"
    key); both are private keys the test holds (pinned into the IdP's key ring). `neighbour_audience` is the
    audience of the other service in the chain (the upstream server, seen from the gateway, and vice versa).
    """

    issuer: str
    audience: str
    scope: str
    key: RSAKey
    sibling: RSAKey
    neighbour_audience: str
    neighbour_scope: str
    claims: dict[str, Any] = field(default_factory=dict)

    def valid_claims(self, **changes: Any) -> dict[str, Any]:
        """Claims a verifier accepts; `changes` override (a value of `...` deletes the claim)."""
        now = int(time.time())
        body: dict[str, Any] = {
            "iss": self.issuer,
            "sub": "forge-subject@clients",
            "aud": self.audience,
            "iat": now,
            "exp": now + 600,
            "scope": self.scope,
            "jti": uuid.uuid4().hex,
            **self.claims,
        }
        for name, value in changes.items():
            if value is ...:
                body.pop(name, None)
            else:
                body[name] = value
        return body

    def header(self, **changes: Any) -> dict[str, Any]:
        head: dict[str, Any] = {"alg": "RS256", "typ": "at+jwt", "kid": self.key.kid}
        for name, value in changes.items():
            if value is ...:
                head.pop(name, None)
            else:
                head[name] = value
        return head

    def valid_token(self, **claims: Any) -> str:
        return sign_rs256(self.key, self.header(), self.valid_claims(**claims))


@dataclass(frozen=True)
class Forgery:
    """One attack: the `Authorization` header lines exactly as sent (raw bytes), plus an optional query."""

    cls: str
    variant: str
    kind: str
    authorization: tuple[bytes, ...] = ()
    query: str = ""
    extra_headers: tuple[tuple[bytes, bytes], ...] = ()

    @property
    def id(self) -> str:
        return f"{self.cls}:{self.variant}"


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    reset: bool = False  # the server closed the connection without an answer

    def json(self) -> Any:
        return json.loads(self.body)


class AttackerSite:
    """An attacker's web server: a JWKS and a PEM certificate for `jku` / `x5u`. Counts every hit (must stay 0)."""

    def __init__(self) -> None:
        self.key = rsa_key("attacker-key")
        self.hits: Counter[str] = Counter()
        self.server = ServerThread(build=self._build, name="attacker-site")
        self.url = self.server.url

    def _build(self, url: str) -> Starlette:
        pem = _self_signed(self.key, "attacker.example").public_bytes(serialization.Encoding.PEM)

        async def jwks(request: Request) -> Response:
            self.hits[request.url.path] += 1
            return JSONResponse({"keys": [self.key.as_dict(private=False)]})

        async def cert(request: Request) -> Response:
            self.hits[request.url.path] += 1
            return Response(pem, media_type="application/pkix-cert")

        return Starlette(routes=[Route("/jwks.json", jwks), Route("/cert.pem", cert)])

    def __enter__(self) -> AttackerSite:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()


def _bearer(token: str | bytes) -> tuple[bytes, ...]:
    raw = token if isinstance(token, bytes) else token.encode()
    return (b"Bearer " + raw,)


def forgeries(realm: Realm, attacker: AttackerSite) -> list[Forgery]:
    """Every forgery class with several variants each, against `realm`."""
    out: list[Forgery] = []

    def add(cls: str, variant: str, kind: str, token: str | bytes | None = None, **kw: Any) -> None:
        if token is not None:
            kw.setdefault("authorization", _bearer(token))
        out.append(Forgery(cls, variant, kind, **kw))

    claims = realm.valid_claims()
    good = realm.valid_token()
    h, p, s = good.split(".")
    evil = attacker.key

    # 1. alg: none, in any case, with and without a signature (RFC 8725 §2.1, §3.1)
    for alg in ("none", "None", "NONE", "nOnE"):
        add("alg-none", f"{alg}, empty signature", "alg", f"{_segment(realm.header(alg=alg))}.{p}.")
    add(
        "alg-none",
        "none, original RS256 signature kept",
        "alg",
        f"{_segment(realm.header(alg='none'))}.{p}.{s}",
    )
    add("alg-none", "none, no kid, no signature segment", "malformed", f"{_segment({'alg': 'none'})}.{p}")
    add("alg-none", "alg missing", "alg", sign_rs256(evil, {"typ": "JWT", "kid": realm.key.kid}, claims))

    # 2. HS256 keyed with the public key (RFC 8725 §2.1 algorithm confusion)
    public = realm.key.private_key.public_key()
    spki_pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    pkcs1_pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1)
    spki_der = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    jwk_json = json.dumps(realm.key.as_dict(private=False)).encode()
    hs = realm.header(alg="HS256")
    add("hs256-public-key", "HMAC key = SPKI PEM", "alg", _hmac(spki_pem, hs, claims))
    add("hs256-public-key", "HMAC key = SPKI PEM without newline", "alg", _hmac(spki_pem.strip(), hs, claims))
    add("hs256-public-key", "HMAC key = PKCS#1 PEM", "alg", _hmac(pkcs1_pem, hs, claims))
    add("hs256-public-key", "HMAC key = SPKI DER", "alg", _hmac(spki_der, hs, claims))
    add("hs256-public-key", "HMAC key = public JWK JSON", "alg", _hmac(jwk_json, hs, claims))
    add(
        "hs256-public-key",
        "HS384 with the PEM",
        "alg",
        _hmac(spki_pem, realm.header(alg="HS384"), claims, hashes.SHA384()),
    )
    add(
        "hs256-public-key",
        "HS512 with the PEM, no kid",
        "alg",
        _hmac(spki_pem, {"alg": "HS512"}, claims, hashes.SHA512()),
    )

    # 2b. other algorithms the verifier does not accept, signed by attacker keys
    add(
        "alg-other",
        "PS256 by an attacker key with our kid",
        "alg",
        _sign_ps256(evil, realm.header(alg="PS256"), claims),
    )
    add(
        "alg-other",
        "ES256 by an attacker EC key with our kid",
        "alg",
        _sign_es256(_ec_key("attacker-ec"), realm.header(alg="ES256"), claims),
    )
    add(
        "alg-other",
        "alg in lower case (rs256)",
        "alg",
        sign_rs256(realm.key, realm.header(alg="rs256"), claims),
    )
    add("alg-other", "alg as an array", "alg", sign_rs256(realm.key, realm.header(alg=["RS256"]), claims))

    # 3. kid naming another real key of the JWKS (the signature belongs to a different key)
    add(
        "kid-other-key",
        "kid of the next key, signed by the current key",
        "signature",
        sign_rs256(realm.key, realm.header(kid=realm.sibling.kid), claims),
    )
    add(
        "kid-other-key",
        "kid of the current key, signed by the next key",
        "signature",
        sign_rs256(realm.sibling, realm.header(), claims),
    )
    add(
        "kid-other-key",
        "kid of the current key, signed by an attacker key",
        "signature",
        sign_rs256(evil, realm.header(), claims),
    )

    # 4. kid with path / SQL / URL / command junk (must be a lookup key, nothing else)
    junk = [
        ("path traversal", "../../../../../../dev/null"),
        ("absolute path", "/etc/passwd"),
        ("SQL injection", "' OR '1'='1' --"),
        ("SQL union", "x' UNION SELECT 'secret' --"),
        ("URL", f"{attacker.url}/jwks.json"),
        ("URL-encoded traversal", "%2e%2e%2f%2e%2e%2fetc%2fpasswd"),
        ("shell", "$(curl attacker)|ls;`id`"),
        ("NUL inside", realm.key.kid + "\u0000"),
        ("empty string", ""),
        ("10 KB", "k" * 10_000),
    ]
    for variant, kid in junk:
        add("kid-junk", variant, "kid", sign_rs256(evil, realm.header(kid=kid), claims))
    add("kid-junk", "kid as a number", "kid", sign_rs256(evil, realm.header(kid=1), claims))
    add(
        "kid-junk",
        "kid as a Mongo operator",
        "kid",
        sign_rs256(evil, realm.header(kid={"$ne": None}), claims),
    )
    add("kid-junk", "kid as an array", "kid", sign_rs256(evil, realm.header(kid=[realm.key.kid]), claims))

    # 5. jku / x5u / embedded jwk / x5c pointing at an attacker key (must be ignored: RFC 8725 §3.10)
    small = _small_rsa()
    evil_jwk = small.jwk
    evil_cert = _self_signed(evil, "attacker.example").public_bytes(serialization.Encoding.DER)
    jku = f"{attacker.url}/jwks.json"
    x5u = f"{attacker.url}/cert.pem"
    embedded = [
        ("jku + attacker kid", {"jku": jku, "kid": evil.kid}),
        ("jku + our kid", {"jku": jku}),
        ("x5u + attacker kid", {"x5u": x5u, "kid": evil.kid}),
        ("x5u + our kid", {"x5u": x5u}),
        ("embedded jwk, no kid", {"jwk": evil_jwk, "kid": ...}),
        ("embedded jwk + our kid", {"jwk": evil_jwk}),
        ("x5c attacker certificate", {"x5c": [base64.b64encode(evil_cert).decode()], "kid": ...}),
        (
            "jku + jwk + x5u + x5c together",
            {"jku": jku, "x5u": x5u, "jwk": evil_jwk, "x5c": [base64.b64encode(evil_cert).decode()]},
        ),
    ]
    for variant, head in embedded:
        signer = small if "jwk" in head and "x5c" not in head else evil
        add("embedded-key", variant, "signature", sign_rs256(signer, realm.header(**head), claims))

    # 6. unknown `crit` extensions, signed by the real key (RFC 7515 §4.1.11: MUST reject)
    add(
        "unknown-crit",
        "crit names an unknown extension",
        "crit",
        sign_rs256(
            realm.key,
            realm.header(crit=["urn:example:must-understand"], **{"urn:example:must-understand": True}),
            claims,
        ),
    )
    add(
        "unknown-crit",
        "crit names a registered claim (exp)",
        "crit",
        sign_rs256(realm.key, realm.header(crit=["exp"], exp=1), claims),
    )
    add(
        "unknown-crit",
        "crit names a parameter that is absent",
        "crit",
        sign_rs256(realm.key, realm.header(crit=["urn:example:absent"]), claims),
    )
    add(
        "unknown-crit",
        "crit is a string, not a list",
        "crit",
        sign_rs256(realm.key, realm.header(crit="urn:example:x", **{"urn:example:x": 1}), claims),
    )

    # 7. stripped / truncated / re-encoded signatures
    raw_sig = base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
    other_sig = realm.valid_token(sub="someone-else").split(".")[2]
    flipped = bytearray(raw_sig)
    flipped[-1] ^= 0x01
    signature_variants = [
        ("stripped (empty segment)", f"{h}.{p}."),
        ("truncated to half", f"{h}.{p}.{s[: len(s) // 2]}"),
        ("last byte flipped", f"{h}.{p}.{b64url(bytes(flipped))}"),
        ("base64 padding added", f"{h}.{p}.{s}=="),
        ("standard base64 alphabet (+/)", f"{h}.{p}.{base64.b64encode(raw_sig).decode().rstrip('=')}"),
        ("hex instead of base64url", f"{h}.{p}.{raw_sig.hex()}"),
        ("signature of another token", f"{h}.{p}.{other_sig}"),
        ("all zero bytes", f"{h}.{p}.{b64url(bytes(len(raw_sig)))}"),
        ("space inside", f"{h}.{p}.{s[:20]} {s[20:]}"),
    ]
    for variant, token in signature_variants:
        add("signature", variant, "signature", token)
    add("signature", "no signature segment", "malformed", f"{h}.{p}")

    # 8. tampered payload under the original signature
    for variant, changed in (
        ("scope elevated", {"scope": realm.scope + " admin:all"}),
        ("subject swapped", {"sub": "admin"}),
        ("exp extended by a year", {"exp": claims["exp"] + 31_536_000}),
        ("extra claim added", {"role": "admin"}),
    ):
        add("tampered-payload", variant, "signature", f"{h}.{_segment({**claims, **changed})}.{s}")
    add(
        "tampered-payload",
        "same claims, pretty-printed JSON",
        "signature",
        f"{h}.{b64url(json.dumps(claims, indent=1))}.{s}",
    )

    # 9. exp / nbf, signed by the real key
    now = int(time.time())
    expiry = [
        ("expired an hour ago", {"exp": now - 3600, "iat": now - 7200}, "expired"),
        ("expired two minutes ago", {"exp": now - 120, "iat": now - 720}, "expired"),
        ("not valid for another hour (nbf)", {"nbf": now + 3600}, "not_yet_valid"),
        ("no exp", {"exp": ...}, "claims"),
        ("exp as a string", {"exp": str(now + 600)}, "claims"),
        ("exp null", {"exp": None}, "claims"),
        ("exp as a boolean", {"exp": True}, "claims"),
        ("exp at the start of time", {"exp": -(10**30)}, "claims"),  # no calendar holds it (RFC 7519 §2)
        ("nbf at the end of time", {"nbf": 10**30}, "claims"),
    ]
    for variant, changes, kind in expiry:
        add("expiry", variant, kind, realm.valid_token(**changes))
    nan = json.dumps(realm.valid_claims(exp="@")).replace('"@"', "NaN").encode()
    add("expiry", "exp NaN (not JSON)", "claims", sign_rs256(realm.key, realm.header(), nan))
    inf = json.dumps(realm.valid_claims(exp="@")).replace('"@"', "Infinity").encode()
    add("expiry", "exp Infinity (not JSON)", "claims", sign_rs256(realm.key, realm.header(), inf))

    # 10. iss variants, signed by the real key
    parts = urlsplit(realm.issuer)
    other_host = f"{parts.scheme}://{parts.hostname}.evil.example:{parts.port or 80}/"
    issuers = [
        ("trailing slash removed", realm.issuer.rstrip("/")),
        ("trailing slash doubled", realm.issuer.rstrip("/") + "//"),
        ("upper-case host", realm.issuer.upper()),
        ("https instead of http", realm.issuer.replace("http://", "https://", 1)),
        ("other tenant", other_host),
        ("localhost for 127.0.0.1", realm.issuer.replace("127.0.0.1", "localhost")),
        ("as an array", [realm.issuer]),
        ("missing", ...),
    ]
    for variant, iss in issuers:
        add("issuer", variant, "issuer", realm.valid_token(iss=iss))

    # 11. aud variants, signed by the real key
    audiences = [
        ("missing", ...),
        ("array without ours", ["https://other.example/mcp", realm.neighbour_audience]),
        ("prefix of ours", realm.audience[:-1]),
        ("ours + trailing slash", realm.audience + "/"),
        ("ours + suffix", realm.audience + "x"),
        ("upper-case", realm.audience.upper()),
        ("empty string", ""),
        ("empty array", []),
        ("the issuer", realm.issuer),
        ("an object", {"aud": realm.audience}),
    ]
    for variant, aud in audiences:
        add("audience", variant, "audience", realm.valid_token(aud=aud))

    # 12. JWE and opaque tokens
    plaintext = json.dumps(claims).encode()
    encryption_key = RSAKey.import_key(
        {k: v for k, v in realm.key.as_dict(private=False).items() if k not in ("use", "alg")}
    )
    encrypted = jwe.encrypt_compact(
        {"alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": realm.key.kid},
        plaintext,
        encryption_key,
        algorithms=["RSA-OAEP-256", "A256GCM"],
    )
    direct = jwe.encrypt_compact(
        {"alg": "dir", "enc": "A256GCM"}, plaintext, OctKey.generate_key(256), algorithms=["dir", "A256GCM"]
    )
    add("jwe-opaque", "JWE (RSA-OAEP-256) of valid claims to our key", "malformed", encrypted)
    add("jwe-opaque", "Auth0-style dir/A256GCM JWE", "malformed", direct)
    add("jwe-opaque", "32-char opaque string", "malformed", "Xq3bM0kDsW1tLrQ8cJvYzN5aPfE2gHuT")
    add("jwe-opaque", "UUID", "malformed", str(uuid.uuid4()))
    add("jwe-opaque", "JSON claims, not base64", "malformed", json.dumps(claims, separators=(",", ":")))

    # 13. a token for the other service of the chain (audience confusion / passthrough)
    add(
        "cross-service",
        "token for the neighbour, signed by the real key",
        "audience",
        realm.valid_token(aud=realm.neighbour_audience, scope=realm.neighbour_scope),
    )
    add(
        "cross-service",
        "neighbour audience with our scope",
        "audience",
        realm.valid_token(aud=realm.neighbour_audience),
    )
    add(
        "cross-service",
        "neighbour audience in an array",
        "audience",
        realm.valid_token(aud=[realm.neighbour_audience], scope=f"{realm.scope} {realm.neighbour_scope}"),
    )

    # 14. oversized tokens and headers (below the HTTP server's own buffer)
    for size in (16_000, 64_000):
        add(
            "oversized",
            f"{size // 1000} KB claim, forged signature",
            "signature",
            sign_rs256(evil, realm.header(), realm.valid_claims(pad="x" * size)),
        )
    add("oversized", "8 KB JOSE header", "signature", sign_rs256(evil, realm.header(pad="h" * 8000), claims))
    add("oversized", "100 KB of dots", "malformed", "." * 100_000)
    deep = json.dumps(claims)[:-1].encode() + b', "x": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    add("oversized", "claims nested 5000 deep", "malformed", sign_rs256(evil, realm.header(), deep))
    add(
        "oversized",
        "a valid token plus 40 KB of other headers",
        "signature",
        sign_rs256(evil, realm.header(), claims),
        extra_headers=tuple((f"X-Pad-{i}".encode(), b"p" * 1000) for i in range(40)),
    )

    # 15. non-ASCII and control characters
    head, rest = good[:30], good[30:]
    add("non-ascii-control", "UTF-8 é inside the token", "malformed", (head + "é" + rest).encode())
    add("non-ascii-control", "latin-1 byte 0xff inside", "malformed", head.encode() + b"\xff" + rest.encode())
    add("non-ascii-control", "zero-width space inside", "malformed", (head + "\u200b" + rest).encode())
    add("non-ascii-control", "control byte 0x01 inside", "malformed", head.encode() + b"\x01" + rest.encode())
    add("non-ascii-control", "DEL 0x7f inside", "malformed", head.encode() + b"\x7f" + rest.encode())
    add("non-ascii-control", "tab inside", "malformed", head.encode() + b"\t" + rest.encode())
    add(
        "non-ascii-control",
        "Cyrillic 'Веarer' scheme",
        "scheme",
        authorization=("Веarer ".encode() + good.encode(),),
    )
    add("non-ascii-control", "NUL inside", "transport", head.encode() + b"\x00" + rest.encode())
    add("non-ascii-control", "bare CR inside", "transport", head.encode() + b"\r" + rest.encode())

    # 16. Bearer scheme variants (a valid token in the wrong place or under the wrong scheme)
    schemes = [
        (
            "Basic with client id:secret",
            b"Basic " + base64.b64encode(b"client:demo-secret-not-for-production"),
            "scheme",
        ),
        ("Token scheme", b"Token " + good.encode(), "scheme"),
        ("JWT scheme", b"JWT " + good.encode(), "scheme"),
        ("DPoP scheme", b"DPoP " + good.encode(), "scheme"),
        ("no scheme", good.encode(), "scheme"),
        ("Bearer: with a colon", b"Bearer:" + good.encode(), "scheme"),
        ("Bearer= with an equals sign", b"Bearer=" + good.encode(), "scheme"),
        ("Bearer<TAB>token", b"Bearer\t" + good.encode(), "scheme"),
        ("Bearer with no token", b"Bearer", "scheme"),
        ("Bearer and spaces", b"Bearer    ", "scheme"),
        ("token followed by junk", b"Bearer " + good.encode() + b" junk", "malformed"),
        (
            "two tokens comma-separated",
            b"Bearer " + good.encode() + b", Bearer " + good.encode(),
            "malformed",
        ),
    ]
    for variant, value, kind in schemes:
        add("bearer-scheme", variant, kind, authorization=(value,))
    add("bearer-scheme", "token in the query string only", "missing", query=f"access_token={good}")
    add(
        "bearer-scheme",
        "token in Proxy-Authorization only",
        "missing",
        extra_headers=((b"Proxy-Authorization", b"Bearer " + good.encode()),),
    )
    add(
        "bearer-scheme",
        "token in a cookie only",
        "missing",
        extra_headers=((b"Cookie", b"access_token=" + good.encode()),),
    )

    # 17. duplicate Authorization headers (RFC 9110 §5.3: Authorization is not a list)
    forged = sign_rs256(evil, realm.header(), claims).encode()
    add(
        "duplicate",
        "forged then valid",
        "duplicate",
        authorization=(b"Bearer " + forged, b"Bearer " + good.encode()),
    )
    add(
        "duplicate",
        "valid then forged",
        "duplicate",
        authorization=(b"Bearer " + good.encode(), b"Bearer " + forged),
    )
    add(
        "duplicate",
        "the same valid token twice",
        "duplicate",
        authorization=(b"Bearer " + good.encode(),) * 2,
    )
    add(
        "duplicate",
        "valid bearer then Basic",
        "duplicate",
        authorization=(b"Bearer " + good.encode(), b"Basic Zm9vOmJhcg=="),
    )

    # 18. syntax a permissive parser lets through, signed by the real key (authstage_kit.jwtsyntax)
    add("loose-syntax", "crit: [] (RFC 7515 §4.1.11: MUST NOT be empty)", "crit", sign_rs256(realm.key, realm.header(crit=[]), claims))
    for name, separator in (("TAB", "\t"), ("LF", "\n"), ("NBSP", "\u00a0"), ("unit separator 0x1f", "\x1f")):
        add("loose-syntax", f"scopes joined by {name}", "scope", realm.valid_token(scope=f"{realm.scope}{separator}extra"))
    for name, member in (("a number", 1), ("null", None), ("an object", {"x": 1})):
        add("loose-syntax", f"aud array with {name}", "audience", realm.valid_token(aud=[realm.audience, member]))
    now = int(time.time())
    for name, changes in (
        ("exp 2**64", {"exp": 2**64}),
        ("exp 1e300", {"exp": 1e300}),
        ("iat before 1970", {"iat": -1}),
        ("nbf in the year 10000", {"nbf": 253_402_300_800, "exp": now + 600}),
    ):
        add("loose-syntax", name, "claims", realm.valid_token(**changes))
    return out


def _read_reply(sock: socket.socket, timeout: float) -> Reply:
    sock.settimeout(timeout)
    data = bytearray()
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data.extend(chunk)
    except ConnectionResetError:
        if not data:
            return Reply(0, {}, b"", reset=True)
    head, _, body = bytes(data).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    if not lines or not lines[0].startswith("HTTP/1.1 "):
        return Reply(0, {}, bytes(data), reset=True)
    status = int(lines[0].split()[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        decoded = bytearray()
        rest = body
        while rest:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line.split(b";")[0] or b"0", 16)
            if size == 0:
                break
            decoded.extend(rest[:size])
            rest = rest[size + 2 :]
        body = bytes(decoded)
    elif "content-length" in headers:
        body = body[: int(headers["content-length"])]
    return Reply(status, headers, body)


def send(
    url: str,
    forgery: Forgery,
    body: dict[str, Any],
    *,
    timeout: float = 10.0,
    headers: dict[str, str] | None = None,
) -> Reply:
    """POST `body` (JSON) to `url` with the forgery's header lines written byte for byte; one connection."""
    parts = urlsplit(url)
    payload = json.dumps(body).encode()
    path = parts.path + (f"?{forgery.query}" if forgery.query else "")
    lines = [
        f"POST {path} HTTP/1.1".encode(),
        f"Host: {parts.netloc}".encode(),
        b"Connection: close",
        b"Content-Type: application/json",
        b"Accept: application/json, text/event-stream",
        f"Content-Length: {len(payload)}".encode(),
        *(f"{k}: {v}".encode() for k, v in (headers or {}).items()),
        *(b"Authorization: " + value for value in forgery.authorization),
        *(name + b": " + value for name, value in forgery.extra_headers),
    ]
    request = b"\r\n".join(lines) + b"\r\n\r\n" + payload
    with socket.create_connection((parts.hostname, parts.port or 80), timeout=timeout) as sock:
        try:
            sock.sendall(request)
        except (BrokenPipeError, ConnectionResetError):
            return Reply(0, {}, b"", reset=True)
        return _read_reply(sock, timeout)


def by_class(items: list[Forgery]) -> Iterator[tuple[str, list[Forgery]]]:
    seen: dict[str, list[Forgery]] = {}
    for item in items:
        seen.setdefault(item.cls, []).append(item)
    yield from seen.items()
