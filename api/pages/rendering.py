"""Pages rendered on the server with Jinja and the NHS.UK design system's macros, each sent with
a Content-Security-Policy of its own.

The policy lets a page load scripts, styles, images and fonts from this service alone, and run
only the inline scripts that carry the response's nonce (the page template's `js-enabled`
switch, and the one that starts the design system's components). Pages work without
JavaScript: it only adds the design system's enhancements.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import date, datetime
from importlib.metadata import version
from typing import Any

from jinja2 import ChainableUndefined, ChoiceLoader, Environment, PackageLoader
from starlette.requests import Request
from starlette.responses import HTMLResponse

__all__ = ["SERVICE_NAME", "Pages", "content_security_policy", "long_date", "words"]

SERVICE_NAME = "Quality interventions"


def long_date(value: date | datetime | None) -> str:
    """A date as the NHS style guide writes it: 3 December 2026 (no leading zero)."""
    if value is None:
        return ""
    return f"{value.day} {value:%B %Y}"


def words(value: object) -> str:
    """A code as a person reads it: `senior_panel_member` -> `Senior panel member`."""
    text = str(getattr(value, "value", value)).replace("_", " ")
    return text[:1].upper() + text[1:]


def content_security_policy(nonce: str) -> str:
    return "; ".join([
        "default-src 'none'",
        f"script-src 'self' 'nonce-{nonce}'",
        "style-src 'self'",
        "img-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "manifest-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ])


class Pages:
    """The templates: the project's own first, then the design system's macros."""

    def __init__(self) -> None:
        self.environment = Environment(
            loader=ChoiceLoader([
                PackageLoader("api.pages", "templates"),
                PackageLoader("nhsuk_frontend_jinja"),
            ]),
            # The design system's macros read nested parameters that callers may leave out.
            undefined=ChainableUndefined,
            autoescape=True,
            # Templates are part of the installed code: read once, never re-checked per render.
            auto_reload=False,
        )
        self.environment.globals.update(service_name=SERVICE_NAME,
                                        service_version=version("quality-interventions"))
        self.environment.filters.update(long_date=long_date, words=words)

    def render(self, request: Request, template: str, context: Mapping[str, Any],
               status_code: int = 200) -> HTMLResponse:
        """The page, with a new nonce in its policy and its inline scripts."""
        nonce = secrets.token_urlsafe(18)
        html = self.environment.get_template(template).render(
            {**context, "cspNonce": nonce, "request_path": request.url.path})
        # The API's security headers (`api.middleware`) come with it, but this policy for this
        # page replaces their default one.
        return HTMLResponse(html, status_code=status_code, headers={
            "Content-Security-Policy": content_security_policy(nonce)})
