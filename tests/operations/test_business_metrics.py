"""`business_metrics`: the read model's figures in the Prometheus format, moving as it changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, insert
from temporalio.testing import ActivityEnvironment

from activities.notifications import NotificationActivities
from core.metrics import CommandCounters, business_metrics
from models.effects import Message, SendNotificationInput
from models.intervention import Action, Escalation, InterventionData
from models.tables import Notification
from models.vocabulary import ActionStatus, EscalationLevel
from tests.fakes import RecordingNotifier
from tests.snapshots import START, TODAY, record, snapshot

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def _samples(engine: Engine, counters: CommandCounters | None = None) -> Samples:
    """Every sample by name and labels; parsing checks the text is valid exposition."""
    text = business_metrics(engine, counters=counters)
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _interventions(samples: Samples, type_code: str, state: str) -> float | None:
    return samples.get(("qi_interventions", (("state", state), ("type", type_code))))


def _by_type(samples: Samples, name: str, type_code: str) -> float | None:
    return samples.get((name, (("type", type_code),)))


def _action(action_id: str, due_in_days: int) -> Action:
    return Action(
        id=action_id,
        finding_id="F1",
        description="Publish a rota with a named senior on every night shift",
        owner_name="Dr Morgan Hale",
        owner_email="dme@northshire.example.nhs.uk",
        due_on=TODAY + timedelta(days=due_in_days),
        status=ActionStatus.OPEN,
    )


async def _send(engine: Engine, key: str) -> None:
    activities = NotificationActivities(engine, RecordingNotifier())
    message = Message(to=["dme@northshire.example.nhs.uk"], subject="Reminder", body="Due soon.")
    notice = SendNotificationInput(idempotency_key=key, intervention_id="I1", message=message)
    await ActivityEnvironment().run(activities.send_notification, notice)


def test_interventions_are_counted_by_type_and_state(engine: Engine) -> None:
    assert not any(name == "qi_interventions" for name, _ in _samples(engine))

    record(engine, snapshot("I1", entries=1))
    record(engine, snapshot("I2", entries=1))
    after_start = _samples(engine)
    record(engine, snapshot("I1", entries=2))  # I1's panel is convened
    after_panel = _samples(engine)

    assert _interventions(after_start, "urgent_risk_review", "planned") == 2
    assert _interventions(after_start, "urgent_risk_review", "panel_convened") == 0
    assert _interventions(after_panel, "urgent_risk_review", "planned") == 1
    assert _interventions(after_panel, "urgent_risk_review", "panel_convened") == 1
    assert _interventions(after_panel, "urgent_risk_review", "closed") == 0


def test_open_overdue_and_escalated_count_only_interventions_still_running(
    engine: Engine,
) -> None:
    escalation = Escalation(level=EscalationLevel.DEAN, reason="Overdue", by="c.okafor", at=START)

    def programme_review(entries: int) -> InterventionData:
        # Actions left open on purpose: once closed, they must no longer count.
        actions = [_action("A1", -3), _action("A2", 10)]
        return snapshot("P1", entries=entries, type_code="programme_review", actions=actions,
                        escalations=[escalation])

    record(engine, programme_review(5))  # actions tracked
    running = _samples(engine)
    record(engine, programme_review(6))  # closed
    closed = _samples(engine)

    assert _by_type(running, "qi_open_actions", "programme_review") == 2
    assert _by_type(running, "qi_overdue_actions", "programme_review") == 1
    assert _by_type(running, "qi_escalated_interventions", "programme_review") == 1
    assert _interventions(closed, "programme_review", "closed") == 1
    assert _by_type(closed, "qi_open_actions", "programme_review") == 0
    assert _by_type(closed, "qi_overdue_actions", "programme_review") == 0
    assert _by_type(closed, "qi_escalated_interventions", "programme_review") == 0


async def test_reminders_and_notifications_sent_are_counted_apart(engine: Engine) -> None:
    before = _samples(engine)
    await _send(engine, "intervention-1:notice:deadline:first_meeting:@2026-03-16:remind:3")
    await _send(engine, "intervention-1:notice:progress:2026-03-02:1")
    await _send(engine, "intervention-1:1:notify:provider-lead")
    await _send(engine, "intervention-1:1:notify:provider-lead")  # the ledger sends it once
    after = _samples(engine)

    def sent(samples: Samples, kind: str) -> float | None:
        return samples.get(("qi_notifications_sent_total", (("kind", kind),)))

    assert (sent(before, "reminder"), sent(before, "notification")) == (0, 0)
    assert (sent(after, "reminder"), sent(after, "notification")) == (2, 1)
    assert after[("qi_outbox_messages", (("status", "sent"),))] == 3
    assert after[("qi_outbox_messages", (("status", "sending"),))] == 0
    assert after[("qi_outbox_oldest_undelivered_seconds", ())] == 0


def _queue(engine: Engine, key: str, status: str, created: datetime) -> None:
    with engine.begin() as conn:
        conn.execute(insert(Notification).values(
            idempotency_key=key, intervention_id="I1", recipients=["a@example.nhs.uk"],
            subject="Reminder", status=status, attempts=1, created_at=created,
        ))


def test_the_outbox_is_counted_by_status_with_the_age_of_its_oldest_undelivered_message(
    engine: Engine,
) -> None:
    now = datetime.now(UTC)
    _queue(engine, "I1:1:notify:a", "sent", now - timedelta(days=3))  # delivered: not counted
    _queue(engine, "I1:2:notify:a", "dead", now - timedelta(days=2))  # its own alert
    _queue(engine, "I1:3:notify:a", "unknown", now - timedelta(hours=2))
    _queue(engine, "I1:4:notify:a", "queued", now - timedelta(minutes=1))
    samples = _samples(engine)

    def messages(status: str) -> float:
        return samples[("qi_outbox_messages", (("status", status),))]

    assert [messages(s) for s in ("queued", "sending", "sent", "unknown", "dead")] == [
        1, 0, 1, 1, 1]
    oldest = samples[("qi_outbox_oldest_undelivered_seconds", ())]
    assert 2 * 3600 <= oldest < 3 * 3600


def test_refused_commands_are_reported_by_command_and_error(engine: Engine) -> None:
    counters = CommandCounters()
    assert not any(name == "qi_commands_refused_total" for name, _ in _samples(engine, counters))

    counters.refused("close", "CommandRefused")
    counters.refused("close", "CommandRefused")
    counters.refused("start", "InvalidInput")
    samples = _samples(engine, counters)

    assert samples[("qi_commands_refused_total",
                    (("command", "close"), ("error_type", "CommandRefused")))] == 2
    assert samples[("qi_commands_refused_total",
                    (("command", "start"), ("error_type", "InvalidInput")))] == 1


def test_each_call_stands_alone(engine: Engine) -> None:
    counters = CommandCounters()
    counters.refused("close", "CommandRefused")

    with_counters = business_metrics(engine, counters=counters)
    without = business_metrics(engine)

    assert "qi_commands_refused_total" in with_counters
    assert "qi_commands_refused_total" not in without
    assert business_metrics(engine, counters=counters) == with_counters
