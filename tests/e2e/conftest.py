"""Run `qi` as a newcomer does: `qi migrate` and `qi up` (what `make run` runs) in one
terminal, `qi` commands in another.

Every process is a real subprocess with its own environment: a fresh data folder, free ports
and a task queue of its own, and no QI_ or TEMPORAL_ variable, Temporal client profile or `.env`
file inherited from the developer.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import pytest

from tests.processes import ProcessOutput, free_port

REPO = Path(__file__).resolve().parents[2]
QI = [sys.executable, "-m", "cli"]

READY_LINE = "Web UI:"
UP_TIMEOUT = 60.0
STOP_TIMEOUT = 20.0
COMMAND_TIMEOUT = 60.0


def accepts_connections(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1.0)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _as_foreground_job() -> None:
    # A terminal's Ctrl-C reaches a foreground job whose SIGINT is not ignored; a test runner
    # started in the background may hand its children an ignored SIGINT, so reset it.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@dataclass(frozen=True)
class Qi:
    """One local deployment's settings, and a way to run `qi` commands against it."""

    home: Path
    temporal_port: int
    ui_port: int
    task_queue: str
    api_port: int
    user: str = "nobody"  # whose sign-in (`qi login`) the commands run with

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def credentials(self) -> Path:
        return self.home / "sign-ins" / f"{self.user}.json"

    def signed_in(self, name: str, role: str = "coordinator", email: str | None = None,
                  provider: str | None = None) -> Qi:
        """The same deployment, with `name` added as a user and signed in, as `qi users add
        --login` does for the first coordinator; commands then run as them."""
        other = replace(self, user=name)
        other.ok("users", "add", name, "--role", role, "--login",
                 *(["--email", email] if email else []),
                 *(["--provider", provider] if provider else []))
        return other

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("QI_", "TEMPORAL_"))}
        env.update(
            # No Temporal client profile of the developer's either: the embedded server it is.
            TEMPORAL_CONFIG_FILE=str(self.home / "no-temporal-profile.toml"),
            PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
            QI_DATA_DIR=str(self.data_dir),
            QI_TEMPORAL_PORT=str(self.temporal_port),
            QI_UI_PORT=str(self.ui_port),
            QI_API_PORT=str(self.api_port),
            QI_TASK_QUEUE=self.task_queue,
            QI_CREDENTIALS_FILE=str(self.credentials),
        )
        return env

    def __call__(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*QI, *args], cwd=self.home, env=self.env, capture_output=True, text=True,
            timeout=COMMAND_TIMEOUT, check=False, input=input,
        )

    def ok(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run a command that must succeed (`input` on its standard input); fail with its
        output if it does not."""
        done = self(*args, input=input)
        assert done.returncode == 0, (
            f"qi {' '.join(args)} exited {done.returncode}\n"
            f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
        )
        return done

    def json(self, *args: str) -> Any:
        return json.loads(self.ok(*args, "--json").stdout)


@dataclass
class RunningStack:
    """A `qi up` process in its own process group, its output collected as it comes."""

    process: subprocess.Popen[str]
    out: ProcessOutput = field(init=False)

    def __post_init__(self) -> None:
        self.out = ProcessOutput(self.process)

    @property
    def output(self) -> str:
        return self.out.text

    def wait_for_output(self, text: str, timeout: float) -> None:
        if not self.out.wait_for(text, timeout):
            pytest.fail(f"`qi up` did not print {text!r} within {timeout:.0f}s "
                        f"(exit code {self.process.poll()}); its output:\n{self.output}")

    def stop(self, signum: signal.Signals, timeout: float = STOP_TIMEOUT) -> int:
        """Send `signum` to `qi up` alone (not its group) and wait for it to exit."""
        self.process.send_signal(signum)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"`qi up` still running {timeout:.0f}s after {signum.name}; "
                        f"its output:\n{self.output}")

    def group_alive(self) -> bool:
        """Whether any process is left in the group `qi up` led (the dev server is its child)."""
        try:
            os.killpg(self.process.pid, 0)
        except ProcessLookupError:
            return False
        return True

    def kill(self) -> None:
        if self.process.poll() is None or self.group_alive():
            # SIGKILL to the whole group: the dev server goes even if `qi up` cannot clean up.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(STOP_TIMEOUT)
        self.out.finish(STOP_TIMEOUT)
        if self.process.stdout is not None:
            self.process.stdout.close()


class StartStack(Protocol):
    def __call__(self) -> RunningStack: ...


@pytest.fixture
def qi(tmp_path: Path) -> Qi:
    """A deployment whose read model `qi migrate` has set up, as `make run` does first."""
    qi = Qi(home=tmp_path, temporal_port=free_port(), ui_port=free_port(),
            task_queue=f"qi-e2e-{uuid.uuid4().hex[:12]}", api_port=free_port())
    qi.ok("migrate")
    return qi


@pytest.fixture
def qi_up(qi: Qi) -> Iterator[StartStack]:
    """Start `qi up` and wait until it is ready; whatever happens, nothing is left running."""
    started: list[RunningStack] = []

    def start() -> RunningStack:
        process = subprocess.Popen(
            [*QI, "up"], cwd=qi.home, env=qi.env, text=True, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            start_new_session=True, preexec_fn=_as_foreground_job,
        )
        stack = RunningStack(process)
        started.append(stack)
        stack.wait_for_output(READY_LINE, UP_TIMEOUT)
        return stack

    yield start
    for stack in started:
        stack.kill()
