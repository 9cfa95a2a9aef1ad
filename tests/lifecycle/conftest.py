"""Builders for the lifecycle tests: interventions of any catalogue type, driven by commands."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest

from models.catalogue import Catalogue, InterventionType, load_catalogue
from models.commands import (
    AcceptAction,
    AddAction,
    AgreeActionPlan,
    ApproveClosure,
    Cancel,
    Close,
    Command,
    ConvenePanel,
    Escalate,
    Event,
    FindingInput,
    IssueReport,
    PauseClock,
    RecordActionProgress,
    RecordMeeting,
    RescheduleMeeting,
    ResumeClock,
    ScheduleMeeting,
    TransferAction,
)
from models.errors import ErrorType, Problem, ProblemError
from models.intervention import (
    Attendance,
    Concern,
    InterventionData,
    PanelMember,
    Provider,
    State,
)
from models.lifecycle import Lifecycle
from models.registry import apply_command, independence_problems
from models.vocabulary import (
    ConcernSource,
    ConflictStatus,
    EscalationLevel,
    FindingCategory,
    MeetingFormat,
    PanelRole,
)

STARTED_AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)  # a Monday
COORDINATOR = "qt.officer"
ACCEPTOR = "quality.lead"
APPROVER = "postgraduate.dean"
OWNER_NAME = "Dana Okafor"
OWNER_EMAIL = "dme@provider.example.nhs.uk"

PROVIDER = Provider(
    code="RXX",
    name="Example Hospitals NHS Foundation Trust",
    site="City General",
    lead_name="Sam Patel",
    lead_email="sam.patel@provider.example.nhs.uk",
)


def member(
    name: str,
    *roles: PanelRole,
    declared: bool = True,
    conflict: ConflictStatus = ConflictStatus.NONE,
) -> PanelMember:
    email = name.lower().replace(" ", ".") + "@panel.example.nhs.uk"
    return PanelMember(
        name=name, email=email, roles=roles, interests_declared=declared, conflict=conflict
    )


def valid_panel(itype: InterventionType) -> tuple[list[PanelMember], str]:
    """A chair holding the type's lead role, plus one member for each required role."""
    chair_roles = itype.chair_roles or (PanelRole.SENIOR_PANEL_MEMBER,)
    members = [member("Chris Chair", *chair_roles)]
    for index, role in enumerate(itype.required_roles, start=1):
        if role not in chair_roles:
            members.append(member(f"Panellist {index}", role))
    members.append(member("Nat Notes", PanelRole.NOTE_TAKER))
    return members, "Chris Chair"


def new_intervention(itype: InterventionType, catalogue: Catalogue) -> InterventionData:
    return InterventionData(
        intervention_id="QI-2026-0001",
        type=itype,
        risk_bands=catalogue.risk_bands,
        provider=PROVIDER,
        concern=Concern(
            likelihood=4,
            impact=4,
            source=ConcernSource.NATIONAL_TRAINING_SURVEY,
            summary="Night-time supervision gaps for foundation doctors",
        ),
        coordinator=COORDINATOR,
        coordinator_email="qt.officer@quality.example.nhs.uk",
        started_at=STARTED_AT,
    )


def is_requirement(category: FindingCategory | None) -> bool:
    return category is not None and category.is_requirement


