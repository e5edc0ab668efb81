"""Secret redaction for every log, record and report authstage writes: one secret list, by key and by value.

docs/control-plane.md "A request-log record": ``client_secret``, ``password``, ``code_verifier``, refresh, access,
ID and subject tokens, client assertions, authorization codes, API keys, cookies and every bearer token become
``"[redacted]"``; JWTs keep a recognisable prefix (``eyJhbGciOi…[redacted]``) and their decoded header and claims
go to the record's ``tokens`` (signatures never appear). Redaction by key covers headers, form fields, query
parameters and JSON bodies at any depth; redaction by value (``scrub``) catches a token or a ``secret=value`` pair
wherever else it turns up (a text body, a tool argument, a Location URL).
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

from joserfc import jwe
from joserfc.errors import JoseError
from joserfc.jws import extract_compact as extract_jws

__all__ = [
    "LOG_DEPTH",
    "MAX_TEXT",
    "SECRET_NAMES",
    "TOKEN_NAMES",
    "decode_unverified",
    "is_secret",
    "json_safe",
    "nesting",
    "redact",
    "redact_header",
    "redact_query",
    "redact_token",
    "redact_url",
    "scrub",
]

# The one secret list. Names are compared case-insensitively with `-` and `_` ignored, so `client_secret`,
# `clientSecret` (AWS credential-provider JSON) and `Client-Secret` are one name.
SECRET_NAMES = frozenset(
    {
        "client_secret", "password", "code_verifier", "code", "refresh_token", "access_token", "id_token",
        "id_token_hint", "subject_token", "actor_token", "token", "assertion", "client_assertion",
        "api_key", "x-api-key", "authorization", "proxy-authorization", "cookie", "set-cookie",
        "x-amz-security-token", "x-authstage-token", "private_key", "secret", "secrets",
    }
)  # fmt: skip
# Names whose values are often tokens worth decoding for the record's `tokens` list.
TOKEN_NAMES = frozenset(
    {"access_token", "id_token", "id_token_hint", "subject_token", "actor_token", "token", "refresh_token",
     "assertion", "client_assertion"}
)  # fmt: skip
MAX_TEXT = 8192  # a logged body or value longer than this is cut
LOG_DEPTH = 32  # a logged document nested deeper than this is kept as text

_FOLDED = frozenset(name.replace("-", "").replace("_", "") for name in SECRET_NAMES)
_FOLDED_TOKENS = frozenset(name.replace("_", "") for name in TOKEN_NAMES)
_JOSE = re.compile(r"eyJ[A-Za-z0-9_-]{2,}(?:\.[A-Za-z0-9_-]*){2,4}")
_PAIR_NAMES = "|".join(sorted((re.escape(n) for n in SECRET_NAMES if "-" not in n), key=len, reverse=True))
_SECRET_PAIR = re.compile(rf"(?i)(?<![A-Za-z0-9_])({_PAIR_NAMES}|x-api-key|x-authstage-token)=([^&\s\"\\,;{{}}()\[\]]+)")


def _fold(name: str) -> str:
    return name.lower().replace("-", "").replace("_", "")


def is_secret(name: str) -> bool:
    """True for a header, form field, query parameter or JSON key whose value is a secret."""
    return _fold(name) in _FOLDED


def is_token_name(name: str) -> bool:
    return _fold(name) in _FOLDED_TOKENS


def redact_token(value: str) -> str:
    """Keep a recognisable prefix of tokens (``eyJhbGciOi…[redacted]``, ``v1.M…[redacted]``), nothing else."""
    if value.startswith("eyJ") and len(value) > 10:
        return value[:10] + "…[redacted]"
    if value.startswith("v1.M"):
        return "v1.M…[redacted]"
    return "[redacted]"


def redact_header(name: str, value: str) -> str:
    """One header value as a record shows it (``Authorization: Bearer eyJhbGciOi…[redacted]``)."""
    lowered = name.lower()
    if lowered in ("authorization", "proxy-authorization"):
        scheme, _, credential = value.strip().partition(" ")
        return f"{scheme} {redact_token(credential.strip())}" if credential.strip() else "[redacted]"
    if lowered == "set-cookie":
        return value.split("=", 1)[0] + "=[redacted]"
    if lowered == "location":
        return redact_url(value)
    if is_secret(lowered):
        return redact_token(value)
    return scrub(value)


def redact(value: Any, key: str = "") -> Any:
    """A copy of a JSON-like document with every secret replaced, at any depth (iterative: no depth limit)."""
    if isinstance(value, str):
        return redact_token(value) if key and is_secret(key) else value
    if not isinstance(value, dict | list):
        return value
    root: Any = {} if isinstance(value, dict) else []
    work: list[tuple[Any, Any]] = [(value, root)]
    while work:
        source, target = work.pop()
        items = source.items() if isinstance(source, dict) else enumerate(source)
        for name, item in items:
            if isinstance(item, dict | list):
                child: Any = {} if isinstance(item, dict) else []
                work.append((item, child))
            elif isinstance(item, str) and isinstance(name, str) and is_secret(name):
                child = redact_token(item)
            else:
                child = item
            if isinstance(target, dict):
                target[name] = child
            else:
                target.append(child)
    return root


def scrub(text: str) -> str:
    """``text`` with every JOSE token (JWS or JWE) cut to a prefix and every ``secret=value`` pair redacted."""
    text = _JOSE.sub(lambda m: m.group(0)[:10] + "…[redacted]", text)
    return _SECRET_PAIR.sub(lambda m: f"{m.group(1)}=[redacted]", text)


def redact_query(query: str) -> dict[str, str]:
    """A query string as a ``{name: value}`` map with secrets redacted (the last value of a repeated name)."""
    return {
        name: ("[redacted]" if is_secret(name) else scrub(value))
        for name, value in parse_qsl(query, keep_blank_values=True)
    }


def redact_url(url: str) -> str:
    """A URL with secret query and fragment parameters redacted (``Location: …?code=[redacted]&state=xyz``)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return scrub(url)

    def clean(qs: str) -> str:
        pairs = parse_qsl(qs, keep_blank_values=True)
        if not any(is_secret(k) for k, _ in pairs):
            return scrub(qs)
        return "&".join(f"{quote(k)}=" + ("[redacted]" if is_secret(k) else quote(v, safe="")) for k, v in pairs)

    return urlunsplit((parts.scheme, parts.netloc, parts.path, clean(parts.query), clean(parts.fragment)))


