"""Auth0's custom-claim rules (fake_idp/custom_claims.py, DOC create-custom-claims.mdx, custom-claims-migration.mdx)."""

from __future__ import annotations

from fake_idp.custom_claims import RESTRICTED_CLAIMS, filter_claims, is_auth0_api


def test_the_documented_restricted_list() -> None:
    assert len(RESTRICTED_CLAIMS) == 60  # the 60 names of the DOC list
    assert {"roles", "groups", "permissions", "client_id", "x5t#S256", "internalService"} <= RESTRICTED_CLAIMS
    assert "scope" not in RESTRICTED_CLAIMS and "email" not in RESTRICTED_CLAIMS


def test_each_rule() -> None:
    claims = {
        "roles": ["a"],
        "https://example.auth0.com/x": 1,
        "https://sub.webtask.run/x": 1,
        "urn:auth0:x": 1,
        "https://example.test/roles": ["a"],
        "urn:example:roles": ["a"],
        "email": "a@example.test",
        "private": True,
        "scope": "x",
    }
    out = filter_claims(claims, token="access", scopes=["openid"], minted={"scope": "openid"})
    assert out.kept == {"https://example.test/roles": ["a"], "urn:example:roles": ["a"], "private": True}
    assert {k for k, _ in out.ignored} == {
        "roles", "https://example.auth0.com/x", "https://sub.webtask.run/x", "urn:auth0:x", "email", "scope"
    }  # fmt: skip
    with_email = filter_claims({"email": "a@example.test"}, token="id", scopes=["email"], minted={"email": "x"})
    assert with_email.kept == {"email": "a@example.test"}
    mgmt = filter_claims({"private": 1, "https://x.test/p": 1}, token="access", scopes=[], minted={}, auth0_api=True)
    assert mgmt.kept == {"https://x.test/p": 1}
    assert filter_claims({"private": 1}, token="id", scopes=[], minted={}, auth0_api=True).kept == {"private": 1}


def test_auth0_api_audiences() -> None:
    issuer = "https://tenant.example.test/"
    for path in ("api", "api/v2/", "mfa", "mfa/"):
        assert is_auth0_api(issuer + path, issuer)
    assert not is_auth0_api(issuer + "userinfo", issuer)
    assert not is_auth0_api("https://api.example.test/", issuer)
