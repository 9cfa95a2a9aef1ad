"""The Web UI as `qi up` serves it: the dev server's UI behind a small front on QI_UI_PORT.

The UI opens sealed payloads by calling the API's codec server from the browser. For a user
signed in at the API's /sign-in, it must send the browser's cookies with those calls: the UI's
codec setting `includeCredentials`, which the dev server (`temporal server start-dev`) has no
flag for. So the dev server's UI listens on a port of its own, and this front passes every
request to it and every answer back unchanged, but for two things:

- the UI's settings (`GET /api/v1/settings`) say `IncludeCredentials: true` when a codec
  endpoint is set, and `DisableWriteActions: true`: interventions change only through the
  service, so that every change has a person behind it in the audit trail;
- a call that would change a workflow (any method but GET, HEAD or OPTIONS on the UI server's
  API, queries aside) is refused here, not passed on, whatever the page shows;
- the API's session cookie, which the browser sends to every port of the host, is not passed
  on to the UI server, which has no use for it.

The front and the API are on the same host, so the session cookie (SameSite=Lax) goes with
the UI's calls to the codec server; the codec server takes it only from the UI's origin.
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Collection, Iterator

import httpx
import uvicorn
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from core.serving import serve_until_cancelled

__all__ = ["SETTINGS_PATH", "WebUiFront", "bind_front_socket", "serve_web_ui_front"]

SETTINGS_PATH = "/api/v1/settings"
WRITES_REFUSED = ("Changes from the Web UI are turned off: drive interventions through the "
                  "service (qi, or its pages), so each change is recorded with who made it.")
_READS = frozenset({"GET", "HEAD", "OPTIONS"})
_QUERY = re.compile(r"/workflows/[^/]+/query/[^/]+$")

# Hop-by-hop headers (RFC 9110 7.6.1) and those the client and server set for themselves.
_NOT_PASSED = frozenset({
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
    "transfer-encoding", "upgrade", "host", "content-length"})


class WebUiFront:
    """An ASGI app passing requests to the UI server at `upstream` (e.g. http://127.0.0.1:40123);
    `transport` is the test seam."""

    def __init__(self, upstream: str, *, hidden_cookies: Collection[str],
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.hidden_cookies = frozenset(hidden_cookies)
        self.client = httpx.AsyncClient(base_url=upstream, transport=transport,
                                        timeout=httpx.Timeout(60.0, connect=5.0))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send, self.client)
            return
        if scope["type"] != "http":
            return  # the UI opens no websockets; refused by closing
        request = Request(scope, receive)
        response = await self._forward(request)
        await response(scope, receive, send)

    async def _forward(self, request: Request) -> Response:
        if _changes_a_workflow(request):
            return PlainTextResponse(WRITES_REFUSED, status_code=403)
        is_settings = request.method == "GET" and request.url.path == SETTINGS_PATH
        headers = list(self._request_headers(request))
        if is_settings:  # read whole and rewritten, so asked for uncompressed
            headers = [(k, v) for k, v in headers if k != "accept-encoding"]
            headers.append(("accept-encoding", "identity"))
        has_body = request.method not in ("GET", "HEAD", "OPTIONS")
        upstream = self.client.build_request(
            request.method, request.url.path, params=request.url.query or None,
            headers=headers, content=request.stream() if has_body else None)
        try:
            answer = await self.client.send(upstream, stream=True)
        except httpx.HTTPError:
            return PlainTextResponse("The Temporal Web UI is not answering; is qi up still "
                                     "running?", status_code=502)
        if is_settings and answer.status_code == 200:
            return await self._settings(answer)
        response = StreamingResponse(answer.aiter_raw(), status_code=answer.status_code,
                                     background=BackgroundTask(answer.aclose))
        response.raw_headers = list(_response_headers(answer, keep_length=True))
        return response

    def _request_headers(self, request: Request) -> Iterator[tuple[str, str]]:
        for name, value in request.headers.items():
            if name in _NOT_PASSED:
                continue
            if name == "cookie":
                kept = "; ".join(part.strip() for part in value.split(";")
                                 if part.strip().split("=", 1)[0] not in self.hidden_cookies)
                if kept:
                    yield name, kept
                continue
            yield name, value

    async def _settings(self, answer: httpx.Response) -> Response:
        try:
            settings = json.loads(await answer.aread())
        finally:
            await answer.aclose()
        codec = settings.get("Codec") if isinstance(settings, dict) else None
        if isinstance(codec, dict) and codec.get("Endpoint"):
            codec["IncludeCredentials"] = True
        if isinstance(settings, dict):
            settings["DisableWriteActions"] = True
        response = Response(json.dumps(settings).encode(), status_code=200)
        response.raw_headers = [*_response_headers(answer, keep_length=False),
                                (b"content-length", str(len(response.body)).encode())]
        return response


def _changes_a_workflow(request: Request) -> bool:
    """A call to the UI server's API that is not a read: terminate, cancel, signal, reset,
    update, start, batch and schedule operations. A query reads, though sent as a POST."""
    path = request.url.path
    return (request.method not in _READS and path.startswith("/api/")
            and not _QUERY.search(path))


def _response_headers(answer: httpx.Response, *, keep_length: bool) -> Iterator[
        tuple[bytes, bytes]]:
    """The answer's headers to pass back; its length and encoding only for a body passed on
    byte for byte (`keep_length`)."""
    dropped = _NOT_PASSED - {"content-length"} if keep_length else _NOT_PASSED | {
        "content-encoding"}
    for name, value in answer.headers.raw:
        if name.lower().decode() not in dropped:
            yield name.lower(), value


async def _lifespan(receive: Receive, send: Send, client: httpx.AsyncClient) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await client.aclose()
            await send({"type": "lifespan.shutdown.complete"})
            return


def bind_front_socket(host: str, port: int) -> socket.socket:
    """Take the Web UI's port now, so a port in use fails before anything starts."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise RuntimeError(f"cannot serve the Web UI on {host}:{port} ({exc.strerror}); "
                           "set QI_UI_PORT to a free port") from None
    sock.listen(128)
    return sock


async def serve_web_ui_front(sock: socket.socket, upstream: str,
                             hidden_cookies: Collection[str]) -> None:
    """Serve the front on `sock` until cancelled; then finish what is in flight and stop."""
    front = WebUiFront(upstream, hidden_cookies=hidden_cookies)
    await serve_until_cancelled(
        uvicorn.Config(front, log_config=None, timeout_graceful_shutdown=2), sock)
