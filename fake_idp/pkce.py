"""PKCE (RFC 7636): both halves in one place, as an extension of the authorization-code grant (authlib's
``rfc7636/challenge.py``): the ``code_challenge`` checks at ``/authorize`` (§4.3) and the ``code_verifier``
check at ``/oauth/token`` (§4.5, §4.6), attached to the grant as a hook by the token endpoint.

Auth0: "Use S256 as Auth0 only supports this method" (DOC authorize-with-pkce.mdx) although discovery
advertises ``["S256","plain"]``; what ``plain`` really does is NOT FOUND (knob ``emulator.pkce_plain``).
A wrong verifier is ``403 invalid_grant`` "Failed to verify code verifier" (COMMUNITY; status INFERRED).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Callable
from typing import Protocol

from fake_idp import errors
from fake_idp.state import AuthCode

__all__ = [
    "CODE_CHALLENGE_METHODS",
    "CODE_CHALLENGE_PATTERN",
    "CODE_VERIFIER_PATTERN",
    "CodeChallenge",
    "s256",
    "validate_code_challenge",
]

# RFC 7636 §4.1 code-verifier and §4.2 code-challenge: both 43-128 characters of [A-Z] / [a-z] / [0-9] / "-._~".
CODE_VERIFIER_PATTERN = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
CODE_CHALLENGE_PATTERN = CODE_VERIFIER_PATTERN


def s256(verifier: str) -> str:
    """RFC 7636 §4.2: ``BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))``."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


# code_challenge_method -> the transformation of the verifier that must equal the challenge (§4.2, §4.6).
# The order is discovery's code_challenge_methods_supported.
CODE_CHALLENGE_METHODS: dict[str, Callable[[str], str]] = {"S256": s256, "plain": lambda verifier: verifier}
DEFAULT_METHOD = "plain"  # §4.3: "defaults to plain if not present in the request"


def _bad_request(description: str, reason: str) -> errors.AuthorizeError:
    return errors.AuthorizeError("invalid_request", description, reason=reason)


def validate_code_challenge(
    challenge: str | None, method: str | None, *, required: bool, plain: str
) -> str | None:
    """The ``/authorize`` half: returns the effective method (None without a challenge) or raises.

    ``required``: strict third-party clients must send one (IPRally); ``plain``: ``emulator.pkce_plain``.
    """
    if not challenge:
        if method:
            raise _bad_request(
                errors.MISSING_PARAMETER.format(name="code_challenge"),
                "code_challenge_method without code_challenge",
            )
        if required:
            raise _bad_request(errors.PKCE_REQUIRED, "strict third-party clients must use PKCE (IPRally)")
        return None
    method = method or DEFAULT_METHOD
    if method not in CODE_CHALLENGE_METHODS or (method == "plain" and plain == "reject"):
        raise _bad_request(
            errors.UNSUPPORTED_CHALLENGE_METHOD.format(method=method[:32]),
            f"code_challenge_method {method!r}: Auth0 documents S256 only (emulator.pkce_plain)",
        )
    if not CODE_CHALLENGE_PATTERN.match(challenge):
        raise _bad_request(errors.INVALID_PARAMETER.format(name="code_challenge"), "malformed code_challenge")
    return method


class _Notes(Protocol):
    def note(self, text: str) -> None: ...


class _Grant(Protocol):
    @property
    def ctx(self) -> _Notes: ...


class _Hookable(Protocol):
    @classmethod
    def register_hook(cls, name: str, fn: Callable[..., None]) -> None: ...


def _verifier_failed(reason: str) -> errors.OAuthError:
    return errors.OAuthError("invalid_grant", errors.CODE_VERIFIER_FAILED, status=403, reason=reason)


class CodeChallenge:
    """The ``/oauth/token`` half. Attach with ``CodeChallenge()(AuthorizationCodeGrant)``: it runs after the code
    is validated (hook ``after_validate_code``)."""

    def __call__(self, grant_cls: type[_Hookable]) -> None:
        grant_cls.register_hook("after_validate_code", self.validate_code_verifier)

    @staticmethod
    def validate_code_verifier(grant: _Grant, *, code: AuthCode, params: dict[str, str]) -> None:
        verifier = params.get("code_verifier")
        if code.code_challenge is None:
            if verifier:
                grant.ctx.note("code_verifier sent for a code issued without code_challenge; ignored")
            return
        if not verifier:
            raise _verifier_failed("the code was issued with a code_challenge but no code_verifier was sent")
        if not CODE_VERIFIER_PATTERN.match(verifier):
            raise _verifier_failed(
                "code_verifier is not 43-128 characters of [A-Za-z0-9-._~] (RFC 7636 §4.1)"
            )
        method = code.code_challenge_method or "S256"
        actual = CODE_CHALLENGE_METHODS[method](verifier)
        if not hmac.compare_digest(actual.encode(), code.code_challenge.encode()):
            raise _verifier_failed(
                f"{method}(code_verifier) does not equal the code_challenge sent to /authorize"
            )
