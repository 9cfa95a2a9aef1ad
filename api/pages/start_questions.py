"""The questions the start pages ask, read off the start's contract (`models.bodies.StartBody`).

Every field of the contract is a question, so a field added to the contract is asked without a
change here: its page, label and noun come from `_WORDING` when it has an entry (else from its
name, on the details page), and its hint says the field's format in the words of the CLI's help
(`models.formats`). Who coordinates is never asked: it is the signed-in user; their e-mail is
asked only of an account that has none.
"""

from __future__ import annotations

import typing
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from models.bodies import StartBody
from models.formats import Format, describe_field, format_of, is_model, unwrap
from models.tables import ApiUserPublic

__all__ = [
    "JUSTIFICATION",
    "ORDER",
    "QUESTIONS",
    "TYPED",
    "Question",
    "Step",
    "asked",
    "question_at",
]

Kind = Literal["type", "choice", "scale", "text", "email", "long_text"]
TYPED = ("text", "email", "long_text")  # kinds a person types, rather than chooses

JUSTIFICATION = "concern.override_justification"
_COORDINATOR_EMAIL = "coordinator_email"
_LONG = 1000  # characters: longer text is asked in a text area


class Step(StrEnum):
    """The start's pages, in the order they are asked."""

    type = "type"
    details = "details"
    justification = "justification"
    check = "check"


ORDER = (Step.type, Step.details, Step.justification, Step.check)


@dataclass(frozen=True)
class _Wording:
    label: str
    noun: str  # how an error names the field: "Enter <noun>"
    step: Step = Step.details
    hint: str | None = None  # said before the format; the field's description if None
    empty: str | None = None  # the error when nothing is given, if not "Enter <noun>"
    multiline: bool = False
    autocomplete: str | None = None
    required: bool = False  # asked on the page even where the contract has a default
    choice_labels: tuple[tuple[str, str], ...] = ()  # a value's label, where its words are not
    key: str | None = None  # the check page's name for the answer, if not the label


_WORDING: dict[str, _Wording] = {
    "type": _Wording("Type of intervention", "the type of intervention", Step.type),
    "provider.code": _Wording("Provider code", "the provider code",
                              hint="Usually the trust's ODS code"),
    "provider.name": _Wording("Provider name", "the provider's name", autocomplete="organization"),
    "provider.site": _Wording("Site", "the site", hint="The ward, department, practice or "
                              "hospital where learners train"),
    "provider.lead_name": _Wording("Provider lead's name", "the provider lead's name",
                                   hint="The person at the provider who receives the report "
                                   "and reminders, such as the Director of Medical Education"),
    "provider.lead_email": _Wording("Provider lead's email address",
                                    "the provider lead's email address"),
    "concern.source": _Wording(
        "Where did the concern come from?", "where the concern came from", required=True,
        key="Source of the concern",
        choice_labels=(("national_training_survey", "GMC National Training Survey"),
                       ("national_education_training_survey",
                        "National Education and Training Survey (NETS)"),
                       ("provider_self_assessment", "Provider self-assessment"))),
    "concern.summary": _Wording("Summary of the concern", "a summary of the concern",
                                hint="The provider and panel will read this: do not name "
                                "learners or quote them", multiline=True),
    "concern.likelihood": _Wording("Likelihood", "the likelihood", hint="How likely the concern "
                                   "is to cause harm: 1 is rare, 5 is almost certain"),
    "concern.impact": _Wording("Impact", "the impact", hint="How serious the harm would be: 1 is "
                               "negligible, 5 is catastrophic"),
    JUSTIFICATION: _Wording("Why does this concern need an intervention?",
                            "why this concern needs an intervention", Step.justification,
                            hint="The panel and the provider will read this",
                            key="Why it needs an intervention",
                            empty="Explain why this concern needs an intervention"),
    _COORDINATOR_EMAIL: _Wording("Your email address", "your email address",
                                 hint="Your account has no email address. Mail to this "
                                 "intervention's coordinator goes here",
                                 autocomplete="email"),
}


@dataclass(frozen=True)
class Question:
    """One field of the contract as a page asks it."""

    path: str  # the contract's field path, also the input's name: provider.lead_email
    step: Step
    kind: Kind
    label: str
    key: str  # the check page's name for the answer
    noun: str
    hint: str
    required: bool
    format: Format
    choices: tuple[tuple[str, str], ...] = ()  # (value, label)
    max_length: int | None = None
    empty: str | None = None
    autocomplete: str | None = None

    @property
    def id(self) -> str:
        """The input's id, which the error summary links to: provider-lead-email."""
        return self.path.replace(".", "-").replace("_", "-")

    def missing(self) -> str:
        if self.empty:
            return self.empty
        return f"{'Enter' if self.kind in TYPED else 'Select'} {self.noun}"


