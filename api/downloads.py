"""CSV downloads of the read model, streamed a page of rows at a time: the API's exports
(`api.routes.exports`, bearer tokens) and the pages' (`api.pages.dashboard`, the session) are
both these.

A cell that a spreadsheet would run as a formula (one starting with =, +, -, @, a tab or a
carriage return) is written with a leading quote, so it opens as text. A download is sent with
`Cache-Control: no-store`: it is the learners' interventions, not for any cache to keep.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from typing import Any

from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from sqlalchemy import Engine

from core.read_model import MAX_PAGE

__all__ = ["CSV_RESPONSE", "csv_download", "spreadsheet_cell"]

# A spreadsheet runs a cell starting with one of these as a formula; a quote makes it text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# The OpenAPI description of a download's 200 answer.
CSV_RESPONSE = {"description": "CSV, one row per record, with a header row",
                "content": {"text/csv": {"schema": {"type": "string"}}}}


def spreadsheet_cell(value: Any) -> str:
    """A value as a CSV cell that a spreadsheet shows as text, never runs."""
    text = "" if value is None else str(value.value if hasattr(value, "value") else value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _lines(
    model: type[BaseModel],
    page: Callable[..., list[Any]],
    engine: Engine,
    where: dict[str, Any] | None,
) -> Iterator[str]:
    columns = list(model.model_fields)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    offset = 0
    while where is not None:
        rows = page(engine, **where, limit=MAX_PAGE, offset=offset)
        for row in rows:
            writer.writerow([spreadsheet_cell(getattr(row, name)) for name in columns])
        yield out.getvalue()
        out.seek(0)
        out.truncate()
        if len(rows) < MAX_PAGE:
            return
        offset += MAX_PAGE
    yield out.getvalue()


def csv_download(
    name: str,
    model: type[BaseModel],
    page: Callable[..., list[Any]],
    engine: Engine,
    where: dict[str, Any] | None,
) -> StreamingResponse:
    """Every row `page(engine, **where, limit=, offset=)` gives, one column per field of
    `model`, as the file `name`; only the header row when `where` is None (nothing to see)."""
    return StreamingResponse(
        _lines(model, page, engine, where),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"',
                 "Cache-Control": "no-store"},
    )
