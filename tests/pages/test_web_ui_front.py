"""The front `qi up` puts before the dev server's Web UI: it tells the UI to send the browser's
cookies to the codec server, keeps the API's session cookie from the UI server, and passes
everything else through unchanged. The UI server here is a stand-in behind httpx's transport
seam; the browser test of `qi up` (tests/e2e/test_web_ui.py) uses the real one."""

from __future__ import annotations

import gzip
import json
from typing import Any

import httpx
import pytest

from core.web_ui import SETTINGS_PATH, WebUiFront

UPSTREAM = "http://127.0.0.1:40123"
SETTINGS = {"Auth": {"Enabled": False}, "DefaultNamespace": "",
            "Codec": {"Endpoint": "http://127.0.0.1:8000/codec", "PassAccessToken": False,
                      "IncludeCredentials": False},
            "Version": "2.54.1"}


class UiServer:
    """Answers as the UI server would, and keeps what it was sent."""

    def __init__(self, settings: dict[str, Any] | None = None) -> None:
        self.settings = settings if settings is not None else SETTINGS
        self.seen: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        cookies = [("set-cookie", "_csrf=a; Path=/"), ("set-cookie", "other=b; Path=/")]
        if request.url.path == SETTINGS_PATH:
            return httpx.Response(200, json=self.settings, headers=cookies)
        body = gzip.compress(b"<html>workflows</html>")
        return httpx.Response(201, stream=httpx.ByteStream(body), headers=[
            ("content-type", "text/html"), ("content-encoding", "gzip"), *cookies])


def _front(server: UiServer) -> httpx.AsyncClient:
    front = WebUiFront(UPSTREAM, hidden_cookies=["qi_session"],
                       transport=httpx.MockTransport(server))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=front),
                             base_url="http://127.0.0.1:8233")


async def test_the_ui_is_told_to_send_cookies_to_its_codec_server() -> None:
    server = UiServer()
    async with _front(server) as browser:
        answered = await browser.get(SETTINGS_PATH)

    expected = json.loads(json.dumps(SETTINGS))
    expected["Codec"]["IncludeCredentials"] = True
    expected["DisableWriteActions"] = True
    assert answered.status_code == 200
    assert answered.json() == expected
    assert int(answered.headers["content-length"]) == len(answered.content)
    assert answered.headers.get_list("set-cookie") == ["_csrf=a; Path=/", "other=b; Path=/"]
    assert server.seen[0].headers["accept-encoding"] == "identity"


async def test_without_a_codec_endpoint_the_settings_are_left_alone() -> None:
    settings = {**SETTINGS, "Codec": {"Endpoint": "", "IncludeCredentials": False}}
    async with _front(UiServer(settings)) as browser:
        answered = await browser.get(SETTINGS_PATH)

    assert answered.json() == {**settings, "DisableWriteActions": True}


@pytest.mark.parametrize(("method", "path"), [
    ("POST", "/api/v1/namespaces/default/workflows/intervention-1/terminate"),
    ("POST", "/api/v1/namespaces/default/workflows/intervention-1/cancel"),
    ("POST", "/api/v1/namespaces/default/workflows/intervention-1/reset"),
    ("POST", "/api/v1/namespaces/default/workflows/intervention-1/signal/anything"),
    ("POST", "/api/v1/namespaces/default/workflows/intervention-1/update/escalate"),
    ("POST", "/api/v1/namespaces/default/workflows/intervention-1"),
    ("POST", "/api/v1/namespaces/default/batch-operations/job-1"),
    ("DELETE", "/api/v1/namespaces/default/schedules/s-1"),
])
async def test_a_change_to_a_workflow_is_refused_and_never_reaches_the_ui_server(
    method: str, path: str
) -> None:
    server = UiServer()
    async with _front(server) as browser:
        answered = await browser.request(method, path, content=b"{}")

    assert answered.status_code == 403
    assert "Changes from the Web UI are turned off" in answered.text
    assert server.seen == []


async def test_everything_else_passes_through_but_the_session_cookie() -> None:
    server = UiServer()
    async with _front(server) as browser:
        answered = await browser.post(
            "/api/v1/namespaces/default/workflows/w-1/query/status?x=1", content=b'{"a": 1}',
            headers={"Cookie": "_csrf=a; qi_session=SECRET; theme=dark",
                     "X-CSRF-TOKEN": "a", "Authorization": "Bearer t"})

    (sent,) = server.seen
    assert sent.method == "POST"
    assert str(sent.url) == f"{UPSTREAM}/api/v1/namespaces/default/workflows/w-1/query/status?x=1"
    assert sent.content == b'{"a": 1}'
    assert sent.headers["cookie"] == "_csrf=a; theme=dark"
    assert "SECRET" not in str(sent.headers)
    assert sent.headers["x-csrf-token"] == "a"
    assert sent.headers["authorization"] == "Bearer t"
    assert sent.headers["host"] == "127.0.0.1:40123"
    # The answer comes back as it was: status, cookies, and the body still compressed.
    assert answered.status_code == 201
    assert answered.headers["content-encoding"] == "gzip"
    assert answered.content == b"<html>workflows</html>"  # httpx undid the gzip
    assert answered.headers.get_list("set-cookie") == ["_csrf=a; Path=/", "other=b; Path=/"]


async def test_a_request_with_only_the_session_cookie_sends_no_cookie() -> None:
    server = UiServer()
    async with _front(server) as browser:
        await browser.get("/", headers={"Cookie": "qi_session=SECRET"})

    assert "cookie" not in server.seen[0].headers


async def test_a_ui_server_that_does_not_answer_is_a_502_saying_so() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    front = WebUiFront(UPSTREAM, hidden_cookies=[], transport=httpx.MockTransport(down))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=front),
                                 base_url="http://127.0.0.1:8233") as browser:
        answered = await browser.get("/namespaces/default/workflows")

    assert answered.status_code == 502
    assert "The Temporal Web UI is not answering" in answered.text
