"""`qi up` serves the HTTP API beside the worker; Ctrl-C stops it with everything else."""

from __future__ import annotations

import json
import signal
import socket
import stat
import subprocess

import httpx

from tests.e2e.conftest import QI, Qi, StartStack, accepts_connections
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
    shown_by_qi = qi.signed_in("v.iewer", role="viewer").json("show", intervention_id)
    assert shown_by_qi["data"]["state"] == "planned"

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


def test_qi_up_keeps_its_data_folder_to_its_owner_and_seals_with_its_own_key(
    qi: Qi, qi_up: StartStack
) -> None:
    qi.data_dir.chmod(0o755)  # as `qi migrate` or an older release may have left it
    stack = qi_up()
    body = {k: v for k, v in start_request().items() if k != "coordinator"}
    qi.signed_in("c.okafor").ok("start", "--data", json.dumps(body))
    files = {path.name: stat.S_IMODE(path.stat().st_mode) for path in qi.data_dir.iterdir()}
    folder = stat.S_IMODE(qi.data_dir.stat().st_mode)
    listed = qi.ok("keys", "list", "--json")

    assert folder == 0o700
    assert {"temporal.sqlite3", "read-model.sqlite3", "keys.json"} <= set(files)
    assert {name: mode for name, mode in files.items() if mode & 0o077} == {}
    assert [key["current"] for key in json.loads(listed.stdout)] == [True]
    assert stack.stop(signal.SIGINT) == 0, stack.output


def test_qi_up_with_a_key_file_named_but_missing_says_so_in_one_line(qi: Qi) -> None:
    missing = qi.home / "no-keys.json"
    done = subprocess.run([*QI, "up"], cwd=qi.home, env={**qi.env, "QI_KEYS_FILE": str(missing)},
                          capture_output=True, text=True, timeout=60)

    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"error: key file {missing}: no such file; create it with `qi keys create`"]
    assert not accepts_connections(qi.temporal_port)
