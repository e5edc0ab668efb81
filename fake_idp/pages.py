"""Auth0 Universal Login HTML (sheet §1.5, §5.2): login form, consent screen, error page, form_post, logout.

Deliberately plain (no scripts besides form_post's auto-submit); every interpolated value is escaped.
The error page mirrors Auth0's "Oops!, something went wrong" with the real reason under Technical Details
(sheet §1.5, §8 F-3/F-7: the dead end where the reason is only in the details or the tenant log).
"""

from __future__ import annotations

from html import escape

from fake_idp import errors

__all__ = ["consent_page", "error_page", "form_post_page", "login_page", "logout_page"]

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;background:#f2f3f5;margin:0;color:#1e212a}
main{max-width:400px;margin:64px auto;background:#fff;border-radius:5px;box-shadow:0 12px 40px rgba(0,0,0,.12);padding:40px}
h1{font-size:24px;margin:0 0 8px}p{color:#65676e;font-size:14px}label{display:block;font-size:14px;margin:16px 0 4px}
input[type=email],input[type=password],input[type=text]{width:100%;box-sizing:border-box;padding:12px;border:1px solid #c9cace;border-radius:3px}
button{width:100%;margin-top:24px;padding:14px;border:0;border-radius:3px;background:#635dff;color:#fff;font-size:16px;cursor:pointer}
button.secondary{background:#fff;color:#1e212a;border:1px solid #c9cace;margin-top:8px}
.error{background:#fde8e8;color:#b00020;padding:8px 12px;border-radius:3px;font-size:14px}
ul{font-size:14px}details{margin-top:24px;font-size:13px}code{background:#f2f3f5;padding:2px 4px}
.hint{font-size:12px;color:#65676e;margin-top:24px}
"""


def _page(title: str, body: str) -> str:
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f'<meta name="viewport" content="width=device-width,initial-scale=1"><link rel="icon" href="data:,">'
        f"<style>{_STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )


def login_page(
    *,
    action: str,
    txn: str,
    tenant_name: str,
    client_name: str,
    error: str | None,
    users: list[str],
    login_hint: str,
) -> str:
    err = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    hint = ""
    if users:
        items = "".join(f"<li><code>{escape(u)}</code></li>" for u in users[:20])
        hint = f'<div class="hint">Users of this authstage tenant:<ul>{items}</ul></div>'
    body = (
        f"<h1>Welcome</h1><p>Log in to {escape(tenant_name)} to continue to {escape(client_name)}.</p>{err}"
        f'<form method="post" action="{escape(action)}">'
        f'<input type="hidden" name="state" value="{escape(txn)}">'
        f'<label for="username">Email address</label>'
        f'<input type="email" id="username" name="username" value="{escape(login_hint)}" autocomplete="username" required>'
        f'<label for="password">Password</label>'
        f'<input type="password" id="password" name="password" autocomplete="current-password" required>'
        f'<button type="submit" name="action" value="default">Continue</button></form>{hint}'
    )
    return _page(f"Log in | {tenant_name}", body)


def consent_page(
    *, action: str, txn: str, client_name: str, user_email: str, audience: str | None, scopes: list[str]
) -> str:
    items = "".join(f"<li><code>{escape(s)}</code></li>" for s in scopes) or "<li>your profile</li>"
    target = f" on <code>{escape(audience)}</code>" if audience else ""
    body = (
        f"<h1>Authorize {escape(client_name)}</h1>"
        f"<p>Hi {escape(user_email)}, {escape(client_name)} is requesting access{target}:</p><ul>{items}</ul>"
        f'<form method="post" action="{escape(action)}"><input type="hidden" name="state" value="{escape(txn)}">'
        f'<button type="submit" name="action" value="accept">Accept</button>'
        f'<button type="submit" name="action" value="deny" class="secondary">Decline</button></form>'
    )
    return _page("Authorize application", body)


def error_page(*, error: str, description: str, tracking: str) -> str:
    body = (
        f"<h1>{escape(errors.ERROR_PAGE_TITLE)}</h1>"
        "<p>We could not complete your request. Contact the application owner or try again.</p>"
        f"<details open><summary>Technical details</summary>"
        f'<p><code id="error">{escape(error)}</code>: <span id="error_description">{escape(description)}</span></p>'
        f"<p>Tracking ID: <code>{escape(tracking)}</code></p></details>"
    )
    return _page("Error", body)


def form_post_page(*, action: str, fields: dict[str, str]) -> str:
    inputs = "".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in fields.items()
    )
    return (
        "<!DOCTYPE html><html><head><title>Submit This Form</title></head>"
        '<body onload="javascript:document.forms[0].submit()">'
        f'<form method="post" action="{escape(action)}">{inputs}<noscript><button type="submit">Continue</button></noscript></form>'
        "</body></html>"
    )


def logout_page(*, action: str | None, params: dict[str, str], done: bool) -> str:
    if done:
        return _page("Logged out", "<h1>You have been logged out</h1><p>You can close this window.</p>")
    hidden = "".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in params.items()
    )
    body = (
        "<h1>Log out</h1><p>Are you sure you want to log out?</p>"
        f'<form method="post" action="{escape(action or "")}">{hidden}'
        '<button type="submit" name="action" value="accept">Yes</button></form>'
    )
    return _page("Log out", body)
