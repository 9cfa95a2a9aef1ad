"""An intervention's page: where it stands, what is needed next, its panel, meetings, findings,
actions and schedule, and its audit trail, for anyone who may read it.

Named by its reference (QI-2027-0042) or its full ID, as the API's routes are. Roles and
provider scope are the API's (`page_caller`, `visible_intervention`): another provider's
intervention is the same 404 page as one that does not exist. The page costs one query of the
workflow (its status: data, next steps, notices to come) and one of the read model (its audit
trail), besides the session and, for a reference, looking the reference up.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from api.context import get_context
from api.pages.access import SignedInDep, page_caller, visible_intervention
from api.pages.intervention_view import (
    audit_rows,
    ending,
    lifecycle,
    next_commands,
    schedule,
)
from api.pages.notices import pop_notice
from api.pages.rendering import Pages
from api.pages.start_questions import question_at
from api.pages.urls import DASHBOARD, intervention_page
from api.pages.wording import uk_day
from core.read_model import audit_trail
from core.settings import Settings
from models.access import Operation
from models.vocabulary import Role

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def web_ui_workflow(settings: Settings, workflow_id: str) -> str:
    """The intervention's workflow in the Temporal Web UI."""
    namespace = settings.temporal_namespace or "default"
    return (f"{settings.resolved_ui_origin}/namespaces/{quote(namespace, safe='')}"
            f"/workflows/{quote(workflow_id, safe='')}")


@router.get(intervention_page("{reference}"))
async def intervention(reference: str, request: Request, signed: SignedInDep) -> Response:
    caller = page_caller(request, signed, Operation.read)
    status = await visible_intervention(request, caller, reference)
    context = get_context(request)
    data = status.data
    audit = await run_in_threadpool(audit_trail, context.engine, data.intervention_id)
    named = data.reference or data.intervention_id
    role = signed.user.role
    needed, aside = next_commands(status, named, role)
    ended = ending(status, audit)
    pages: Pages = request.app.state.pages
    return pages.render(request, "intervention.jinja", {
        "title": f"{data.type.name} {named}",
        "signed_in": signed,
        "notice": await pop_notice(request, named),
        "dashboard": DASHBOARD,
        "reference": named,
        "data": data,
        # As the start page named it when the coordinator chose it.
        "source": dict(question_at("concern.source").choices)[str(data.concern.source)],
        "today": status.today,
        "started_on": uk_day(data.started_at),
        "escalations": [{"level": e.level, "on": uk_day(e.at), "by": e.by, "reason": e.reason}
                        for e in data.escalations],
        "ending": ended,
        "steps": [] if ended else lifecycle(data, audit),
        "needed": needed,
        "aside": aside,
        "planned": schedule(status),
        "audit": audit_rows(audit),
        "web_ui_url": web_ui_workflow(context.settings, data.intervention_id)
        if role is Role.coordinator else None,
    })
