"""PKCE (RFC 7636) as a hook on the authorization-code grant, not code inside it (authlib's pattern).

Auth0: "Use S256 as Auth0 only supports this method" (DOC authorize-with-pkce.mdx) although discovery
advertises ``["S256","plain"]``; what ``plain`` really does is NOT FOUND (knob ``emulator.pkce_plain``).
A wrong verifier is ``403 invalid_grant`` "Failed to verify code verifier" (COMMUNITY; status INFERRED).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from typing import TYPE_CHECKING, Any

from fake_idp import errors

if TYPE_CHECKING:
    from fake_idp.grants import AuthorizationCodeGrant
    from fake_idp.state import AuthCode

__all__ = ["CodeChallenge", "s256"]

_VERIFIER_RE = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")


def s256(verifier: str) -> str:
    return (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest())
        .rstrip(b"=")
        .decode("ascii")
    )


class CodeChallenge:
    """Attach with ``CodeChallenge()(AuthorizationCodeGrant)``; runs after the code is validated."""

    def __call__(self, grant_cls: type[AuthorizationCodeGrant]) -> None:
        grant_cls.register_hook("after_validate_code", self.validate_code_verifier)

    @staticmethod
    def validate_code_verifier(grant: Any, *, code: AuthCode, params: dict[str, str]) -> None:
        verifier = params.get("code_verifier")
        if code.code_challenge is None:
            if verifier:
                grant.ctx.note("code_verifier sent for a code issued without code_challenge; ignored")
            return
        if not verifier:
            raise errors.OAuthError(
                "invalid_grant",
                errors.CODE_VERIFIER_FAILED,
                status=403,
                reason="the code was issued with a code_challenge but no code_verifier was sent",
            )
        if not _VERIFIER_RE.match(verifier):
            raise errors.OAuthError(
                "invalid_grant",
                errors.CODE_VERIFIER_FAILED,
                status=403,
                reason="code_verifier is not 43-128 characters of [A-Za-z0-9-._~] (RFC 7636 §4.1)",
            )
        expected = code.code_challenge
        actual = verifier if code.code_challenge_method == "plain" else s256(verifier)
        if not hmac.compare_digest(actual.encode(), expected.encode()):
            raise errors.OAuthError(
                "invalid_grant",
                errors.CODE_VERIFIER_FAILED,
                status=403,
                reason=f"{code.code_challenge_method or 'S256'}(code_verifier) does not equal the code_challenge "
                "sent to /authorize",
            )
