"""ASGI middleware: a request body limit that counts the body as the app reads it, and
`Cache-Control: no-store` on every response (they carry intervention data)."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_response
from models.errors import ErrorType, Problem

__all__ = ["BodyLimit", "BodyTooLarge", "NoStore"]


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


class NoStore:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_no_store(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.lower() != b"cache-control"]
                headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_no_store)