class Journey:
    """One intervention driven through `apply_command` and `Lifecycle.fire`, as the workflow
    does; the clock moves a day after every accepted command."""

    def __init__(self, data: InterventionData) -> None:
        self.data = data
        self.now = data.started_at

    @property
    def today(self) -> date:
        return self.now.date()

    def wait(self, days: int) -> None:
        self.now += timedelta(days=days)

    def attempt(self, event: Event, command: Command) -> InterventionData:
        """The data after `command`, with its new state; raises `ProblemError` when refused
        (the rules comparing people first, then the lifecycle's guards)."""
        lifecycle = Lifecycle(self.data.state)
        if event not in lifecycle.allowed():
            raise ProblemError(lifecycle.refusals(event, self.data, self.today),
                               ErrorType.COMMAND_REFUSED)
        after = apply_command(self.data, event, command, self.now)
        people = independence_problems(event, after, command)
        if people:
            raise ProblemError(people + lifecycle.refusals(event, after, self.today),
                               ErrorType.COMMAND_REFUSED)
        state = lifecycle.fire(event, after, self.today)
        return after.model_copy(update={"state": state})

    def do(self, event: Event, command: Command | None = None) -> State:
        self.data = self.attempt(event, command or self.command(event))
        self.wait(1)
        return self.data.state

    def refused(self, event: Event, command: Command) -> list[Problem]:
        """The reasons `command` is refused; fails the test when it is accepted."""
        before = self.data
        with pytest.raises(ProblemError) as caught:
            self.do(event, command)
        assert caught.value.error_type is ErrorType.COMMAND_REFUSED
        assert self.data is before
        return caught.value.problems

    # -- valid commands for the current data ---------------------------------------------------

    def unanswered_requirements(self) -> list[str]:
        answered = {a.finding_id for a in self.data.actions}
        return [
            f.id for f in self.data.findings if is_requirement(f.category) and f.id not in answered
        ]

    def booked_meeting_id(self) -> str:
        booked = [m.id for m in self.data.meetings if m.held_on is None and m.scheduled_on]
        return booked[0] if booked else "M1"

    def open_action_id(self) -> str:
        open_actions = self.data.open_actions()
        return open_actions[0].id if open_actions else "A1"

    def _finding_to_answer(self) -> str:
        unanswered = self.unanswered_requirements()
        if unanswered:
            return unanswered[0]
        wanted = (
            {FindingCategory.IMMEDIATE_MANDATORY_REQUIREMENT}
            if self.data.report is None
            else {FindingCategory.IMMEDIATE_MANDATORY_REQUIREMENT,
                  FindingCategory.MANDATORY_REQUIREMENT}
        )
        return next((f.id for f in self.data.findings if f.category in wanted), "F1")

    def command(self, event: Event) -> Command:
        """A command for `event` that the lifecycle accepts whenever the state allows it."""
        return _VALID[event](self)

    def add_action(self, finding_id: str, *, due_on: date | None = None) -> AddAction:
        return AddAction(
            actor=COORDINATOR,
            finding_id=finding_id,
            description="Put a named senior on call for foundation doctors every night.",
            owner_name=OWNER_NAME,
            owner_email=OWNER_EMAIL,
            due_on=due_on or self.today + timedelta(days=28),
        )

    # -- whole stretches of the journey ---------------------------------------------------------

    def next_step(self, *, approve_first: bool = False) -> tuple[Event, Command] | None:
        """The next command on the way to closure, or None once the intervention has ended.
        Closure is approved once every action is accepted, or first if `approve_first`."""
        data = self.data
        if data.state.terminal:
            return None
        if data.state in (State.report_issued, State.actions_tracked):
            unanswered = self.unanswered_requirements()
            if unanswered:
                return Event.add_action, self.add_action(unanswered[0])
        if data.state is State.actions_tracked:
            unapproved = data.closure_approval is None
            if unapproved and (approve_first or not data.open_actions()):
                return Event.approve_closure, self.command(Event.approve_closure)
            if data.open_actions():
                return Event.accept_action, self.command(Event.accept_action)
        event = _PROGRESS[data.state]
        return event, self.command(event)

    def reach(self, target: State) -> Journey:
        if target is State.cancelled:
            self.do(Event.cancel)
            return self
        while self.data.state is not target:
            step = self.next_step()
            assert step is not None, f"{target} cannot be reached from {self.data.state}"
            self.do(*step)
        if target is State.report_issued:
            for finding_id in self.unanswered_requirements():
                self.do(Event.add_action, self.add_action(finding_id))
        return self

    def settle(self) -> Journey:
        """Accept every open action and approve closure, so that `close` may follow."""
        while self.data.open_actions():
            self.do(Event.accept_action)
        self.do(Event.approve_closure)
        return self


