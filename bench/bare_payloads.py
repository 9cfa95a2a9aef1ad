"""What the bare workflow is sent and answers: small pydantic models, like the project's."""

from __future__ import annotations

from pydantic import BaseModel, Field

__all__ = ["BareChange", "BareReply", "BareStart"]


class BareStart(BaseModel):
    label: str = Field(max_length=100)


class BareChange(BaseModel):
    """One step; `close` ends the lifecycle once it is applied."""

    note: str = Field(max_length=200)
    close: bool = False


class BareReply(BaseModel):
    steps: int
    closed: bool
