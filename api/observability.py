"""Probes and metrics for operators: `/healthz`, `/readyz`, `/metrics`.

Kept out of the OpenAPI document and open without a token: a load balancer or Prometheus has
none, and none of them returns intervention data.
"""

from __future__ import annotations

import asyncio
import time
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.context import ApiContext, get_context
from core.health import lag_or_none, readiness
from core.metrics import CONTENT_TYPE, business_metrics, lag_metrics

__all__ = ["RequestMetrics", "router"]

router = APIRouter(include_in_schema=False)

KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
Context = Annotated[ApiContext, Depends(get_context)]


class RequestMetrics:
    """Counts API requests and times them, by method, route template and status code.

    The registry belongs to the app, so two apps in one process never share series; the route
    template (not the raw path) keeps intervention IDs out of the labels, as folding keeps
    every other value a client chooses: a method HTTP does not define is `other`, a path no
    route matches `unmatched`."""

    def __init__(self, app: ASGIApp, registry: CollectorRegistry) -> None:
        self.app = app
        self.requests = Counter(
            "qi_api_requests", "API requests", ["method", "route", "status"], registry=registry
        )
        self.seconds = Histogram(
            "qi_api_request_duration_seconds", "API request latency", ["method", "route"],
            registry=registry,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        started = time.perf_counter()

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            method = scope["method"] if scope["method"] in KNOWN_METHODS else "other"
            self.requests.labels(method, route, str(status)).inc()
            self.seconds.labels(method, route).observe(time.perf_counter() - started)


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process answers; nothing else is checked (a restart would not mend a dependency)."""
    return {"status": "alive"}


@router.get("/readyz")
async def readyz(context: Context) -> JSONResponse:
    """200 when the read model and Temporal both answer; 503 naming what is down."""
    state = await readiness(context.engine, context.service.client)
    return JSONResponse(state.model_dump(), status_code=200 if state.ready else 503)


@router.get("/metrics")
async def metrics(context: Context) -> Response:
    business, lag = await asyncio.gather(
        asyncio.to_thread(business_metrics, context.engine, counters=context.counters),
        lag_or_none(context.service.client),
    )
    requests = generate_latest(context.request_metrics).decode()
    return Response(business + lag_metrics(lag) + requests, media_type=CONTENT_TYPE)
