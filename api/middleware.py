"""ASGI middleware: the Host header checked and the security headers set (the outermost two,
around even the handler of unexpected errors: see `api.app`), and a request body limit that
counts the body as the app reads it.

Security headers, on every response: `Cache-Control: no-store` (responses carry intervention
data and tokens' owners), `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY`,
`Referrer-Policy: no-referrer`, and a Content-Security-Policy that allows nothing
(`default-src 'none'`, `frame-ancestors 'none'`) unless the response brings its own: the docs
page's allows its own scripts and styles (`api.docs`); each of the pages' (`api.pages`) its
own files and the inline scripts with that response's nonce.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import deny
from api.errors import error_response
from models.errors import ErrorType, Problem

__all__ = ["STRICT_CSP", "BodyLimit", "BodyTooLarge", "HostCheck", "SecurityHeaders"]

STRICT_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

_SECURITY_HEADERS = {
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


class BodyTooLarge(HTTPException):
    """Raised while the app reads a body past the limit; answered 413 (`api.errors`)."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"must not be larger than {max_bytes} bytes")


class BodyLimit:
    """Lets the app read at most `max_bytes` of a request body. A body declared larger
    (Content-Length) is refused at the app's first read, before a byte of it is read; one that
    grows larger as it arrives, as soon as it does. Nothing is read before the app asks, so a
    request refused first (no valid token) has its body never read at all."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        refused = declared is not None and not (declared.isdigit()
                                                and int(declared) <= self.max_bytes)
        size = 0
        started = False

        async def limited() -> Message:
            nonlocal size
            if refused:
                raise BodyTooLarge(self.max_bytes)
            message = await receive()
            if message["type"] == "http.request":
                size += len(message.get("body", b""))
                if size > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited, watched)
        except BodyTooLarge as error:  # read outside a route, where no handler answers it
            if started:
                raise
            problem = Problem(field="body", rule=str(error.detail))
            await error_response(ErrorType.PAYLOAD_TOO_LARGE, [problem])(scope, receive, send)


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(raw=list(message.get("headers", [])))
                for name, value in _SECURITY_HEADERS.items():
                    headers[name] = value
                headers.setdefault("content-security-policy", STRICT_CSP)
                message = {**message, "headers": headers.raw}
            await send(message)

        await self.app(scope, receive, send_secured)


def _host_name(host_header: str) -> str:
    """The host of a Host header, without its port: `[::1]:8000` is `::1`."""
    host = host_header.strip().lower()
    name, colon, port = host.rpartition(":")
    if colon and port.isdigit() and (not name.startswith("[") or name.endswith("]")):
        host = name
    return host.removeprefix("[").removesuffix("]").rstrip(".")


class HostCheck:
    """Answers only requests whose Host is one of `hosts` (`QI_ALLOWED_HOSTS`; `*.domain` for
    its subdomains, `*` for any): anything the app builds from the Host (a redirect's URL) then
    names a host the operator chose. Another Host gets 400, which never repeats it."""

    def __init__(self, app: ASGIApp, hosts: Iterable[str]) -> None:
        self.app = app
        hosts = [h.lower() for h in hosts]
        self.any = "*" in hosts
        self.names = {h for h in hosts if not h.startswith("*.")}
        self.suffixes = tuple(h[1:] for h in hosts if h.startswith("*."))  # ".example.org"

    def allows(self, host: str) -> bool:
        return self.any or host in self.names or bool(self.suffixes and host.endswith(
            self.suffixes))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan; the API serves no websockets
            await self.app(scope, receive, send)
            return
        host = _host_name(Headers(scope=scope).get("host", ""))
        if self.allows(host):
            await self.app(scope, receive, send)
            return
        deny(Request(scope), None, f"Host {host[:100]!r} is not in QI_ALLOWED_HOSTS")
        problem = Problem(field="Host", rule="must name a host this API answers to")
        await error_response(ErrorType.UNKNOWN_HOST, [problem])(scope, receive, send)
