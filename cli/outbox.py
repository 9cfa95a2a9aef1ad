"""`qi outbox`: the messages not delivered, oldest first, and `qi outbox resend KEY`.

Listing reads the read model directly (like `qi list`); a resend also tells the intervention's
workflow, which records it in the audit trail with the actor.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from cli.connection import with_service
from cli.output import emit, out
from cli.read_model import with_read_model

if TYPE_CHECKING:
    from core.interventions import Interventions
    from models.outbox import OutboxEntry

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
    from cli.views import print_outbox
    from core.outbox import undelivered
    from models.outbox import UNDELIVERED
    from models.tables import NotificationStatus

    chosen = tuple(NotificationStatus(s) for s in statuses) or UNDELIVERED
    rows = with_read_model(lambda engine: undelivered(engine, statuses=chosen))
    emit(rows, as_json, lambda: print_outbox(out(), rows))


@outbox.command()
@click.argument("key")
@click.option("--actor", required=True, help="Who resends it (recorded in the audit trail)")
@click.option("--json", "as_json", is_flag=True)
def resend(key: str, actor: str, as_json: bool) -> None:
    """Queue a dead or unknown message again (its attempts kept) and note it in the audit."""
    from cli.views import print_outbox
    from core.database import make_engine
    from core.outbox import resend as requeue_and_note
    from core.outbox import resendable
    from core.settings import Settings

    with_read_model(lambda engine: resendable(engine, key))  # refused before Temporal is asked

    async def work(service: Interventions) -> OutboxEntry:
        engine = make_engine(Settings().resolved_database_url)
        try:
            return await requeue_and_note(service, engine, key, actor)
        finally:
            engine.dispose()

    entry = with_service(work)
    emit(entry, as_json, lambda: print_outbox(out(), [entry]))
