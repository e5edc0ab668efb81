"""mcpAuthentication's token checks on the shared verification core (sheet §3.2; §6 rows 3-4), and the JWKS
refresh by max-age (the kernel's RemoteJwks)."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
import jwt as pyjwt
import pytest
from joserfc import jwt as jose_jwt
from joserfc.jwk import ECKey, OctKey, OKPKey, RSAKey

from authstage_kit.jwks import Keys, RemoteJwks
from fake_gateway.agentgateway.config import Authn
from fake_gateway.agentgateway.jwt_auth import (
    JwtKnobs,
    derived_jwks_url,
    load_keys,
    local_jwks,
    validate_token,
)

ISSUER = "https://example-tenant.auth0.test/"
AUD = "https://api.example.test"
NOW = 1_800_000_000.0
RSA = RSAKey.generate_key(2048, parameters={"kid": "rsa-1"})
EC = ECKey.generate_key("P-256", parameters={"kid": "ec-1"})
ED = OKPKey.generate_key("Ed25519", parameters={"kid": "ed-1"})


def authn(audiences: tuple[str, ...] = (AUD,), issuer: str = ISSUER) -> Authn:
    return Authn(issuer, audiences, None, {}, ("url", ""), "strict", None, "p")


def keys(*jwks: Any) -> Keys:
    return Keys(None, {"keys": [k.as_dict(private=False) if not isinstance(k, dict) else k for k in jwks]}, None)


def token(key: Any = RSA, alg: str = "RS256", kid: str | None = "rsa-1", **claims: Any) -> str:
    header = {"alg": alg, **({"kid": kid} if kid else {})}
    body = {"iss": ISSUER, "aud": AUD, "sub": "user", "exp": int(NOW) + 600, **claims}
    return jose_jwt.encode(header, {k: v for k, v in body.items() if v is not None}, key, algorithms=[alg])


def check(tok: str, auth: Authn | None = None, jwks: Keys | None = None, now: float = NOW) -> Any:
    return validate_token(f"Bearer {tok}", auth or authn(), jwks or keys(RSA), JwtKnobs(), now)


def test_a_valid_token_passes_and_verifies_with_pyjwt_too() -> None:
    tok = token()
    result = check(tok)
    assert result.ok and result.claims["sub"] == "user"
    independent = pyjwt.decode(tok, pyjwt.PyJWK(RSA.as_dict(private=False)).key, algorithms=["RS256"],
                               audience=AUD, issuer=ISSUER, options={"verify_exp": False})
    assert independent["sub"] == "user"


def test_bearer_prefix_is_case_insensitive_and_required() -> None:
    assert validate_token(f"bearer {token()}", authn(), keys(RSA), JwtKnobs(), NOW).ok
    missing = validate_token(None, authn(), keys(RSA), JwtKnobs(), NOW)
    assert missing.missing and not missing.ok
    assert validate_token(f"Basic {token()}", authn(), keys(RSA), JwtKnobs(), NOW).missing


def test_kid_is_required_and_unknown_kids_never_match() -> None:
    assert check(token(kid=None)).error == "the token header does not specify a `kid`"
    assert check(token(kid="rotated")).error == 'token uses the unknown key "rotated"'


@pytest.mark.parametrize(("key", "alg", "kid"), [(EC, "ES256", "ec-1"), (ED, "EdDSA", "ed-1"), (RSA, "PS256", "rsa-1")])
def test_rsa_ec_and_ed25519_keys_with_their_family_algorithms(key: Any, alg: str, kid: str) -> None:
    assert check(token(key, alg, kid), jwks=keys(key)).ok


def test_a_jwk_alg_pins_the_algorithm() -> None:
    pinned = {**RSA.as_dict(private=False), "alg": "RS256"}
    result = check(token(alg="PS256"), jwks=keys(pinned))
    assert result.error == "the token is invalid or malformed: Error(InvalidAlgorithm)"


def test_symmetric_keys_and_kidless_keys_make_the_jwks_unusable() -> None:
    oct_key = OctKey.generate_key(256, parameters={"kid": "hs"}).as_dict()
    assert "unsupported algorithm" in str(load_keys({"keys": [oct_key]}).error)
    kidless = {k: v for k, v in RSA.as_dict(private=False).items() if k != "kid"}
    assert load_keys({"keys": [kidless]}).error == "the key is missing the `kid` attribute"
    assert check(token(), jwks=keys(kidless)).error.startswith('JWKS unusable')


def test_exp_has_sixty_seconds_of_leeway_and_is_required() -> None:
    assert check(token(exp=int(NOW) - 59)).ok
    assert check(token(exp=int(NOW) - 61)).error == "the token is invalid or malformed: Error(ExpiredSignature)"
    assert check(token(exp=None)).error == 'the token is invalid or malformed: Error(MissingRequiredClaim("exp"))'


def test_nbf_and_iat_are_not_checked() -> None:
    assert check(token(nbf=int(NOW) + 3600, iat=int(NOW) + 3600)).ok


def test_iss_is_exact_and_names_the_trailing_slash() -> None:
    result = check(token(), auth=authn(issuer=ISSUER.rstrip("/")))
    assert result.error == "the token is invalid or malformed: Error(InvalidIssuer)"
    iss = next(c for c in result.checks if c.name == "iss")
    assert "trailing slash" in (iss.fix or "") or ISSUER in (iss.fix or "")


def test_aud_any_member_matches_and_empty_audiences_skip_it() -> None:
    assert check(token(aud=["other", AUD])).ok
    assert check(token(aud="other")).error == "the token is invalid or malformed: Error(InvalidAudience)"
    assert check(token(aud=None)).error == 'the token is invalid or malformed: Error(MissingRequiredClaim("aud"))'
    assert check(token(aud="anything"), auth=authn(audiences=())).ok


def test_bad_signature() -> None:
    other = RSAKey.generate_key(2048, parameters={"kid": "rsa-1"})
    assert check(token(other)).error == "the token is invalid or malformed: Error(InvalidSignature)"


def test_derived_jwks_urls() -> None:
    assert derived_jwks_url(authn()) == f"{ISSUER}/.well-known/jwks.json"  # Auth0's slash doubled, as upstream
    kc = Authn("https://kc.test/realms/r", (), "keycloak", {}, ("url", ""), "strict", None, "p")
    assert derived_jwks_url(kc) == "https://kc.test/realms/r/protocol/openid-connect/certs"


def test_jwks_refresh_follows_max_age_with_floor_default_and_retry() -> None:
    clock = {"now": 1000.0}
    served = {"max_age": "max-age=120", "fail": False, "count": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        served["count"] += 1
        if served["fail"]:
            return httpx.Response(500)
        headers = {"cache-control": served["max_age"]} if served["max_age"] else {}
        return httpx.Response(200, json={"keys": [RSA.as_dict(private=False)]}, headers=headers)

    async def run() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
            cache = RemoteJwks(lambda: http, now=lambda: clock["now"], default_ttl=lambda: 900,
                               min_ttl=lambda: 60, retry=lambda: 15)
            url = "https://t.test/jwks"
            await cache.get(url)
            clock["now"] += 119
            await cache.get(url)
            assert served["count"] == 1  # within max-age
            clock["now"] += 2
            served["max_age"] = "max-age=10"
            await cache.get(url)
            assert served["count"] == 2
            clock["now"] += 30
            await cache.get(url)
            assert served["count"] == 2  # max-age 10 is floored to 60
            clock["now"] += 31
            served["fail"] = True
            held = await cache.get(url)
            assert served["count"] == 3 and held.jwks is not None and held.refresh_error  # old keys kept
            clock["now"] += 16
            served["fail"], served["max_age"] = False, ""
            await cache.get(url)
            assert served["count"] == 4  # retried after 15 s
            clock["now"] += 899
            await cache.get(url)
            assert served["count"] == 4  # no Cache-Control: 15 min

    asyncio.run(run())
    assert time.time() > 0


@pytest.mark.parametrize("kind", ["file", "inline"])
def test_a_file_or_inline_jwks_verifies_its_key_and_refuses_another(kind: str, tmp_path: Any) -> None:
    document = json.dumps({"keys": [RSA.as_dict(private=False)]})
    if kind == "file":
        (path := tmp_path / "jwks.json").write_text(document, encoding="utf-8")
        value = str(path)
    else:
        value = document
    local = Authn(ISSUER, (AUD,), None, {}, (kind, value), "strict", None, "p")
    jwks = local_jwks(local)
    assert jwks is not None
    assert validate_token(f"Bearer {token()}", local, Keys(None, jwks, None), JwtKnobs(), NOW).ok
    other = RSAKey.generate_key(2048, parameters={"kid": "rsa-1"})
    refused = validate_token(f"Bearer {token(other)}", local, Keys(None, jwks, None), JwtKnobs(), NOW)
    assert refused.error == "the token is invalid or malformed: Error(InvalidSignature)"