def _sentence(text: str) -> str:
    text = text.strip().replace("e.g.", "for example")
    text = text[:1].upper() + text[1:]
    return text if not text or text.endswith(".") else f"{text}."


def _format_hint(fmt: Format) -> str:
    """The CLI's help of a format, less an example that only stands for some text."""
    example = fmt.example.strip('"')
    if example in ("", "..."):
        return _sentence(fmt.what)
    return _sentence(f"{fmt.what}, for example {example}")


def _kind(path: str, info: FieldInfo, fmt: Format, wording: _Wording | None) -> Kind:
    kind = unwrap(info.annotation)
    if path == "type":
        return "type"
    if fmt.choices or kind is bool:
        return "choice"
    if kind is int:
        return "scale"
    if (wording is not None and wording.multiline) or (_longest(info) or 0) > _LONG:
        return "long_text"
    return "email" if fmt.what.startswith("an e-mail") else "text"


def _longest(info: FieldInfo) -> int | None:
    """The field's max_length, whether on the field or inside an `X | None` it is typed with."""
    found = list(info.metadata)
    for arg in typing.get_args(info.annotation):
        found += getattr(arg, "__metadata__", ())
    return next((m.max_length for m in found if getattr(m, "max_length", None)), None)


def _choices(info: FieldInfo, fmt: Format) -> tuple[tuple[str, str], ...]:
    kind = unwrap(info.annotation)
    if kind is bool:
        return (("true", "Yes"), ("false", "No"))
    if kind is int:  # a scale: format_of has made sure it has both bounds
        low = next(m.ge for m in info.metadata if getattr(m, "ge", None) is not None)
        high = next(m.le for m in info.metadata if getattr(m, "le", None) is not None)
        return tuple((str(n), str(n)) for n in range(low, high + 1))
    return tuple((value, _words(value)) for value in fmt.choices)


def _labelled(choices: tuple[tuple[str, str], ...],
              wording: _Wording | None) -> tuple[tuple[str, str], ...]:
    labels = dict(wording.choice_labels) if wording else {}
    return tuple((value, labels.get(value, text)) for value, text in choices)


def _words(value: str) -> str:
    text = value.replace("_", " ")
    return text[:1].upper() + text[1:]


def _question(path: str, info: FieldInfo) -> Question:
    fmt = format_of(info.annotation, info)
    wording = _WORDING.get(path)
    label = wording.label if wording else _words(path.rsplit(".", 1)[-1])
    said = wording.hint if wording and wording.hint else describe_field(info)
    question_kind = _kind(path, info, fmt, wording)
    # A text area's character count says its limit; choices show their own values.
    asks_format = question_kind in ("text", "email")
    hint = " ".join(part for part in (
        _sentence(said) if said and question_kind != "type" else "",
        _format_hint(fmt) if asks_format else "") if part)
    return Question(
        path=path,
        step=wording.step if wording else Step.details,
        kind=question_kind,
        label=label,
        key=(wording.key or label) if wording else label,
        noun=wording.noun if wording else f"the {label.lower()}",
        hint=hint,
        # Asked only of an account without an e-mail, which must then give one.
        required=info.is_required() or path == _COORDINATOR_EMAIL
        or bool(wording and wording.required),
        format=fmt,
        choices=_labelled(_choices(info, fmt), wording) if question_kind in ("choice", "scale")
        else (),
        max_length=_longest(info),
        empty=wording.empty if wording else None,
        autocomplete=wording.autocomplete if wording else None,
    )


def _leaves(model: type[BaseModel], prefix: str = "") -> Iterator[tuple[str, FieldInfo]]:
    for name, info in model.model_fields.items():
        inner = unwrap(info.annotation)
        if is_model(inner):
            yield from _leaves(inner, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}", info


# In the order the pages ask them: those with wording first, as `_WORDING` lists them.
QUESTIONS: tuple[Question, ...] = tuple(sorted(
    (_question(path, info) for path, info in _leaves(StartBody)),
    key=lambda q: list(_WORDING).index(q.path) if q.path in _WORDING else len(_WORDING)))
_BY_PATH = {q.path: q for q in QUESTIONS}


def asked(user: ApiUserPublic, step: Step | None = None) -> list[Question]:
    """The questions put to `user` (on `step`, or on every step). The coordinator's e-mail is
    their account's, so it is asked only of an account that has none."""
    return [q for q in QUESTIONS
            if (step is None or q.step is step)
            and not (q.path == _COORDINATOR_EMAIL and user.email is not None)]


def question_at(path: str) -> Question:
    """The question of a field path; KeyError if the contract has no such field."""
    return _BY_PATH[path]
