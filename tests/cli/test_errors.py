"""Errors name what to fix: the option, the rule in plain words, the allowed values; never a
JSON path or a regex. `qi` sends what was typed and the service checks it (here a stand-in with
the API's real bodies and error format); its refusal comes back in the options' terms. Each
exit code has one meaning."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from cli import cli
from cli.exit_codes import EXIT_INVALID, EXIT_UNKNOWN
from cli.options import command_options
from cli.problems import explain_problems
from models.errors import ErrorType, InterventionError, Problem
from tests.cli.stub_service import REFERENCE, Stub

REPO = Path(__file__).resolve().parents[2]

START = ("start", "--type", "urgent_risk_review", "--provider-code", "RXX01",
         "--provider-name", "N", "--provider-site", "S", "--provider-lead-name", "Dr L",
         "--provider-lead-email", "dme@x.nhs.uk", "--concern-likelihood", "4",
         "--concern-impact", "4", "--concern-summary", "s")


def _refused(stub: Stub, *args: str) -> str:
    """The one error line of `qi *args`, which the service refused as invalid input."""
    done = CliRunner().invoke(cli, list(args))

    assert done.exit_code == EXIT_INVALID, done.output
    assert stub.received == [], "nothing is accepted"
    assert done.stdout == ""
    assert done.stderr.startswith("error: ")
    assert done.stderr.count("\n") == 1, done.stderr
    return done.stderr.removeprefix("error: ").strip()


def _replaced(args: tuple[str, ...], **values: str) -> tuple[str, ...]:
    changed = list(args)
    for name, value in values.items():
        changed[changed.index("--" + name.replace("_", "-")) + 1] = value
    return tuple(changed)


def test_a_bad_start_names_options_not_fields_and_no_pattern(signed_in: Stub) -> None:
    line = _refused(signed_in, *_replaced(
        START, provider_lead_name="", provider_lead_email="dme-at-trust",
        concern_likelihood="9"))

    assert "--provider-lead-name: must not be empty" in line
    assert "--provider-lead-email: 'dme-at-trust' is not an e-mail address" in line
    assert "--concern-likelihood: '9' is not a whole number from 1 to 5" in line
    assert "provider.lead_name" not in line
    assert "^" not in line


def test_a_start_without_a_type_offers_the_catalogues_types(signed_in: Stub) -> None:
    without = START[:1] + START[3:]

    line = _refused(signed_in, *without)

    assert line.startswith("--type: required; give one of: urgent_risk_review, programme_review")
    assert "(or a type's name; `qi types` lists them), e.g. urgent_risk_review" in line


def test_a_bad_second_member_is_named_with_its_key_and_the_allowed_roles(
    signed_in: Stub,
) -> None:
    line = _refused(signed_in, "convene-panel", REFERENCE, "--chair", "Dr A",
                    "--members", "name=Dr A; email=a@x.nhs.uk; roles=subject_expert",
                    "--members", "name=Dr B; email=b@x.nhs.uk; roles=external; colour=red")

    assert "the second --members, roles: 'external' is not one of: senior_panel_member" in line
    assert "the second --members: unknown key 'colour'; keys: name, email, roles" in line
    assert "members.1" not in line


def test_a_missing_option_says_what_to_give(signed_in: Stub) -> None:
    line = _refused(signed_in, "add-action", REFERENCE, "--finding-id", "F1")

    assert "--due-on: required; give a date: YYYY-MM-DD, today, or DD/MM/YYYY" in line


def test_a_missing_group_of_options_names_each(signed_in: Stub) -> None:
    line = _refused(signed_in, "record-meeting", REFERENCE, "--held-on", "2027-01-04",
                    "--format", "virtual")

    assert line == ("--attendance-learners or --attendance-supervisors or "
                    "--attendance-leaders: required")


def test_lengths_are_told_in_the_options_terms(signed_in: Stub) -> None:
    too_long = _refused(signed_in, "escalate", REFERENCE, "--level", "dean",
                        "--reason", "x" * 4001)
    blank = _refused(signed_in, "escalate", REFERENCE, "--level", "dean", "--reason", "  ")
    many = ["--immediate-mandatory-requirements=" + str(n) for n in range(21)]
    too_many = _refused(signed_in, "record-meeting", REFERENCE, "--held-on", "today",
                        "--format", "virtual", "--attendance-learners", "1", *many)

    assert too_long == "--reason: longer than 4000 characters"
    assert blank.startswith("--reason: must not be empty; give text (up to 4000 characters)")
    assert too_many == "--immediate-mandatory-requirements: give at most 20"


def test_a_key_of_the_payload_no_option_has_is_named(signed_in: Stub) -> None:
    line = _refused(signed_in, "escalate", REFERENCE, "--level", "dean", "--reason", "r",
                    "--data", '{"colour": "red"}')
    # A command whose body may be left out is checked the same way.
    bare = _refused(signed_in, "close", REFERENCE, "--data", '{"actor": "someone.else"}')

    assert line == "colour: not an option of this command"
    assert bare == "actor: not an option of this command"


def test_a_rule_of_a_contract_is_told_without_pydantics_prefix() -> None:
    refused = InterventionError([Problem(
        field="members", rule="Value error, each member's name must be unique")])

    assert explain_problems(refused, command_options("convene-panel"), {"members": []}) == (
        EXIT_INVALID, "--members: each member's name must be unique")


def test_an_unknown_finding_is_bad_input_not_an_unknown_intervention() -> None:
    options = command_options("add-action")
    finding = InterventionError([Problem(field="finding_id", rule="no finding 'F9'")],
                                ErrorType.UNKNOWN_REFERENCE)
    intervention = InterventionError(
        [Problem(field="intervention_id", rule="no intervention intervention-x")],
        ErrorType.UNKNOWN_REFERENCE)

    assert explain_problems(finding, options) == (EXIT_INVALID, "--finding-id: no finding 'F9'")
    assert explain_problems(intervention, options) == (
        EXIT_UNKNOWN, "no intervention intervention-x")


def test_a_refusal_spells_commands_as_qi_does() -> None:
    refused = InterventionError([Problem(
        field="command", rule="close is not allowed while the intervention is planned; "
        "allowed now: convene_panel, cancel")], ErrorType.COMMAND_REFUSED)

    assert explain_problems(refused, [])[1].endswith("allowed now: convene-panel, cancel")


def test_an_impossible_port_is_one_line_naming_the_setting(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QI_")}
    env.update(QI_API_PORT="70000", QI_DATA_DIR=str(tmp_path))

    done = subprocess.run([sys.executable, "-m", "cli", "migrate"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60, check=False)

    assert done.returncode == EXIT_INVALID
    assert done.stderr.startswith("error: QI_API_PORT is '70000': ")
    assert done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr
