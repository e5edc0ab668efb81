"""Is the token a JWS signed by the IdP behind discoveryUrl? (RFC 7515 §5.2, RFC 7517 §5; DOC inbound-jwt-authorizer)

The checks that make a token untrustworthy as a whole, in order: `parse` (a compact JWS with a JSON object
payload), `alg` (knob `algorithms`), `kid` (a key of the discovered JWKS; knob `requireKid`), `signature` (and
the header's `crit`: refused whenever present unless knob `critHeader` is `understood`).
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple, cast

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import Key, KeySet, KeySetSerialization

from authstage_kit.jwks import Keys
from authstage_kit.jwtsyntax import crit_refusal
from fake_gateway.settings import Emulator
from fake_gateway.verdict import Check

__all__ = ["SIGNATURE_CHECKS", "Parsed", "check_alg", "check_kid", "check_parse", "check_signature"]

SIGNATURE_CHECKS = ("parse", "alg", "kid", "signature")


class Parsed(NamedTuple):
    """The `parse` check; `header` and `claims` are None when the token is not a compact JWS."""

    check: Check
    header: dict[str, Any] | None = None
    claims: dict[str, Any] | None = None


def _strict_constant(name: str) -> Any:
    """json.loads hook: NaN / Infinity are not JSON (RFC 8259 §6); a strict parser refuses them."""
    raise ValueError(f"{name} is not valid JSON")


def check_parse(token: str) -> Parsed:
    """RFC 7515 §7.1 compact serialization with a JSON object payload; names what the token is when it is not."""
    try:
        compact = jws.extract_compact(token.encode())
        header = dict(compact.headers())
        claims = json.loads(compact.payload, parse_constant=_strict_constant)
        if not isinstance(claims, dict):
            raise ValueError("payload is not a JSON object")
    except (JoseError, ValueError, UnicodeError, RecursionError) as exc:
        parts = len(token.split("."))
        if parts == 5:
            why, fix = "a JWE (5 parts, encrypted)", "the IdP must issue signed (JWS) access tokens"
        elif parts != 3:
            why = "an opaque string, not a JWT"
            fix = (
                "Auth0 issues opaque access tokens when /authorize or /token gets no `audience`: request a token "
                "for your API's identifier"
            )
        else:
            why, fix = f"not a valid compact JWS ({exc})", "send the access token itself, unmodified"
        return Parsed(Check("parse", False, f"the token is {why}", fix))
    return Parsed(Check("parse", True, f"compact JWS, header {header}"), header, claims)


def check_alg(header: dict[str, Any], knobs: Emulator) -> Check:
    """Knob `algorithms` (default RS256): HS* cannot be verified with a JWKS, `none` never."""
    alg = header.get("alg")
    if alg in knobs.algorithms:
        return Check("alg", True, f"alg {alg} accepted")
    fix = (
        "symmetric (HS*) tokens cannot be verified with a JWKS; configure the IdP to sign with RS256"
        if str(alg).startswith("HS")
        else f"allow it with emulator.algorithms: {[*knobs.algorithms, alg]}"
        if alg and alg != "none"
        else "unsigned tokens are never accepted"
    )
    return Check("alg", False, f"alg {alg!r} is not in the accepted algorithms {knobs.algorithms}", fix)


def _keyset(keys: Keys, discovery_url: str) -> KeySet | Check:
    """The discovered JWKS, or the failed `kid` check saying why there is none."""
    if keys.error or keys.jwks is None:
        return Check(
            "kid",
            False,
            f"signing keys unavailable: {keys.error}",
            f"make {discovery_url} reachable and return issuer + jwks_uri",
        )
    try:
        # keys.py fetched a JSON object with a `keys` array; import_key_set validates the members
        return KeySet.import_key_set(cast(KeySetSerialization, keys.jwks))
    except (JoseError, ValueError, TypeError) as exc:
        return Check("kid", False, f"the JWKS does not parse: {exc}", "serve a valid RFC 7517 JWK Set")


def check_kid(
    header: dict[str, Any], keys: Keys, discovery_url: str, knobs: Emulator
) -> tuple[Check, Key | None]:
    """The key the token names by `kid`; a kid-less token may use a one-key JWKS unless knob `requireKid`."""
    keyset = _keyset(keys, discovery_url)
    if isinstance(keyset, Check):
        return keyset, None
    available = [k.kid for k in keyset.keys]
    kid = header.get("kid")
    if kid is None and (knobs.requireKid or len(keyset.keys) != 1):
        return Check(
            "kid",
            False,
            f"no key: the token has no kid and the JWKS holds {len(available)} keys",
            "sign tokens with a `kid` header that names a key of the JWKS",
        ), None
    if kid is None:
        return Check("kid", True, "no kid; the JWKS holds exactly one key (used)"), keyset.keys[0]
    key = next((k for k in keyset.keys if k.kid == kid), None)
    if key is not None:
        return Check("kid", True, f"kid {kid!r} found in the JWKS"), key
    jwks_uri = keys.discovery.get("jwks_uri") if keys.discovery else "?"
    refresh = f"; refreshing the JWKS failed: {keys.refresh_error}" if keys.refresh_error else ""
    return Check(
        "kid",
        False,
        f"no key with kid {kid!r} in the JWKS at {jwks_uri} (kids: {available}){refresh}",
        "the token comes from another issuer/pool or a rotated key; use a token from the IdP behind discoveryUrl",
    ), None


def check_signature(
    token: str, header: dict[str, Any], key: Key | None, alg: Check, knobs: Emulator | None = None
) -> Check:
    """RFC 7515 §5.2 with the selected key and an accepted alg; `crit` fails (§4.1.11): any `crit` by default,
    only one the JOSE library does not understand with knob `critHeader: understood`."""
    if key is None or not alg.passed:
        return Check("signature", None, "not evaluated: no usable key/algorithm")
    if refusal := crit_refusal(header, strict=knobs is None or knobs.critHeader == "reject"):
        return Check(
            "signature",
            False,
            f"the JWS header is not acceptable: {refusal}",
            "the IdP must not mark extensions critical; accept understood ones with emulator.critHeader: understood",
        )
    try:
        jws.deserialize_compact(token, key, algorithms=[str(header.get("alg"))])
    except JoseError as exc:
        if exc.error in ("unsupported_header", "missing_crit_header"):
            return Check(
                "signature",
                False,
                f"the JWS header is not acceptable: `crit` {header.get('crit')!r:.80} ({exc.error})",
                "the IdP must not mark extensions critical that verifiers do not implement",
            )
        return Check(
            "signature",
            False,
            f"signature does not verify ({exc.error})",
            "the token was altered or signed by a different key with the same kid",
        )
    return Check("signature", True, "signature verifies")
