"""The read model as `qi`'s commands use it: only once `qi migrate` has brought it up to date.

Commands that read or write it (`qi list`, `qi audit`, `qi users`, `qi tokens`) never migrate
it themselves; an unreachable or unmigrated database is one line and exit code 4.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from cli.environment import settings
from cli.exit_codes import EXIT_UNAVAILABLE, exit_code_for
from cli.output import fail

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = ["with_read_model"]

T = TypeVar("T")


def with_read_model(work: Callable[[Engine], T]) -> T:
    """Run `work` on the read model QI_DATABASE_URL names, if it is at the newest migration;
    turn every failure into a one-line reason and its exit code."""
    from sqlalchemy.exc import OperationalError

    from core.database import make_engine, schema_is_current
    from models.errors import ProblemError

    engine = make_engine(settings().resolved_database_url)
    try:
        if not schema_is_current(engine):
            fail(EXIT_UNAVAILABLE, "the read model is not migrated to the newest schema; "
                 "run `qi migrate` first")
        return work(engine)
    except ProblemError as error:
        fail(exit_code_for(error.error_type), str(error))
    except OperationalError as error:
        reason = " ".join(str(error.orig).split())  # drivers reply over several lines
        fail(EXIT_UNAVAILABLE, f"cannot use the database ({reason}); check QI_DATABASE_URL")
    finally:
        engine.dispose()
