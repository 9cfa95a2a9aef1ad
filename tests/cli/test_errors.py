"""Errors name what to fix: the option, the rule in plain words, the allowed values; never a
JSON path or a regex. Each exit code has one meaning."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from cli.exit_codes import EXIT_INVALID, EXIT_UNKNOWN
from cli.options import assemble, field_options
from cli.problems import explain_problems, explain_validation
from models.commands import AddAction, ConvenePanel, RecordMeeting, StartRequest
from models.errors import ErrorType, InterventionError, Problem

REPO = Path(__file__).resolve().parents[2]


def _explained(model: type, values: dict[str, object]) -> str:
    options = field_options(model)
    with pytest.raises(ValidationError) as caught:
        model.model_validate(assemble(options, values, None))
    return explain_validation(caught.value, options)


def test_a_bad_start_names_options_not_fields_and_no_pattern() -> None:
    line = _explained(StartRequest, {
        "type": "urgent_risk_review", "provider__code": "RXX01", "provider__name": "N",
        "provider__site": "S", "provider__lead_name": "", "provider__lead_email": "dme-at-trust",
        "concern__likelihood": "9", "concern__impact": "4", "concern__summary": "s",
        "coordinator": "c.okafor", "coordinator_email": "c@x.nhs.uk"})

    assert "--provider-lead-name: must not be empty" in line
    assert "--provider-lead-email: 'dme-at-trust' is not an e-mail address" in line
    assert "--concern-likelihood: '9' is not a whole number from 1 to 5" in line
    assert "provider.lead_name" not in line
    assert "^" not in line


def test_a_bad_second_member_is_named_with_its_key_and_the_allowed_roles() -> None:
    line = _explained(ConvenePanel, {"actor": "c.okafor", "chair": "Dr A", "members": (
        "name=Dr A; email=a@x.nhs.uk; roles=subject_expert",
        "name=Dr B; email=b@x.nhs.uk; roles=external; colour=red")})

    assert "the second --members, roles: 'external' is not one of: senior_panel_member" in line
    assert "the second --members: unknown key 'colour'; keys: name, email, roles" in line
    assert "members.1" not in line


def test_a_missing_option_says_what_to_give() -> None:
    line = _explained(AddAction, {"actor": "c.okafor"})

    assert "--due-on: required; give a date: YYYY-MM-DD, today, or DD/MM/YYYY" in line


def test_a_missing_group_of_options_names_each() -> None:
    line = _explained(RecordMeeting, {"actor": "c.okafor", "held_on": "2027-01-04",
                                      "format": "virtual"})

    assert line == ("--attendance-learners or --attendance-supervisors or "
                    "--attendance-leaders: required")


def test_an_unknown_finding_is_bad_input_not_an_unknown_intervention() -> None:
    options = field_options(AddAction)
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
