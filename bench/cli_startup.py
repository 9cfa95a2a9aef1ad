"""How soon `qi` answers: wall time of `qi` commands that need no server, run as a newcomer
runs them (a fresh interpreter each time), and the modules that cost the most to import; and
`qi show`, `qi list`, a lifecycle command (`qi escalate`) and `qi start` against a running
service (the HTTP API, signed in as a coordinator) beside a bare Temporal client script asking
the intervention's workflow for its status.

    python -m bench.cli_startup [--runs 15] [--repo PATH]

Prints JSON: per command the fastest and median run in milliseconds (the fastest is the least
disturbed by other work on the machine), the interpreter's own start for comparison, and the
slowest top-level imports of `qi types`. `--repo` times another checkout of the project (e.g.
an older commit unpacked with `git archive`) with this interpreter.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

__all__ = ["main"]

COMMANDS = (["--help"], ["types"], ["convene-panel", "--help"], ["start", "--help"])
REPO = Path(__file__).resolve().parents[1]


# A client script with nothing of the project: connect, ask the workflow for its status. The
# answer is sealed, which this script cannot open: it takes the raw answer, the same round trip.
_BARE_CLIENT = """
import asyncio, os, sys
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.query.v1 import WorkflowQuery
from temporalio.api.workflowservice.v1 import QueryWorkflowRequest
from temporalio.client import Client
async def main():
    client = await Client.connect(sys.argv[1])
    await client.workflow_service.query_workflow(QueryWorkflowRequest(
        namespace="default", execution=WorkflowExecution(workflow_id=sys.argv[2]),
        query=WorkflowQuery(query_type="status")))
asyncio.run(main())
sys.stdout.flush()
os._exit(0)
"""


def _env(repo: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QI_")}
    env["PYTHONPATH"] = str(repo)
    return {**env, **(extra or {})}


def _timed(argv: list[str], repo: Path, extra: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(argv, cwd=repo, env=_env(repo, extra), check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def _runs(
    argv: list[str], repo: Path, runs: int, extra: dict[str, str] | None = None
) -> dict[str, float]:
    _timed(argv, repo, extra)  # warm the file cache and the bytecode
    seconds = [_timed(argv, repo, extra) for _ in range(runs)]
    return {"min_ms": round(1000 * min(seconds), 1),
            "median_ms": round(1000 * statistics.median(seconds), 1)}


async def _against_the_service(repo: Path, runs: int) -> dict[str, object]:
    """Each `qi` command and the bare script, interleaved, against one dev server, worker and
    API."""
    from api.app import bind_api_socket, serve_api
    from bench.stack import PROJECT_QUEUE, running_stack
    from cli.credentials import Credentials, save
    from core.database import make_engine
    from core.settings import Settings
    from core.users import add_user, issue_token
    from models.tables import ApiUserCreate
    from models.vocabulary import Role
    from tests import scenario

    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        async with running_stack(workdir) as stack:
            settings = Settings(database_url=f"sqlite:///{workdir / 'read-model.sqlite3'}",
                                task_queue=PROJECT_QUEUE, api_port=_free_port())
            engine = make_engine(settings.resolved_database_url)
            add_user(engine, ApiUserCreate(name=scenario.COORDINATOR, role=Role.coordinator),
                     operator="bench")
            token = issue_token(engine, scenario.COORDINATOR, lifetime=timedelta(days=1),
                                operator="bench").token
            engine.dispose()
            extra = {"QI_CREDENTIALS_FILE": str(workdir / "credentials.json")}
            os.environ.update(extra)
            save(Credentials(url=f"http://127.0.0.1:{settings.api_port}", token=token,
                             user=scenario.COORDINATOR, role="coordinator"))
            api = asyncio.create_task(serve_api(settings, stack.client,
                                                bind_api_socket(settings)))
            try:
                status = await stack.service().start(scenario.start_request())
                reference = status.data.reference or status.data.intervention_id
                bare = [sys.executable, "-c", _BARE_CLIENT, stack.address,
                        status.data.intervention_id]
                commands = {
                    "qi show": ["show", reference],
                    "qi list": ["list"],
                    "qi escalate": ["escalate", reference, "--level", "provider_executive",
                                    "--reason", "No reply from the trust"],
                    "qi start": ["start", *_start_options(scenario.start_request())],
                }
                report: dict[str, object] = {}
                for name, args in commands.items():
                    # In a thread: the worker and the API answering run on this event loop.
                    qi, script = await asyncio.to_thread(
                        _alternating, [sys.executable, "-m", "cli", *args], bare, repo, runs,
                        extra)
                    report[name] = {**qi, "bare client script": script,
                                    "ratio_median": round(qi["median_ms"]
                                                          / script["median_ms"], 2)}
            finally:
                api.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await api
    return report


def _start_options(request: dict[str, Any]) -> list[str]:
    """A start request as `qi start` takes it (a new intervention each run)."""
    options = ["--type", request["type"], "--coordinator-email", request["coordinator_email"]]
    for group in ("provider", "concern"):
        for name, value in request[group].items():
            options += [f"--{group}-{name.replace('_', '-')}", str(value)]
    return options


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _alternating(
    first: list[str], second: list[str], repo: Path, runs: int, extra: dict[str, str]
) -> tuple[dict[str, float], dict[str, float]]:
    """Both commands timed in turn, so whatever else the machine does hits both alike."""
    _timed(first, repo, extra)
    _timed(second, repo)
    pairs = [(_timed(first, repo, extra), _timed(second, repo)) for _ in range(runs)]

    def summary(seconds: list[float]) -> dict[str, float]:
        return {"min_ms": round(1000 * min(seconds), 1),
                "median_ms": round(1000 * statistics.median(seconds), 1)}

    return summary([a for a, _ in pairs]), summary([b for _, b in pairs])


def _slowest_imports(repo: Path, args: list[str], count: int = 8) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "cli", *args], cwd=repo,
                          env=_env(repo), check=True, capture_output=True, text=True)
    top: dict[str, float] = {}
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line.split("|")
        if name.startswith("  ") or not cumulative.strip().isdigit():
            continue  # only what the command itself imports, not what those imports import
        top[name.strip()] = round(int(cumulative) / 1000, 1)
    return dict(sorted(top.items(), key=lambda kv: -kv[1])[:count])


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.cli_startup", description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--repo", type=Path, default=REPO)
    options = parser.parse_args(argv)
    repo = options.repo.resolve()
    from bench.stack import json_stdout

    out = json_stdout()
    report = {
        "repo": str(repo),
        "python_start": _runs([sys.executable, "-c", "pass"], repo, options.runs),
        "commands": {"qi " + " ".join(args): _runs([sys.executable, "-m", "cli", *args], repo,
                                                    options.runs) for args in COMMANDS},
        "slowest_imports_ms": {"qi types": _slowest_imports(repo, ["types"]),
                               "qi --help": _slowest_imports(repo, ["--help"])},
        "against_the_service": asyncio.run(_against_the_service(repo, options.runs)),
    }
    print(json.dumps(report, indent=2), file=out, flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