def nesting(value: Any) -> int:
    """How deeply ``value`` nests lists/objects, counted without recursion (bodies come from anyone)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def json_safe(value: Any) -> Any:
    """``value`` as strict JSON (RFC 8259 §6), scrubbed: NaN / Infinity become their names (else one body carrying
    ``NaN`` makes ``GET /_authstage/log`` fail for as long as the record is kept), anything odd a string."""
    depth = nesting(value)
    if depth > LOG_DEPTH + 8:
        return f"[a value nested {depth} levels deep is not logged]"
    try:
        text = json.dumps(value, default=str)
    except (RecursionError, ValueError):
        return "[a value that is not JSON is not logged]"
    return json.loads(scrub(text), parse_constant=str)


def decode_unverified(token: str) -> dict[str, Any] | None:
    """Header and claims of a compact JWS (signature dropped), the header only of a compact JWE; None when the
    value is no JOSE token a log can show. For logs and explanations only: nothing here is trusted."""
    if token.count(".") not in (2, 4) or len(token) > MAX_TEXT:
        return None
    try:
        if token.count(".") == 4:
            extract_jwe: Any = getattr(jwe, "extract_compact")  # noqa: B009  # exported at runtime, not in __all__
            encrypted = extract_jwe(token.encode(), jwe.JWERegistry())
            return {"header": dict(encrypted.headers()), "claims": None, "encrypted": True}
        compact = extract_jws(token.encode())
        claims = json.loads(compact.payload)
    except (JoseError, ValueError, TypeError, KeyError, UnicodeError, RecursionError):
        return None
    if not isinstance(claims, dict) or nesting(claims) > LOG_DEPTH:
        return None
    return {"header": dict(compact.headers()), "claims": claims}
