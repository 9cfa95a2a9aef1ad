"""The API's one error format, RFC 9457 problem details (`application/problem+json`), and the
handlers that turn every failure into it:

    {"type": "/problems/command-refused", "title": "Command refused", "status": 409,
     "detail": "...", "problems": [{"field": "command", "rule": "...", "message": "..."}]}

Each `models.errors.ErrorType` has one `type` URI (relative: it names the kind of error), one
title and one HTTP status. `problems` is an extension member: each keeps the field path and the
rule, and says it in a sentence. Every error of the hierarchy in `models.errors` (routes raise
its `ApiError`) is rendered by one handler.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from temporalio.service import RPCError

from models.errors import ApiError, ErrorType, Problem, ProblemError, problem_type

__all__ = [
    "ERROR_RESPONSES",
    "PROBLEM_JSON",
    "STATUS_FOR",
    "TITLE_FOR",
    "ProblemDetails",
    "ProblemItem",
    "error_response",
    "install_error_handlers",
    "problem_type",
]

log = logging.getLogger(__name__)

STATUS_FOR: Mapping[ErrorType, int] = {
    ErrorType.INVALID_INPUT: 422,
    ErrorType.COMMAND_REFUSED: 409,
    ErrorType.UNKNOWN_REFERENCE: 404,
    ErrorType.NOT_AUTHENTICATED: 401,
    ErrorType.FORBIDDEN: 403,
    ErrorType.PAYLOAD_TOO_LARGE: 413,
    ErrorType.TOO_MANY_REQUESTS: 429,
    ErrorType.UNKNOWN_HOST: 400,
    ErrorType.CATALOGUE_INVALID: 500,
    ErrorType.INTERNAL: 500,
    ErrorType.DELIVERY_FAILED: 502,
    ErrorType.UNAVAILABLE: 503,
}

TITLE_FOR: Mapping[ErrorType, str] = {
    ErrorType.INVALID_INPUT: "Invalid input",
    ErrorType.COMMAND_REFUSED: "Command refused",
    ErrorType.UNKNOWN_REFERENCE: "Not found",
    ErrorType.NOT_AUTHENTICATED: "Not authenticated",
    ErrorType.FORBIDDEN: "Forbidden",
    ErrorType.PAYLOAD_TOO_LARGE: "Payload too large",
    ErrorType.TOO_MANY_REQUESTS: "Too many requests",
    ErrorType.UNKNOWN_HOST: "Unknown host",
    ErrorType.CATALOGUE_INVALID: "Catalogue invalid",
    ErrorType.INTERNAL: "Internal error",
    ErrorType.DELIVERY_FAILED: "Delivery failed",
    ErrorType.UNAVAILABLE: "Unavailable",
}
PROBLEM_JSON = "application/problem+json"
# Fields that name no value the client sent: their rule is the whole sentence.
_GENERAL_FIELDS = {"body", "command", "path", "method", "server", "temporal", "database",
                   "Authorization", "Host", "request", "role", "intervention_id"}

# Request locations FastAPI puts first in a validation error's `loc`; the field is the rest.
_LOCATIONS = {"body", "query", "path", "header", "cookie"}


class ProblemItem(Problem):
    """One thing wrong: the field path, the rule it breaks, and both in a sentence."""

    message: str


class ProblemDetails(BaseModel):
    """RFC 9457 problem details, with the problems as an extension member."""

    type: str
    title: str
    status: int
    detail: str
    problems: list[ProblemItem]


def _sentence(text: str, *, capital: bool = True) -> str:
    text = text.strip()
    if capital:
        text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else f"{text}."


def _message(problem: Problem) -> str:
    """The problem as a sentence: a refusal's rule already is one; a field's is about it."""
    rule = problem.rule.strip()
    if problem.field in _GENERAL_FIELDS:
        return _sentence(rule)
    if rule[:2].istitle():  # pydantic's "Input should be ...", not an acronym
        rule = rule[:1].lower() + rule[1:]
    return _sentence(f"{problem.field} is not accepted: {rule}", capital=False)  # a path


_DESCRIPTIONS = {
    400: "The Host header names no host this API answers to",
    401: "No valid bearer token (missing, unknown, expired or revoked, or the user disabled)",
    403: "The user's role may not do this",
    404: "No such intervention or type (or not one the user may see)",
    409: "Refused by the lifecycle; the problems say why",
    413: "Request body too large",
    422: "Invalid request; each problem names its field",
    429: "Too many failed authentications from this client; retry after `Retry-After` seconds",
}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ProblemDetails, "description": text, "content": {PROBLEM_JSON: {}}}
    for status, text in _DESCRIPTIONS.items()
}


def error_response(
    error_type: ErrorType,
    problems: list[Problem],
    headers: Mapping[str, str] | None = None,
    status: int | None = None,
) -> JSONResponse:
    """The problem details of `problems`; `status` only where HTTP itself chose another."""
    status = status or STATUS_FOR[error_type]
    body = ProblemDetails(
        type=problem_type(error_type),
        title=TITLE_FOR[error_type],
        status=status,
        detail="; ".join(str(p) for p in problems) or TITLE_FOR[error_type],
        problems=[ProblemItem(field=p.field, rule=p.rule, message=_message(p)) for p in problems],
    )
    return JSONResponse(
        body.model_dump(mode="json"), status_code=status, headers=headers, media_type=PROBLEM_JSON
    )


def _field(error: Mapping[str, Any]) -> str:
    loc = [str(part) for part in error.get("loc", ())]
    if loc and loc[0] in _LOCATIONS:
        location, loc = loc[0], loc[1:]
    else:
        location = "body"
    if error.get("type") == "json_invalid":
        return "body"  # the rest of `loc` is a character position
    return ".".join(loc) or location


def _rule(error: Mapping[str, Any]) -> str:
    if error.get("type") == "json_invalid":
        detail = (error.get("ctx") or {}).get("error")
        return f"not valid JSON ({detail})" if detail else "not valid JSON"
    if tuple(error.get("loc", ())) == ("body",):  # the body as a whole
        if error.get("type") == "missing":
            return "a JSON body is required"
        if isinstance(error.get("input"), bytes):  # not sent as JSON, so not parsed
            return "must be JSON, sent with Content-Type: application/json"
        if error.get("type") == "model_attributes_type":
            return "must be a JSON object"
    return str(error.get("msg", "invalid"))


def _validation_problems(error: RequestValidationError) -> list[Problem]:
    return [Problem(field=_field(e), rule=_rule(e)) for e in error.errors()]


async def _on_problem(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    headers = exc.headers if isinstance(exc, ApiError) else None
    return error_response(exc.error_type, exc.problems, headers)


async def _on_validation(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return error_response(ErrorType.INVALID_INPUT, _validation_problems(exc))


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    """Starlette's and FastAPI's own errors: no route (404), wrong method (405), a body too
    large (413, from `api.middleware.BodyLimit`) or one that could not be read (FastAPI's 400:
    answered 422, as every malformed body is)."""
    assert isinstance(exc, HTTPException)
    status = exc.status_code
    if status == 404:
        return error_response(
            ErrorType.UNKNOWN_REFERENCE, [Problem(field="path", rule="no such endpoint")]
        )
    if status == 405:
        problem = Problem(field="method", rule=f"{request.method} is not allowed here")
        return error_response(ErrorType.INVALID_INPUT, [problem], exc.headers, status)
    if status == 413:
        problem = Problem(field="body", rule=exc.detail)
        return error_response(ErrorType.PAYLOAD_TOO_LARGE, [problem])
    if status == 400:
        problem = Problem(field="body", rule=_unreadable(exc))
        return error_response(ErrorType.INVALID_INPUT, [problem])
    problem = Problem(field="request", rule=exc.detail)
    return error_response(ErrorType.INVALID_INPUT, [problem], exc.headers, status)


def _unreadable(exc: HTTPException) -> str:
    if isinstance(exc.__cause__, UnicodeDecodeError):
        return "not valid JSON (not UTF-8 text)"
    return "could not be read as JSON"


async def _on_temporal(_request: Request, exc: Exception) -> JSONResponse:
    log.warning("Temporal call failed: %s", exc)
    return error_response(
        ErrorType.UNAVAILABLE, [Problem(field="temporal", rule="Temporal is unavailable; retry")]
    )


async def _on_unexpected(_request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error", exc_info=exc)
    return error_response(ErrorType.INTERNAL, [Problem(field="server", rule="internal error")])


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ProblemError, _on_problem)  # and every subclass
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(HTTPException, _on_http)
    app.add_exception_handler(RPCError, _on_temporal)
    app.add_exception_handler(Exception, _on_unexpected)
