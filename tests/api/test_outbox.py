"""GET /outbox and POST /outbox/{key}/resend: what mail waits or failed, and a resend that the
intervention's audit trail records with who asked."""

from __future__ import annotations

from sqlalchemy import Engine, update
from sqlmodel import col

from models.tables import Notification
from tests.api.conftest import COORDINATOR, Api, assert_error, start


def _kill(engine: Engine, key: str) -> None:
    """As the delivery loop leaves a message a relay refused for good."""
    with engine.begin() as conn:
        conn.execute(update(Notification).where(col(Notification.idempotency_key) == key)
                     .values(status="dead", attempts=3, last_error="SMTPDataError 550"))


async def test_a_dead_message_is_listed_without_its_body_and_resent_once_with_an_audit_note(
    api: Api,
) -> None:
    async with api.client() as client:
        intervention_id = await start(client)
        await api.settled(intervention_id)
        key = f"{intervention_id}:1:notify:provider-lead"
        assert (await client.get("/outbox")).json() == []
        _kill(api.engine, key)

        [listed] = (await client.get("/outbox")).json()
        assert (await client.get("/outbox", params={"status": "queued"})).json() == []
        resent = await client.post(f"/outbox/{key}/resend")
        again = await client.post(f"/outbox/{key}/resend")
        await api.settled(intervention_id)
        audit = (await client.get(f"/interventions/{intervention_id}/audit")).json()

    assert set(listed) == {"key", "intervention_id", "recipients", "subject", "status",
                           "attempts", "last_error", "created_at", "age_seconds"}
    assert (listed["key"], listed["status"], listed["attempts"]) == (key, "dead", 3)
    assert listed["last_error"] == "SMTPDataError 550"
    assert resent.status_code == 200, resent.text
    assert (resent.json()["status"], resent.json()["attempts"]) == ("queued", 3)
    assert_error(again, 409, "CommandRefused")
    [note] = [e for e in audit if e["command"] == "resend_message"]
    assert note["actor"] == COORDINATOR
    assert note["summary"] == "message 1:notify:provider-lead queued again (dead after 3 attempts)"


async def test_resending_a_message_the_outbox_never_held_is_unknown(api: Api) -> None:
    async with api.client() as client:
        response = await client.post("/outbox/intervention-nope:1:notify:x/resend")

    assert_error(response, 404, "UnknownReference")
