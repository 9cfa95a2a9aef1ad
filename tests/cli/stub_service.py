"""A stand-in for the service's HTTP API, for `qi`'s own tests: no Temporal, no database, but
the API's real bodies (`models.bodies`) and its real error format (`api.errors`), so `qi` is
refused exactly as the service refuses it. A body that passes is recorded, and answered as if
the start or the command had been accepted. Served by uvicorn on a thread, on a socket bound
before it starts, so a request made at once waits in the backlog instead of failing.

No `from __future__ import annotations`: FastAPI reads the routes' annotations at runtime.
"""

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any

import uvicorn
from fastapi import Body, FastAPI

from api.errors import install_error_handlers
from models.bodies import COMMAND_BODIES, StartBody, has_required_fields
from models.commands import Event

__all__ = ["REFERENCE", "Stub", "running_stub"]

REFERENCE = "QI-2027-0042"
INTERVENTION_ID = "intervention-00000000-0000-4000-8000-000000000042"


@dataclass
class Stub:
    url: str
    received: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


def _status() -> dict[str, Any]:
    return {
        "data": {"intervention_id": INTERVENTION_ID, "reference": REFERENCE, "state": "planned",
                 "meetings": [], "findings": [], "actions": []},
        "next_steps": [{"command": "convene_panel", "moves_to": "panel_convened",
                        "blocked_by": [], "needs": []}],
    }


def _command_route(app: FastAPI, stub: Stub, event: Event) -> None:
    # As the API takes it: a body with no required field may be left out.
    body_model = COMMAND_BODIES[event]
    taken = body_model if has_required_fields(body_model) else body_model | None

    def send(intervention_id: str, body: Annotated[taken, Body()] = None) -> dict[str, Any]:
        sent = body.model_dump(mode="json", exclude_unset=True) if body is not None else {}
        stub.received.append((event.value, sent))
        return {"intervention_id": INTERVENTION_ID, "reference": REFERENCE,
                "command": event.value, "state": "planned", "seq": len(stub.received),
                "allowed": ["convene_panel"]}

    app.add_api_route(f"/interventions/{{intervention_id}}/{event.value.replace('_', '-')}",
                      send, methods=["POST"])


def _app(stub: Stub) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/interventions/{intervention_id}")
    def status(intervention_id: str) -> dict[str, Any]:
        return _status()

    @app.post("/interventions", status_code=201)
    def start(body: Annotated[StartBody, Body()]) -> dict[str, Any]:
        stub.received.append(("start", body.model_dump(mode="json", exclude_unset=True)))
        return _status()

    for event in COMMAND_BODIES:
        _command_route(app, stub, event)
    return app


@contextmanager
def running_stub() -> Iterator[Stub]:
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    listening.listen(64)
    host, port = listening.getsockname()
    stub = Stub(url=f"http://{host}:{port}")
    server = uvicorn.Server(uvicorn.Config(_app(stub), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        listening.close()
