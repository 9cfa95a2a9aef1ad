"""The codec server: Temporal's remote codec contract, so the Web UI and the `temporal` CLI can
show what the workers sealed (`core.codec`), to users who may read every intervention.

`POST /codec/decode` and `POST /codec/encode` take and answer `{"payloads": [...]}`, each
payload as Temporal's JSON has it (`metadata` values and `data` in base64). Browsers may call
them only from the Web UI's origin (`QI_UI_ORIGIN`; `CodecCors`), with a bearer token or with
the session of a user signed in at the API's /sign-in: the Web UI sends the browser's cookies
(its codec setting `includeCredentials`), and CORS allows credentials for that origin alone. A
session counts only on a request whose `Origin` is the Web UI's (`api.auth.SessionOrTokenRoute`),
so no other site's page can have payloads opened with a visitor's session.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send
from temporalio.api.common.v1 import Payload

from api.auth import Caller, SessionOrTokenRoute, deny
from api.context import get_context
from api.deps import Reader
from core.codec import SealError, SealingCodec
from models.errors import ApiError, ErrorType, Problem
from models.vocabulary import Reach

__all__ = ["PREFIX", "CodecCors", "router"]

PREFIX = "/codec"

# Authenticated before the body is read: a bearer token, or the session cookie on a request
# from the Web UI's origin.
router = APIRouter(prefix=PREFIX, tags=["codec"], route_class=SessionOrTokenRoute)


class CodecPayload(BaseModel):
    """One Temporal payload in its JSON form."""

    model_config = ConfigDict(extra="ignore")

    metadata: dict[str, str] = Field(default_factory=dict, description="Values in base64")
    data: str = Field("", description="Base64")


class CodecPayloads(BaseModel):
    payloads: list[CodecPayload]


def _from_json(payloads: CodecPayloads) -> list[Payload]:
    try:
        return [Payload(metadata={k: base64.b64decode(v, validate=True)
                                  for k, v in p.metadata.items()},
                        data=base64.b64decode(p.data, validate=True))
                for p in payloads.payloads]
    except (binascii.Error, ValueError):
        raise ApiError([Problem(field="payloads", rule="metadata values and data must be "
                                "base64")], ErrorType.INVALID_INPUT) from None


def _to_json(payloads: list[Payload]) -> CodecPayloads:
    return CodecPayloads(payloads=[
        CodecPayload(metadata={k: base64.b64encode(v).decode() for k, v in p.metadata.items()},
                     data=base64.b64encode(p.data).decode())
        for p in payloads])


def _codec(request: Request) -> SealingCodec:
    codec = get_context(request).codec
    if codec is None:
        raise ApiError([Problem(field="codec", rule="this API was started without keys")],
                       ErrorType.UNAVAILABLE)
    return codec


def _every_intervention(request: Request, caller: Reader) -> Caller:
    # A payload says nothing of whose it is: only those who may read every intervention may
    # have payloads opened (a provider lead may not).
    if caller.reach is not Reach.all:
        deny(request, caller.user, "codec needs read access to every intervention")
        raise ApiError([Problem(field="role", rule=f"a {caller.user.role.value} may not use "
                                "the codec server")], ErrorType.FORBIDDEN)
    return caller


Decoder = Annotated[Caller, Depends(_every_intervention)]
CodecDep = Annotated[SealingCodec, Depends(_codec)]


@router.post("/decode", response_model=CodecPayloads)
async def decode(body: CodecPayloads, caller: Decoder, codec: CodecDep) -> CodecPayloads:
    """Open sealed payloads; others come back as they were."""
    try:
        return _to_json(await codec.decode(_from_json(body)))
    except SealError as error:
        raise ApiError([Problem(field="payloads", rule=str(error))],
                       ErrorType.INVALID_INPUT) from None


@router.post("/encode", response_model=CodecPayloads)
async def encode(body: CodecPayloads, caller: Decoder, codec: CodecDep) -> CodecPayloads:
    """Seal payloads with the current key."""
    return _to_json(await codec.encode(_from_json(body)))


class CodecCors:
    """CORS for the codec routes alone, and only for the Web UI's origin: no other route
    answers a browser on another origin."""

    def __init__(self, app: ASGIApp, origin: str) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app, allow_origins=[origin], allow_methods=["POST"], allow_credentials=True,
            allow_headers=["Authorization", "Content-Type", "X-Namespace"], max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(f"{PREFIX}/"):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)
