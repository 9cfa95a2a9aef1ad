"""What `create_app` was built with, kept on the app for routes and dependencies to reach."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from prometheus_client import CollectorRegistry
from sqlalchemy import Engine

from api.throttle import FailureThrottle
from core.codec import SealingCodec
from core.interventions import Interventions
from core.metrics import CommandCounters
from core.settings import Settings
from models.catalogue import Catalogue

__all__ = ["ApiContext", "get_context"]


@dataclass(frozen=True)
class ApiContext:
    """Everything `create_app` was given; routes reach it through the dependencies."""

    service: Interventions
    engine: Engine
    catalogue: Catalogue
    settings: Settings
    counters: CommandCounters
    request_metrics: CollectorRegistry
    throttle: FailureThrottle
    codec: SealingCodec | None = None  # the codec server's; None: it answers 503


def get_context(request: Request) -> ApiContext:
    context: ApiContext = request.app.state.context
    return context
