"""`qi outbox`: the messages not delivered, oldest first, and `qi outbox resend KEY`, asked of
the service as the signed-in user (whose role must allow the outbox). A resend is recorded in
the intervention's audit trail with that user as its actor."""

from __future__ import annotations

from urllib.parse import quote

import click

from cli.output import emit, out

__all__ = ["outbox"]


@click.group(invoke_without_command=True)
@click.option("--status", "statuses", multiple=True,
              type=click.Choice(["queued", "sending", "unknown", "dead"]),
              help="Only these (repeat for more); default: every message not sent")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def outbox(ctx: click.Context, statuses: tuple[str, ...], as_json: bool) -> None:
    """Messages queued, being sent, unknown or dead, oldest first (never their bodies)."""
    if ctx.invoked_subcommand is not None:
        return
    from cli.client import service
    from cli.views import print_outbox

    rows = service().get("/outbox", {"status": list(statuses) or None})
    emit(rows, as_json, lambda: print_outbox(out(), rows))


@outbox.command()
@click.argument("key")
@click.option("--json", "as_json", is_flag=True)
def resend(key: str, as_json: bool) -> None:
    """Queue a dead or unknown message again (its attempts kept); the intervention's audit
    trail records that you resent it."""
    from cli.client import service
    from cli.views import print_outbox

    entry = service().post(f"/outbox/{quote(key, safe='')}/resend")
    emit(entry, as_json, lambda: print_outbox(out(), [entry]))
