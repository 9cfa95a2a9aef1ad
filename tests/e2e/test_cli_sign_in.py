"""`qi` drives interventions as the user signed in with `qi login`, through the HTTP API: the
token is kept where only its owner can read it, is never printed, and stops working at
`qi logout`; without a sign-in nothing is sent."""

from __future__ import annotations

import json
import stat
import subprocess
from dataclasses import replace

import httpx

from cli.exit_codes import EXIT_INVALID, EXIT_NOT_SIGNED_IN, EXIT_UNKNOWN
from tests.e2e.conftest import QI, Qi, StartStack
from tests.scenario import start_request


def _login(qi: Qi, token: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*QI, "login", "--token-stdin", *args], cwd=qi.home, env=qi.env,
                          input=token + "\n", capture_output=True, text=True, timeout=60)


def _start_body() -> str:
    request = start_request()
    return json.dumps({k: v for k, v in request.items() if k != "coordinator"})


def test_commands_run_as_the_signed_in_user_and_stop_at_logout(
    qi: Qi, qi_up: StartStack
) -> None:
    qi_up()
    nobody = qi("show", "QI-2026-0001")
    assert nobody.returncode == EXIT_NOT_SIGNED_IN
    assert "not signed in: run `qi login`" in nobody.stderr

    qi.ok("users", "add", "c.okafor", "--role", "coordinator")
    token = qi.ok("tokens", "issue", "c.okafor").stdout.strip().split()[-1]
    lead = qi.signed_in("p.lead", role="provider_lead", provider="ROTHER")
    okafor = replace(qi, user="c.okafor")
    signed = _login(okafor, token, "--url", f"http://127.0.0.1:{qi.api_port}")
    assert signed.returncode == 0, signed.stderr
    assert f"signed in to http://127.0.0.1:{qi.api_port} as c.okafor (coordinator)" in signed.stdout
    assert token not in signed.stdout + signed.stderr
    assert stat.S_IMODE(okafor.credentials.stat().st_mode) == 0o600
    assert stat.S_IMODE(okafor.credentials.parent.stat().st_mode) == 0o700
    assert okafor.ok("whoami").stdout.startswith("c.okafor (coordinator) at http://127.0.0.1")

    reference = okafor.ok("start", "--data", _start_body()).stdout.strip()
    audit = okafor.json("audit", reference)
    assert [(e["command"], e["actor"]) for e in audit][:1] == [("start", "c.okafor")]
    # Another provider's lead, signed in as themselves, cannot see it at all.
    assert lead("show", reference).returncode == EXIT_UNKNOWN

    assert okafor.ok("logout").stdout.startswith("signed out of http://127.0.0.1")
    assert not okafor.credentials.exists()
    revoked = httpx.get(f"http://127.0.0.1:{qi.api_port}/me",
                        headers={"Authorization": f"Bearer {token}"})
    assert revoked.status_code == 401
    assert okafor("whoami").returncode == EXIT_NOT_SIGNED_IN


def test_a_token_is_sent_unencrypted_only_to_this_machine(qi: Qi) -> None:
    done = _login(qi, "qi_" + "x" * 43, "--url", "http://qi.example.nhs.uk")

    assert done.returncode == EXIT_INVALID
    assert "--url: " in done.stderr
    assert "use https://" in done.stderr
    assert not qi.credentials.exists()


def test_a_wrong_token_is_not_kept(qi: Qi, qi_up: StartStack) -> None:
    qi_up()
    done = _login(qi, "qi_" + "x" * 43, "--url", f"http://127.0.0.1:{qi.api_port}")

    assert done.returncode == EXIT_NOT_SIGNED_IN
    assert "does not accept this sign-in" in done.stderr
    assert not qi.credentials.exists()
