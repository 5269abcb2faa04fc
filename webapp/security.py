"""Safe by default: security headers on every response (pages, JSON, errors,
static files) and JSON that never holds raw HTML-significant characters."""
from __future__ import annotations

from typing import Any

from flask import Flask, Response
from flask.json.provider import DefaultJSONProvider

from webapp.present import inert

# No inline script or style anywhere (not even style= attributes): all of
# it comes from /static, so the policy can forbid everything else.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}


class HtmlSafeJSONProvider(DefaultJSONProvider):
    """JSON whose text never holds a raw ``<``, ``>`` or ``&``: they appear
    only inside strings, written as ``\\u003c`` etc., so the values are
    unchanged while a response sniffed or pasted as HTML stays inert."""

    sort_keys = False

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return inert(super().dumps(obj, **kwargs))


def add_security_headers(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    return response


def init_app(app: Flask) -> None:
    app.json = HtmlSafeJSONProvider(app)
    # after_request also runs for error-handler responses and static files.
    app.after_request(add_security_headers)
