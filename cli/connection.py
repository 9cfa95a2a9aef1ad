"""Commands that talk to Temporal: connect through the client facade, do the work, and turn
every failure into one line and its exit code."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

from cli.environment import catalogue_path, settings
from cli.exit_codes import EXIT_INVALID, EXIT_UNAVAILABLE
from cli.output import fail

if TYPE_CHECKING:
    from cli.options import FieldOption
    from core.interventions import Interventions
    from models.catalogue import Catalogue

__all__ = ["catalogue", "with_service"]

T = TypeVar("T")


def catalogue() -> Catalogue:
    from models.catalogue import load_catalogue
    from models.errors import ProblemError

    try:
        return load_catalogue(catalogue_path())
    except ProblemError as error:
        fail(EXIT_INVALID, str(error))


def with_service(
    work: Callable[[Interventions], Awaitable[T]], options: Sequence[FieldOption] = ()
) -> T:
    """Connect to Temporal, do the work; a refusal names the `options` it concerns."""
    import asyncio

    from cli.problems import explain_problems
    from core.database import make_engine
    from core.interventions import Interventions
    from core.temporal import connect
    from models.errors import InterventionError
    from models.intervention import Contacts

    config = settings()

    async def go() -> T:
        try:
            client = await connect(config)
        except RuntimeError as exc:
            fail(EXIT_UNAVAILABLE, f"cannot reach Temporal ({exc}); is `make run` running?")
        contacts = Contacts(quality_lead_email=config.quality_lead_email,
                            dean_email=config.dean_email)
        # The read model gives out references and looks them up (`qi migrate` set it up).
        engine = make_engine(config.resolved_database_url)
        try:
            service = Interventions(client, task_queue=config.task_queue, contacts=contacts,
                                    catalogue=catalogue(), engine=engine)
            return await work(service)
        finally:
            engine.dispose()

    try:
        return asyncio.run(go())
    except InterventionError as error:
        fail(*explain_problems(error, options))
