"""The API's pages at /docs come from the installed Swagger UI package, from this origin alone,
and work under their Content-Security-Policy (no inline script or style); a browser test loads
them in headless Chromium (skipped where it is absent, unless QI_TEST_REQUIRE_BROWSER=1)."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine
from swagger_ui_bundle import swagger_ui_path
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from core.interventions import Interventions
from models.catalogue import load_catalogue
from tests.api.conftest import TEST_HOST, assert_error, settings
from tests.browser import chromium, require_browser
from tests.databases import sqlite_read_model
from tests.processes import free_port

BASE = f"http://{TEST_HOST}"


class _Page(HTMLParser):
    """What a page loads (every src and href) and any inline script or style it holds."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.urls += [v for k, v in attrs if k in ("src", "href") and v]
        self.inline += [k for k, _ in attrs if k == "style" or k.startswith("on")]
        if tag == "style" or (tag == "script" and not values.get("src")):
            self.inline.append(tag)
        self._in_script = tag == "script"

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline.append("script body")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False


@pytest.fixture
def read_model(tmp_path: Path) -> Iterator[Engine]:
    yield from sqlite_read_model(tmp_path)


@pytest.fixture
def app(read_model: Engine, dev_env: WorkflowEnvironment) -> FastAPI:
    catalogue = load_catalogue()
    service = Interventions(dev_env.client, task_queue="unused", catalogue=catalogue)
    return create_app(service=service, engine=read_model, catalogue=catalogue,
                      settings=settings())


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE)


async def test_the_docs_page_loads_only_same_origin_assets_and_each_is_served(
    app: FastAPI,
) -> None:
    async with _client(app) as client:
        page = await client.get("/docs")
        parsed = _Page()
        parsed.feed(page.text)
        urls = [urljoin(f"{BASE}/docs", url) for url in parsed.urls]
        assets = {url: await client.get(url) for url in urls}
        init = await client.get("/docs/assets/init.js")

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert parsed.inline == []
    assert len(urls) == 4  # the stylesheet, the icon, Swagger UI and the script that starts it
    assert {urlsplit(url).netloc for url in urls} == {TEST_HOST}
    assert {url: r.status_code for url, r in assets.items()} == dict.fromkeys(urls, 200)
    kinds = {urlsplit(url).path.rsplit(".", 1)[1]: r.headers["content-type"].split(";")[0]
             for url, r in assets.items()}
    assert kinds == {"css": "text/css", "png": "image/png", "js": "text/javascript"}
    # The package's own files, byte for byte.
    bundle = assets[f"{BASE}/docs/assets/swagger-ui-bundle.js"].content
    assert hashlib.sha256(bundle).digest() == hashlib.sha256(
        (Path(swagger_ui_path) / "swagger-ui-bundle.js").read_bytes()).digest()
    assert 'url: "openapi.json"' in init.text  # the document, from this origin too
    assert "http" not in init.text


@pytest.mark.parametrize("name", ["index.html", "swagger-initializer.js",
                                  "swagger-ui-bundle.js.map", "..%2F..%2F__init__.py"])
async def test_only_the_files_the_page_uses_are_served(app: FastAPI, name: str) -> None:
    async with _client(app) as client:
        response = await client.get(f"/docs/assets/{name}")

    assert_error(response, 404, "UnknownReference")


async def test_no_page_loads_from_a_cdn(app: FastAPI) -> None:
    async with _client(app) as client:
        redoc = await client.get("/redoc")
        docs = await client.get("/docs")

    assert redoc.status_code == 404
    assert "cdn" not in docs.text.lower()
    assert "//" not in docs.text.replace("<!DOCTYPE html>", "")


@pytest.fixture
async def served(app: FastAPI) -> AsyncIterator[str]:
    """The app on a real socket on this machine, as a browser reaches it."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None))
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


async def test_the_docs_page_works_in_a_browser_under_its_content_security_policy(
    app: FastAPI, served: str,
) -> None:
    require_browser()
    from playwright.async_api import expect

    console: list[str] = []
    requested: list[str] = []
    async with chromium() as browser:
        page = await browser.new_page()
        page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
        page.on("request", lambda request: requested.append(request.url))
        await page.goto(f"{served}/docs")
        operations = page.locator(".opblock")
        await expect(operations.first).to_be_visible(timeout=30_000)
        shown = await operations.count()
        await expect(page.get_by_text("Quality interventions").first).to_be_visible()
        # An operation opened shows its parameters, its responses and their media types.
        await page.locator(".opblock-summary").first.click()
        await expect(page.locator(".responses-wrapper").first).to_be_visible()
        await page.get_by_role("button", name="Try it out").first.click()
        await expect(page.get_by_role("button", name="Execute")).to_be_visible()

    documented = sum(len(operations) for operations in app.openapi()["paths"].values())
    assert shown == documented > 0  # every operation of the OpenAPI document
    assert [line for line in console if "error" in line.split(":")[0]] == []
    assert not [line for line in console if "Content Security Policy" in line]
    assert {urlsplit(url).netloc for url in requested if not url.startswith("data:")} == {
        urlsplit(served).netloc}
