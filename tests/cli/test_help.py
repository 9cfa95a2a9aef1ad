"""`qi` help teaches: every generated option states its format, allowed values and an
example; every command ends with a worked example; `qi types TYPE` says who sits and chairs."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from cli import cli
from cli.catalogue_views import format_types
from cli.options import FieldOption, command_options, start_options
from models.catalogue import load_catalogue
from models.formats import UnknownFormat, format_of, unwrap
from models.registry import COMMANDS

NAMES = [e.value.replace("_", "-") for e in COMMANDS]
OPTIONS = [("start", o) for o in start_options()] + [
    (name, o) for name in NAMES for o in command_options(name)]


@pytest.mark.parametrize(("command", "option"), OPTIONS,
                         ids=[f"{c}{o.flag}" for c, o in OPTIONS])
def test_every_generated_option_states_its_format_and_allowed_values(
    command: str, option: FieldOption
) -> None:
    help_text = option.help
    assert option.is_flag or "e.g. " in help_text, help_text
    assert option.presence.split()[0] in help_text.lower()
    for value in option.format.choices:
        assert value in help_text
    for key in option.keys:
        assert key.name in help_text
        assert all(value in help_text for value in key.format.choices)
    if option.format.parse is not None:  # a date
        assert all(f in help_text for f in ("YYYY-MM-DD", "today", "DD/MM/YYYY"))
    assert "^" not in help_text  # no regex


def test_a_field_of_a_kind_qi_cannot_explain_is_refused() -> None:
    with pytest.raises(UnknownFormat):
        format_of(float)
    with pytest.raises(UnknownFormat):
        format_of(unwrap(int))  # a number without bounds says nothing about what to type


@pytest.mark.parametrize("name", ["start", *NAMES])
def test_each_command_help_ends_with_a_worked_example(name: str) -> None:
    done = CliRunner().invoke(cli, [name, "--help"], terminal_width=80)

    assert done.exit_code == 0, done.output
    example = done.output.split("Example:")[1]
    assert example.strip().startswith(f"qi {name}")
    assert '"$id"' in example or name == "start"


def _every_command(group: click.Group, ctx: click.Context) -> list[click.Command]:
    found = []
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None, name
        found.append(command)
        if isinstance(command, click.Group):
            found += _every_command(command, ctx)
    return found


def test_no_command_lets_anyone_say_who_they_are() -> None:
    # Who sends a command is the signed-in user; no option can name another.
    with click.Context(cli) as ctx:
        commands = _every_command(cli, ctx)
    named = {
        f"{command.name} {flag}"
        for command in commands
        for param in command.params
        for flag in getattr(param, "opts", [])
        if flag in ("--actor", "--role", "--coordinator", "--by", "--user")
        and command.name not in ("add", "set-role")  # `qi users`, run on the server
    }
    assert len(commands) > 30
    assert named == set()


def test_convene_panel_help_shows_how_to_give_a_member_several_roles() -> None:
    done = CliRunner().invoke(cli, ["convene-panel", "--help"], terminal_width=200)

    assert "roles=senior_panel_member,subject_expert" in done.output
    assert "interests_declared=yes" in done.output
    assert "separated by , or +" in done.output


def test_types_with_a_type_says_who_must_sit_and_who_may_chair() -> None:
    done = CliRunner().invoke(cli, ["types", "Programme Review"], terminal_width=80)

    assert done.exit_code == 0, done.output
    assert "panel must include: clinical_faculty" in done.output
    assert "who may chair: clinical_faculty" in done.output


def test_types_fits_80_columns_and_never_cuts_a_code() -> None:
    kinds = load_catalogue().active()

    text = format_types(kinds, 80)

    assert max(len(line) for line in text.splitlines()) <= 80
    assert all(kind.code in text for kind in kinds)
    assert "…" not in text


def test_both_spellings_of_a_command_name_run_it_and_help_shows_one() -> None:
    context = click.Context(cli)
    listed = cli.list_commands(context)

    assert cli.get_command(context, "agree_action_plan") is not None
    assert "agree-action-plan" in listed
    assert "agree_action_plan" not in listed


def test_start_help_offers_the_catalogues_types_and_its_high_band() -> None:
    catalogue = load_catalogue()

    done = CliRunner().invoke(cli, ["start", "--help"], terminal_width=400)

    assert done.exit_code == 0, done.output
    codes = ", ".join(kind.code for kind in catalogue.active())
    assert "--type CHOICE" in done.output
    assert f"Required: one of: {codes} (or a type's name" in done.output
    assert f"below {catalogue.risk_bands.high_from} (the high band)" in done.output
    assert f"--type {catalogue.active()[0].code}" in done.output.split("Example:")[1]
