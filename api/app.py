"""The FastAPI application, built from what the caller hands it, and its server.

`create_app` builds nothing itself; `serve_api` (used by `qi api` and `qi up`) connects to
Temporal and the read model from settings, then serves until cancelled.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterable
from importlib.metadata import version
from typing import Any

import uvicorn
from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from sqlalchemy import Engine
from starlette.types import ASGIApp
from temporalio.client import Client

from api import docs, observability, pages
from api.context import ApiContext
from api.errors import ERROR_RESPONSES, install_error_handlers
from api.middleware import BodyLimit, HostCheck, SecurityHeaders
from api.observability import RequestMetrics
from api.routes import codec_server, commands, exports, interventions, me, outbox, types
from api.throttle import FailureThrottle
from core.codec import SealingCodec
from core.database import make_engine
from core.interventions import Interventions
from core.metrics import CommandCounters
from core.serving import serve_until_cancelled
from core.settings import Settings
from models.catalogue import Catalogue, load_catalogue
from models.intervention import Contacts

__all__ = ["bind_api_socket", "codec_url", "create_app", "docs_url", "pages_url", "serve_api",
           "server_config"]

DESCRIPTION = """Start and drive quality interventions; read their status, audit trail and
schedule. Every request needs a bearer token (`qi tokens issue NAME`). Errors have one format,
RFC 9457 problem details (`application/problem+json`), each problem naming its field."""


class _Api(FastAPI):
    """FastAPI with two layers outside all of its own, even the handler of unexpected errors:
    the Host check, and the security headers, so no response leaves without them."""

    def __init__(self, *, allowed_hosts: Iterable[str], **kwargs: Any) -> None:
        self.allowed_hosts = list(allowed_hosts)
        super().__init__(**kwargs)

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(HostCheck(super().build_middleware_stack(), self.allowed_hosts))


def create_app(
    *,
    service: Interventions,
    engine: Engine,
    catalogue: Catalogue,
    settings: Settings,
    counters: CommandCounters | None = None,
    codec: SealingCodec | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> FastAPI:
    """The app; `counters` is the one `service` reports refusals to, so /metrics shows them;
    `codec` is the one the codec server opens and seals payloads with; `clock` (seconds)
    times the throttling of failed authentication."""
    app = _Api(
        allowed_hosts=settings.allowed_hosts,
        title="Quality interventions",
        version=version("quality-interventions"),
        description=DESCRIPTION,
        responses=ERROR_RESPONSES,
        docs_url=None,  # served from installed assets: api.docs
        redoc_url=None,
    )
    request_metrics = CollectorRegistry(auto_describe=False)
    throttle = FailureThrottle(
        limit=settings.auth_failure_limit, window=settings.auth_failure_window_seconds,
        max_clients=settings.auth_failure_max_clients, clock=clock,
    )
    app.state.context = ApiContext(
        service=service, engine=engine, catalogue=catalogue, settings=settings,
        counters=counters or CommandCounters(), request_metrics=request_metrics,
        throttle=throttle, codec=codec,
    )
    install_error_handlers(app)
    app.add_middleware(BodyLimit, max_bytes=settings.api_max_body_bytes)
    app.add_middleware(RequestMetrics, registry=request_metrics)
    # Outermost of these: a browser's preflight is answered, and a refusal carries the CORS
    # headers.
    app.add_middleware(codec_server.CodecCors, origin=settings.resolved_ui_origin)
    for module in (me, types, interventions, commands, exports, outbox, observability,
                   codec_server, docs):
        app.include_router(module.router)
    pages.install(app)
    return app


def _base_url(settings: Settings) -> str:
    host = settings.api_host if settings.api_host not in ("0.0.0.0", "::") else "127.0.0.1"
    return f"http://{host}:{settings.api_port}"


def docs_url(settings: Settings) -> str:
    return f"{_base_url(settings)}/docs"


def pages_url(settings: Settings) -> str:
    """Where a person signs in to the service's pages."""
    return f"{_base_url(settings)}/sign-in"


def codec_url(settings: Settings) -> str:
    """The codec server's endpoint, as the Web UI is told it (it adds /encode and /decode)."""
    return f"{_base_url(settings)}/codec"


def bind_api_socket(settings: Settings) -> socket.socket:
    """Take the API's port now, so a port in use fails before anything else starts."""
    family = socket.AF_INET6 if ":" in settings.api_host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((settings.api_host, settings.api_port))
    except OSError as exc:
        sock.close()
        raise RuntimeError(
            f"cannot serve the API on {settings.api_host}:{settings.api_port} ({exc.strerror}); "
            "set QI_API_PORT to a free port"
        ) from None
    sock.listen(128)
    return sock


def server_config(app: FastAPI, settings: Settings) -> uvicorn.Config:
    """uvicorn's settings: `X-Forwarded-For` is believed only from QI_API_TRUSTED_PROXIES (by
    default from no one: uvicorn's own default would believe anyone on this machine)."""
    proxies = settings.api_trusted_proxies
    return uvicorn.Config(app, log_config=None, timeout_graceful_shutdown=5,
                          proxy_headers=bool(proxies), forwarded_allow_ips=proxies or None)


async def serve_api(settings: Settings, client: Client, sock: socket.socket | None = None) -> None:
    """Serve the API until cancelled; then finish the requests in flight and stop.

    It never migrates the read model (`qi migrate` does): until that has run, `/readyz` says
    so and requests that need the read model fail."""
    engine = make_engine(settings.resolved_database_url)
    catalogue = load_catalogue(settings.catalogue)
    contacts = Contacts(quality_lead_email=settings.quality_lead_email,
                        dean_email=settings.dean_email)
    counters = CommandCounters()
    service = Interventions(client, task_queue=settings.task_queue, catalogue=catalogue,
                            contacts=contacts, refusals=counters, engine=engine)
    sealing = client.data_converter.payload_codec
    app = create_app(service=service, engine=engine, catalogue=catalogue, settings=settings,
                     counters=counters,
                     codec=sealing if isinstance(sealing, SealingCodec) else None)
    sock = sock or bind_api_socket(settings)
    try:
        await serve_until_cancelled(server_config(app, settings), sock)
    finally:
        sock.close()
        engine.dispose()
