"""Business metrics in the Prometheus text format, for the API's `/metrics`.

Gauges are computed from the read model on every scrape (a few GROUP BY queries), so any
number of API processes report the same figures. Refused commands happen in the process that
was asked, so each process counts its own (`CommandCounters`); Prometheus sums them.
No module-level registry: every call builds its own, so nothing leaks between tests or apps.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, case, func, select
from sqlmodel import col

from core.health import Lag
from models.intervention import Ended, State, recorded_state
from models.tables import Intervention, Notification, NotificationStatus

__all__ = [
    "CONTENT_TYPE",
    "CommandCounters",
    "ReadModelCollector",
    "business_metrics",
    "lag_metrics",
]

CONTENT_TYPE = CONTENT_TYPE_LATEST

# Scheduled notices (reminders, escalations, progress reminders, nudges) are sent under keys
# `<workflow id>:notice:<notice key>`; a step's own announcements under `<id>:<n>:notify:<name>`.
_NOTICE_KEY = ":notice:"
_UNDELIVERED = (NotificationStatus.QUEUED, NotificationStatus.SENDING, NotificationStatus.UNKNOWN)


class CommandCounters(Collector):
    """Commands refused since this process started, by command and error type; thread-safe.

    Hand one to `Interventions(refusals=...)` and to `business_metrics(counters=...)`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._refused: Counter[tuple[str, str]] = Counter()

    def refused(self, command: str, error_type: str) -> None:
        with self._lock:
            self._refused[(command, error_type)] += 1

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily(
            "qi_commands_refused",
            "Commands refused (by the lifecycle, as invalid, or naming an unknown intervention)",
            labels=["command", "error_type"],
        )
        with self._lock:
            counts = sorted(self._refused.items())
        for (command, error_type), count in counts:
            family.add_metric([command, error_type], count)
        yield family


class ReadModelCollector(Collector):
    """Interventions, actions and notifications as the read model holds them now."""

    def __init__(
        self, engine: Engine, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._engine = engine
        self._clock = clock

    def collect(self) -> Iterator[Metric]:
        yield from self._interventions()
        yield from self._notifications()

    def _interventions(self) -> Iterator[Metric]:
        by_state = GaugeMetricFamily(
            "qi_interventions", "Interventions by type and state", labels=["type", "state"]
        )
        open_actions = GaugeMetricFamily(
            "qi_open_actions", "Open actions of interventions not yet closed", labels=["type"]
        )
        overdue = GaugeMetricFamily(
            "qi_overdue_actions",
            "Actions past due whose owner has been chased, as of each intervention's last record",
            labels=["type"],
        )
        escalated = GaugeMetricFamily(
            "qi_escalated_interventions", "Escalated interventions not yet closed", labels=["type"]
        )
        i = Intervention
        query = select(
            col(i.type_code),
            col(i.state),
            func.count(),
            func.coalesce(func.sum(col(i.open_actions)), 0),
            func.coalesce(func.sum(col(i.overdue_actions)), 0),
            func.coalesce(func.sum(case((col(i.escalated), 1), else_=0)), 0),
        ).group_by(col(i.type_code), col(i.state))
        counts: Counter[tuple[str, str]] = Counter()
        live: dict[str, Counter[str]] = {}
        with self._engine.connect() as conn:
            for type_code, state, count, opened, late, raised in conn.execute(query):
                counts[(type_code, state)] = count
                if not recorded_state(state).terminal:
                    totals = live.setdefault(type_code, Counter())
                    totals.update(open=opened, overdue=late, escalated=raised)
        # Every state of every type seen, zeros included, so a series never just disappears.
        for type_code in sorted({t for t, _ in counts}):
            for state in (*State, *Ended):
                by_state.add_metric([type_code, state.value], counts[(type_code, state.value)])
            totals = live.get(type_code, Counter())
            open_actions.add_metric([type_code], totals["open"])
            overdue.add_metric([type_code], totals["overdue"])
            escalated.add_metric([type_code], totals["escalated"])
        yield from (by_state, open_actions, overdue, escalated)

    def _notifications(self) -> Iterator[Metric]:
        sent = CounterMetricFamily(
            "qi_notifications_sent",
            "E-mails sent: kind=reminder for scheduled reminders, escalations and nudges, "
            "kind=notification for a step's announcements",
            labels=["kind"],
        )
        by_status = GaugeMetricFamily(
            "qi_outbox_messages",
            "Messages in the outbox by status: queued, sending, sent, unknown (cut off, sent "
            "again), dead (refused for good; `qi outbox resend` after fixing)",
            labels=["status"],
        )
        oldest = GaugeMetricFamily(
            "qi_outbox_oldest_undelivered_seconds",
            "Age of the oldest message queued, sending or unknown; 0 when there is none",
        )
        key = col(Notification.idempotency_key)
        kind = case((key.contains(_NOTICE_KEY, autoescape=True), "reminder"),
                    else_="notification").label("kind")
        query = select(kind, col(Notification.status), func.count()).group_by(
            kind, col(Notification.status)
        )
        undelivered = col(Notification.status).in_([s.value for s in _UNDELIVERED])
        first = select(func.min(col(Notification.created_at))).where(undelivered)
        counts: Counter[tuple[str, str]] = Counter()
        with self._engine.connect() as conn:
            for label, status, count in conn.execute(query):
                counts[(label, status)] = count
            created = conn.execute(first).scalar_one_or_none()
        for label in ("notification", "reminder"):
            sent.add_metric([label], counts[(label, NotificationStatus.SENT.value)])
        for state in NotificationStatus:
            by_status.add_metric([state.value], sum(
                n for (_, status), n in counts.items() if status == state.value
            ))
        oldest.add_metric([], _age_seconds(created, self._clock()))
        yield from (sent, by_status, oldest)


def _age_seconds(created: datetime | None, now: datetime) -> float:
    if created is None:
        return 0.0
    if created.tzinfo is None:  # SQLite returns what it stored, without the zone
        created = created.replace(tzinfo=UTC)
    return max(0.0, (now - created).total_seconds())


def business_metrics(engine: Engine, *, counters: CommandCounters | None = None) -> str:
    """The exposition text of the read model's gauges (and `counters`, when given)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ReadModelCollector(engine))
    if counters is not None:
        registry.register(counters)
    return generate_latest(registry).decode()


def lag_metrics(lag: Lag | None) -> str:
    """The read model's lag as gauges; absent when Temporal could not say."""
    if lag is None:
        return ""
    entries = GaugeMetricFamily(
        "qi_read_model_lag_entries", "Audit entries accepted but not yet in the read model"
    )
    entries.add_metric([], lag.entries)
    interventions = GaugeMetricFamily(
        "qi_read_model_lag_interventions", "Running interventions whose recording is held up"
    )
    interventions.add_metric([], lag.interventions)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Fixed([entries, interventions]))
    return generate_latest(registry).decode()


class _Fixed(Collector):
    def __init__(self, metrics: list[Metric]) -> None:
        self._metrics = metrics

    def collect(self) -> Iterator[Metric]:
        return iter(self._metrics)
