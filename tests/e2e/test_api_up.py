"""`qi up` serves the HTTP API beside the worker; Ctrl-C stops it with everything else."""

from __future__ import annotations

import signal
import socket

import httpx

from tests.e2e.conftest import Qi, StartStack, accepts_connections
from tests.scenario import start_request


def test_qi_up_serves_the_api_and_ctrl_c_stops_it(qi: Qi, qi_up: StartStack) -> None:
    qi.ok("users", "add", "c.okafor", "--role", "coordinator")
    token = qi.ok("tokens", "issue", "c.okafor").stdout.strip()
    stack = qi_up()
    stack.wait_for_output("HTTP API:", 10)
    base = f"http://127.0.0.1:{qi.api_port}"
    assert f"HTTP API:    {base}/docs" in stack.output

    body = start_request()
    del body["coordinator"]
    with httpx.Client(base_url=base, timeout=30,
                      headers={"Authorization": f"Bearer {token}"}) as client:
        docs = client.get("/docs")
        started = client.post("/interventions", json=body)
        intervention_id = started.json()["data"]["intervention_id"]
        shown = client.get(f"/interventions/{intervention_id}")

    assert docs.status_code == 200
    assert started.status_code == 201, started.text
    assert shown.json()["data"]["coordinator"] == "c.okafor"
    assert qi.json("show", intervention_id)["data"]["state"] == "planned"

    assert stack.stop(signal.SIGINT) == 0, stack.output
    assert not accepts_connections(qi.api_port)
    assert not stack.group_alive()


def test_qi_up_with_the_api_port_taken_fails_at_once_naming_it(qi: Qi) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", qi.api_port))
        taken.listen()
        done = qi("up")

    assert done.returncode == 4
    assert f"127.0.0.1:{qi.api_port}" in done.stderr
    assert "QI_API_PORT" in done.stderr
    assert not accepts_connections(qi.temporal_port)