def _convene(j: Journey) -> Command:
    members, chair = valid_panel(j.data.type)
    return ConvenePanel(actor=COORDINATOR, members=members, chair=chair)


_VALID: dict[Event, Callable[[Journey], Command]] = {
    Event.convene_panel: _convene,
    Event.schedule_meeting: lambda j: ScheduleMeeting(
        actor=COORDINATOR, scheduled_on=j.today + timedelta(days=7), format=MeetingFormat.VIRTUAL
    ),
    Event.reschedule_meeting: lambda j: RescheduleMeeting(
        actor=COORDINATOR, meeting_id=j.booked_meeting_id(), scheduled_on=j.today + timedelta(14)
    ),
    Event.record_meeting: lambda j: RecordMeeting(
        actor=COORDINATOR,
        held_on=j.today,
        format=MeetingFormat.FACE_TO_FACE,
        attendance=Attendance(learners=8, supervisors=3, leaders=2),
        immediate_mandatory_requirements=["No senior cover for foundation doctors at night."],
    ),
    Event.issue_report: lambda j: IssueReport(
        actor=COORDINATOR,
        final=True,
        factual_accuracy_closed_on=j.today,
        findings=[
            FindingInput(
                category=FindingCategory.MANDATORY_REQUIREMENT,
                text="Induction must cover the escalation policy.",
            ),
            FindingInput(
                category=FindingCategory.RECOMMENDATION,
                text="Protect teaching time on the rota.",
            ),
            FindingInput(
                category=FindingCategory.GOOD_PRACTICE,
                text="Daily safety huddle includes learners.",
            ),
        ],
    ),
    Event.add_action: lambda j: j.add_action(j._finding_to_answer()),
    Event.agree_action_plan: lambda j: AgreeActionPlan(actor=COORDINATOR),
    Event.record_action_progress: lambda j: RecordActionProgress(
        actor=COORDINATOR, action_id=j.open_action_id(), note="Rota redesign under consultation."
    ),
    Event.accept_action: lambda j: AcceptAction(
        actor=ACCEPTOR, action_id=j.open_action_id(), evidence="Rotas for May show named cover."
    ),
    Event.transfer_action: lambda j: TransferAction(
        actor=COORDINATOR,
        action_id=j.open_action_id(),
        transferred_to="Regional workforce board",
        reason="Needs a regional funding decision.",
    ),
    Event.approve_closure: lambda j: ApproveClosure(
        actor=APPROVER, role=j.data.type.closure_approver_roles[0]
    ),
    Event.close: lambda j: Close(actor=COORDINATOR),
    Event.cancel: lambda j: Cancel(actor=COORDINATOR, reason="Concern resolved before review."),
    Event.escalate: lambda j: Escalate(
        actor=COORDINATOR, level=EscalationLevel.DEAN, reason="Provider has not responded."
    ),
    Event.pause_clock: lambda j: PauseClock(
        actor=COORDINATOR, reason="Provider placed in special measures."
    ),
    Event.resume_clock: lambda j: ResumeClock(actor=COORDINATOR),
}

_PROGRESS: dict[State, Event] = {
    State.planned: Event.convene_panel,
    State.panel_convened: Event.record_meeting,
    State.meetings_held: Event.issue_report,
    State.report_issued: Event.agree_action_plan,
    State.actions_tracked: Event.close,
}

@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.fixture
def journey(catalogue: Catalogue) -> Callable[..., Journey]:
    """`journey(type_code)`: a new planned intervention of that type, ready to be driven."""

    def start(type_code: str = "urgent_risk_review") -> Journey:
        return Journey(new_intervention(catalogue.get(type_code), catalogue))

    return start


@pytest.fixture
def panel_member() -> Callable[..., PanelMember]:
    """`panel_member(name, *roles, declared=True, conflict=ConflictStatus.NONE)`."""
    return member


@pytest.fixture
def urgent(journey: Callable[..., Journey]) -> Journey:
    return journey("urgent_risk_review")
