"""The answers of the start pages: read from a posted form (each step's form carries every
other step's answers in hidden fields, so nothing typed travels in a URL and nothing is kept on
the server between steps), made into the start's body, and checked.

A step's answers are checked by validating the contract with every answer given so far, and
each refusal is said as the design system says it ("Enter the provider code"), naming the field.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from api.pages.start_questions import (
    JUSTIFICATION,
    ORDER,
    QUESTIONS,
    TYPED,
    Question,
    Step,
    asked,
    question_at,
)
from models.bodies import StartBody
from models.catalogue import Catalogue, RiskBands
from models.tables import ApiUserPublic

__all__ = [
    "Answers",
    "Refusal",
    "check_answers",
    "describe_value",
    "needs_justification",
    "read_answers",
    "risk_of",
    "start_body",
]

Answers = dict[str, str]


def read_answers(form: Mapping[str, Any], user: ApiUserPublic) -> Answers:
    """The answers a posted form carries, visible or hidden: only the questions' fields."""
    return {q.path: str(form[q.path]) for q in asked(user) if isinstance(form.get(q.path), str)}


def risk_of(answers: Answers) -> tuple[int, int] | None:
    """(likelihood, impact), when both are answered with whole numbers."""
    try:
        return int(answers["concern.likelihood"]), int(answers["concern.impact"])
    except (KeyError, ValueError):
        return None


def needs_justification(answers: Answers, bands: RiskBands) -> bool:
    """Below the high band, a start needs a written justification (`models.guards`)."""
    risk = risk_of(answers)
    return risk is not None and risk[0] * risk[1] < bands.high_from


def start_body(answers: Answers, bands: RiskBands, until: Step = Step.check) -> dict[str, Any]:
    """The contract's body from the answers of the steps up to `until`: an optional field left
    empty is left out, and a justification only goes with a score that needs one."""
    body: dict[str, Any] = {}
    for q in QUESTIONS:
        if ORDER.index(q.step) > ORDER.index(until) or q.path not in answers:
            continue
        value = answers[q.path].strip()
        if not value and not q.required:
            continue
        if q.path == JUSTIFICATION and not needs_justification(answers, bands):
            continue
        if q.format.parse is not None and value:
            with contextlib.suppress(ValueError):  # the contract's check says what is wrong
                value = q.format.parse(value)
        *parents, name = q.path.split(".")
        node = body
        for parent in parents:
            node = node.setdefault(parent, {})
        node[name] = value
    for q in QUESTIONS:  # a required nested field never given is reported as missing
        *parents, _ = q.path.split(".")
        node = body
        for parent in parents:
            node = node.setdefault(parent, {})
    return body


@dataclass(frozen=True)
class Refusal:
    """Why the answers cannot go on: the step to show again, and a message per field path."""

    step: Step
    errors: dict[str, str]


def _message(question: Question, error: Mapping[str, Any]) -> str:
    kind = error.get("type", "")
    if kind in ("missing", "string_too_short") or question.kind not in TYPED:
        return question.missing()
    noun = question.noun[:1].upper() + question.noun[1:]
    if kind == "string_too_long":
        return f"{noun} must be {error['ctx']['max_length']} characters or fewer"
    if kind == "string_pattern_mismatch":
        example = question.format.example.strip('"')
        return f"Enter {question.noun} in the correct format, like {example}"
    return f"{noun}: {str(error.get('msg', 'is not accepted')).removeprefix('Value error, ')}"


def _contract_errors(answers: Answers, bands: RiskBands, until: Step,
                     user: ApiUserPublic) -> dict[str, str]:
    errors: dict[str, str] = {}
    for q in asked(user):
        if ORDER.index(q.step) <= ORDER.index(until) and q.required \
                and not answers.get(q.path, "").strip():
            errors[q.path] = q.missing()
    try:
        StartBody.model_validate(start_body(answers, bands, until))
    except ValidationError as invalid:
        for error in invalid.errors():
            path = ".".join(str(part) for part in error["loc"])
            if path in errors or path not in {q.path for q in QUESTIONS}:
                continue
            question = question_at(path)
            if ORDER.index(question.step) <= ORDER.index(until):
                errors[path] = _message(question, error)
    return errors


def check_answers(answers: Answers, catalogue: Catalogue, user: ApiUserPublic,
                  until: Step) -> Refusal | None:
    """What is wrong with the answers of the steps up to `until`, on the first step that has
    something wrong; None when they may go on."""
    errors = _contract_errors(answers, catalogue.risk_bands, until, user)
    if "type" not in errors and answers.get("type") not in {t.code for t in catalogue.active()}:
        errors["type"] = question_at("type").missing()
    if ORDER.index(until) >= ORDER.index(Step.justification) and JUSTIFICATION not in errors \
            and needs_justification(answers, catalogue.risk_bands) \
            and not answers.get(JUSTIFICATION, "").strip():
        errors[JUSTIFICATION] = question_at(JUSTIFICATION).missing()
    for step in ORDER:
        found = {path: text for path, text in errors.items() if question_at(path).step is step}
        if found:
            return Refusal(step, _in_page_order(found))
    return None


def _in_page_order(errors: dict[str, str]) -> dict[str, str]:
    order = [q.path for q in QUESTIONS]
    return dict(sorted(errors.items(), key=lambda item: order.index(item[0])))


def describe_value(question: Question, answers: Answers, catalogue: Catalogue) -> str:
    """An answer as the check page shows it."""
    value = answers.get(question.path, "").strip()
    if question.kind == "type":
        found = next((t for t in catalogue.active() if t.code == value), None)
        return found.name if found else value
    if question.choices:
        return dict(question.choices).get(value, value)
    return value
