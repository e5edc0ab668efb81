"""The syntax a strict verifier holds a token's claims and header to, shared by the gateway and the sample server.

- `scope_tokens`: RFC 6749 §3.3 (https://www.rfc-editor.org/rfc/rfc6749#section-3.3): `scope` is a list of
  scope-tokens of NQCHAR (%x21 / %x23-5B / %x5D-7E) separated by single spaces (%x20). TAB, LF, NBSP or `\\x1f`
  separate nothing: a token holding them is not a scope.
- `numeric_date`: RFC 7519 §2 (https://www.rfc-editor.org/rfc/rfc7519#section-2): seconds since the epoch, a
  JSON number; strictly, one a calendar can hold (1970-01-01 .. 9999-12-31), so `exp: 2**64` or `1e300` is not
  a date far away but a malformed one.
- `audience_values`: RFC 7519 §4.1.3: `aud` is a StringOrURI or an array of them; an array with a number, null
  or an object in it is malformed, not "one of them matched".
- `crit_refusal`: RFC 7515 §4.1.11: a recipient that understands no extension refuses any `crit`, `[]`
  included ("Producers MUST NOT use the empty list").

Each function takes `strict=`; the lenient reading (what a permissive library does) is a knob of the service
that calls it (gateway `emulator`: scopeSeparator, audienceMembers, numericDates, critHeader).
"""

from __future__ import annotations

import math
import re
from typing import Any

__all__ = ["NUMERIC_DATE_MAX", "audience_values", "crit_refusal", "numeric_date", "scope_tokens"]

NUMERIC_DATE_MAX = 253_402_300_799  # 9999-12-31T23:59:59Z, the last second a calendar (and Python) can show
_SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")


def scope_tokens(value: Any, *, strict: bool = True) -> tuple[list[str], list[str]]:
    """(scopes, refused) of a `scope`/`scp` claim: a space-delimited string or a JSON array of strings.

    Strict: split on single spaces only; a piece that is not a scope-token (empty, or holding other whitespace or
    a quote or backslash), and an array member that is not such a string, is refused. Lenient: any Unicode
    whitespace separates and array members are stringified."""
    if isinstance(value, str):
        pieces: list[Any] = value.split(" ") if strict else value.split()
    elif isinstance(value, list):
        pieces = list(value)
    else:
        return [], []
    if not strict:
        return [str(p) for p in pieces], []
    scopes: list[str] = []
    refused: list[str] = []
    for piece in pieces:
        if isinstance(piece, str) and _SCOPE_TOKEN.fullmatch(piece):
            scopes.append(piece)
        elif piece != "" or isinstance(value, list):
            refused.append(piece if isinstance(piece, str) else repr(piece))
    return scopes, refused


def numeric_date(value: Any, *, strict: bool = True) -> float | None:
    """A NumericDate as a float, or None: not a finite JSON number (bools and strings are not), or, strictly,
    outside 1970-01-01 .. 9999-12-31."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer beyond any float
        return None
    if not math.isfinite(number):
        return None
    if strict and not 0 <= number <= NUMERIC_DATE_MAX:
        return None
    return number


def audience_values(aud: Any, *, strict: bool = True) -> list[str] | None:
    """The audiences of an `aud` claim; None when it is malformed (strictly: any array member not a string)."""
    if isinstance(aud, str):
        return [aud]
    if not isinstance(aud, list):
        return None
    if strict and not all(isinstance(member, str) for member in aud):
        return None
    return [str(member) for member in aud]


def crit_refusal(header: dict[str, Any], *, strict: bool = True) -> str | None:
    """Why a JWS header's `crit` is refused by a recipient that understands no extension; None when it is not
    (no `crit`, or leniently: left to the JOSE library, which accepts `[]` and the extensions it knows)."""
    if "crit" not in header or not strict:
        return None
    return f"`crit` {header['crit']!r:.80} is present; no extension is understood here (RFC 7515 §4.1.11)"
