"""Where each page is: the one place that spells the pages' paths. An intervention's pages are
named by its reference (e.g. QI-2027-0042), which says nothing about the learners."""

from __future__ import annotations

from models.commands import Event

__all__ = ["DASHBOARD", "DOWNLOAD_ACTIONS", "DOWNLOAD_INTERVENTIONS", "SIGN_IN", "START",
           "command_page", "intervention_page"]

DASHBOARD = "/"
SIGN_IN = "/sign-in"
START = "/start"
# The dashboard's list as CSV, through the session (the API's /exports take bearer tokens).
DOWNLOAD_INTERVENTIONS = "/download/interventions.csv"
DOWNLOAD_ACTIONS = "/download/actions.csv"


def intervention_page(reference: str) -> str:
    return f"/intervention/{reference}"


def command_page(reference: str, event: Event) -> str:
    """The form that sends `event`, e.g. /intervention/QI-2027-0042/convene-panel."""
    return f"{intervention_page(reference)}/{event.value.replace('_', '-')}"
