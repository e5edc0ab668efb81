"""/.well-known/jwks.json, the key ring (rotate/revoke) and the kid/JWKS faults, checked with PyJWT + cryptography."""

from __future__ import annotations

import base64
import hashlib
import re
import time

import jwt
import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from fake_idp.keys import KeyRing
from fake_idp.tenant import Keys
from tests.fake_idp.conftest import Idp, header_of


def _jwks(idp: Idp) -> dict:
    return idp.http.get("/.well-known/jwks.json").json()


def test_jwks_has_current_and_next_in_auth0_shape(idp: Idp) -> None:
    keys = _jwks(idp)["keys"]
    assert len(keys) == 2
    for k in keys:
        assert list(k) == ["kty", "use", "n", "e", "kid", "x5t", "x5c", "alg"]
        assert k["kty"] == "RSA" and k["use"] == "sig" and k["alg"] == "RS256" and k["e"] == "AQAB"
        assert re.fullmatch(r"[A-Za-z0-9]{21}", k["kid"])
        der = base64.b64decode(k["x5c"][0])
        assert k["x5t"] == base64.urlsafe_b64encode(hashlib.sha1(der).digest()).rstrip(b"=").decode()
        assert k["x5t"] != k["kid"] and len(k["x5t"]) == 27
        cert = x509.load_der_x509_certificate(der)
        assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "127.0.0.1"
        assert cert.issuer == cert.subject
        assert (cert.not_valid_after_utc - cert.not_valid_before_utc).days > 365 * 13
        n = int.from_bytes(base64.urlsafe_b64decode(k["n"] + "=="), "big")
        assert cert.public_key().public_numbers().n == n  # type: ignore[union-attr]
    token = idp.cc().json()["access_token"]
    assert header_of(token)["kid"] == keys[0]["kid"]  # only the current key signs


def test_domain_sets_the_certificate_cn_and_alg_toggle(idp: Idp) -> None:
    idp.patch({"domain": "authstage.us.auth0.com", "keys": {"include_alg": False}})
    k = _jwks(idp)["keys"][0]
    assert "alg" not in k
    cert = x509.load_der_x509_certificate(base64.b64decode(k["x5c"][0]))
    assert cert.subject.rfc4514_string() == "CN=authstage.us.auth0.com"


def test_thumbprint_kid_style_of_older_tenants(idp: Idp) -> None:
    idp.patch({"keys": {"kid_style": "thumbprint_hex"}})
    k = _jwks(idp)["keys"][0]
    der = base64.b64decode(k["x5c"][0])
    assert k["kid"] == k["x5t"]
    assert base64.b64decode(k["kid"] + "==").decode() == hashlib.sha1(der).hexdigest().upper()


def test_rotation_with_overlap_keeps_old_tokens_valid(idp: Idp) -> None:
    old = idp.cc().json()["access_token"]
    before = [k["kid"] for k in _jwks(idp)["keys"]]
    r = idp.http.post("/_authstage/keys/rotate", json={})
    assert r.status_code == 200
    after = [k["kid"] for k in _jwks(idp)["keys"]]
    assert after[0] == before[1] and after[2] == before[0] and len(after) == 3  # current, next, previous
    assert idp.verify(old)["sub"].endswith("@clients")
    new = idp.cc().json()["access_token"]
    assert header_of(new)["kid"] == before[1]
    r = idp.http.post("/_authstage/keys/revoke", json={})
    assert r.status_code == 200 and len(_jwks(idp)["keys"]) == 2
    with pytest.raises(jwt.PyJWKClientError, match="Unable to find a signing key"):
        idp.verify(old)
    assert idp.http.post("/_authstage/keys/revoke", json={}).status_code == 400  # no previous key left


def test_rotate_and_revoke_without_overlap_breaks_cached_validators(idp: Idp) -> None:
    idp.patch({"faults": {"key_rotation": "rotate_and_revoke_no_overlap"}})
    old = idp.cc().json()["access_token"]
    idp.control.rotate_keys()
    assert len(_jwks(idp)["keys"]) == 2
    with pytest.raises(jwt.PyJWKClientError):
        idp.verify(old)  # F-13


def test_serve_next_only_signs_with_an_unpublished_key(idp: Idp) -> None:
    idp.patch({"faults": {"key_rotation": "serve_next_only"}})
    token = idp.cc().json()["access_token"]
    kids = [k["kid"] for k in _jwks(idp)["keys"]]
    assert header_of(token)["kid"] not in kids and len(kids) == 1


def test_revoking_the_current_key_is_refused(idp: Idp) -> None:
    kid = _jwks(idp)["keys"][0]["kid"]
    r = idp.http.post("/_authstage/keys/revoke", json={"kid": kid})
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"
    assert idp.http.post("/_authstage/keys/revoke", json={"kid": 5}).status_code == 400
    assert idp.http.post("/_authstage/keys/rotate", json={"revoke_previous": "yes"}).status_code == 400


@pytest.mark.parametrize(
    ("mode", "check"),
    [
        ("omit_kid", lambda h, kids: "kid" not in h),
        ("unknown_kid", lambda h, kids: h["kid"] not in kids and len(h["kid"]) == 21),
        ("duplicate_kid", lambda h, kids: kids.count(h["kid"]) == 2),
    ],
)
def test_kid_faults(idp: Idp, mode: str, check) -> None:  # type: ignore[no-untyped-def]
    idp.patch({"faults": {"jwks_kid_mode": mode}})
    token = idp.cc().json()["access_token"]
    kids = [k["kid"] for k in _jwks(idp)["keys"]]
    assert check(header_of(token), kids)
    if mode == "unknown_kid":
        with pytest.raises(jwt.PyJWKClientError, match="Unable to find a signing key"):
            idp.verify(token)  # "Failed to get key with kid" (ring-jwt#9)


def test_jwks_http_faults(idp: Idp) -> None:
    idp.patch({"faults": {"jwks_fault": "http_500"}})
    r = idp.http.get("/.well-known/jwks.json")
    assert r.status_code == 500 and r.json()["statusCode"] == 500
    idp.patch({"faults": {"jwks_fault": "http_429"}})
    r = idp.http.get("/.well-known/jwks.json")
    assert r.status_code == 429 and r.headers["retry-after"] == "1"
    idp.patch({"faults": {"jwks_fault": "empty_keys"}})
    assert idp.http.get("/.well-known/jwks.json").json() == {"keys": []}
    token = idp.cc().json()["access_token"]
    with pytest.raises(jwt.PyJWKSetError, match="did not contain any keys"):
        idp.verify(token)  # "The JWKS endpoint did not contain any signing keys" (node-jwks-rsa#373)
    idp.patch({"faults": {"jwks_fault": "html"}})
    r = idp.http.get("/.well-known/jwks.json")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")


def test_jwks_slow_and_recovering_faults(idp: Idp) -> None:
    idp.patch({"faults": {"jwks_fault": "slow", "jwks_slow_ms": 300}})
    t0 = time.perf_counter()
    assert idp.http.get("/.well-known/jwks.json").status_code == 200
    assert time.perf_counter() - t0 >= 0.3
    idp.control.reset()
    idp.patch({"faults": {"jwks_fault": "http_500", "jwks_fault_times": 2}})
    codes = [idp.http.get("/.well-known/jwks.json").status_code for _ in range(3)]
    assert codes == [500, 500, 200]


def test_key_ring_unit_states() -> None:
    ring = KeyRing(Keys(), "example.test")
    assert [k.state for k in ring.keys] == ["current", "next"]
    ring.rotate()
    ring.rotate()
    assert [k.state for k in ring.keys] == ["current", "next", "previous"]
    assert len(ring.revoked) == 1
    described = ring.describe()
    assert described["revoked"][0]["kid"] == ring.revoked[0].kid


def test_key_ring_from_supplied_pem() -> None:
    from cryptography.hazmat.primitives import serialization

    from fake_idp.keys import pool_key

    pem = (
        pool_key(0)
        .private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        .decode()
    )
    ring = KeyRing(
        Keys.model_validate({"ring": [{"state": "current", "kid": "fixed-kid", "private_key_pem": pem}]}),
        "x.test",
    )
    assert ring.current.kid == "fixed-kid" and [k.state for k in ring.keys] == ["current", "next"]


def test_a_remembered_rs256_token_is_the_token_a_fresh_signature_makes(idp: Idp) -> None:
    """SigningKey.encode remembers identical RS256 tokens (RSASSA-PKCS1-v1_5 is deterministic): the bytes are
    those a fresh signature gives, they verify with PyJWT, and a rotated key never serves its predecessor's."""
    from joserfc import jwt as jose_jwt

    from fake_idp.keys import SIGNED_MEMO

    idp.patch_api(token_dialect="access_token")  # Auth0's default profile: no jti
    idp.control.clock.freeze()
    first, again = idp.cc().json()["access_token"], idp.cc().json()["access_token"]
    assert first == again and idp.verify(first)["azp"]
    key = idp.control.keys.current
    header, claims = jwt.get_unverified_header(first), jwt.decode(first, options={"verify_signature": False})
    fresh = jose_jwt.encode(header, claims, key.jose, algorithms=["RS256"], default_type=None)
    assert fresh == first  # the remembered token is byte for byte a fresh one
    idp.control.rotate_keys()
    rotated = idp.cc().json()["access_token"]
    assert header_of(rotated)["kid"] != header["kid"] and idp.verify(rotated)
    idp.patch({"faults": {"jwks_kid_mode": "omit_kid"}})  # no kid: the same header, another key, another token
    before = idp.cc().json()["access_token"]
    idp.control.rotate_keys()
    assert idp.cc().json()["access_token"] != before
    assert len(idp.control.keys.current._signed) <= SIGNED_MEMO


def test_ps256_is_signed_afresh_each_time(idp: Idp) -> None:
    key = idp.control.keys.current
    claims = {"iss": "https://x.test/", "sub": "s", "iat": int(time.time()), "exp": int(time.time()) + 60}
    one = key.encode({"alg": "PS256", "typ": "JWT"}, claims, "PS256")
    two = key.encode({"alg": "PS256", "typ": "JWT"}, claims, "PS256")
    assert one != two  # RSASSA-PSS is randomized: nothing to remember
    public = jwt.PyJWK(key.jwk(include_alg=False)).key
    assert jwt.decode(one, public, algorithms=["PS256"]) == jwt.decode(two, public, algorithms=["PS256"])
