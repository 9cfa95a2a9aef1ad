"""An intervention started through the HTTP API shows in the Temporal Web UI, filterable by the
project's search attributes; its sealed summary and details are opened by the API's codec
server, for a browser that sends a user's token.

Drives headless Chromium (Debian's package) with Playwright (`tests.browser`).
"""

from __future__ import annotations

import re
import subprocess
import uuid
from typing import TYPE_CHECKING

import httpx

from tests import scenario
from tests.browser import OUTPUT, chromium_sync, require_browser
from tests.e2e.conftest import QI, Qi, StartStack

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page


def test_web_ui_filters_interventions_by_state(qi: Qi, qi_up: StartStack) -> None:
    require_browser()
    from playwright.sync_api import expect

    qi.ok("users", "add", scenario.COORDINATOR, "--role", "coordinator")
    token = qi.ok("tokens", "issue", scenario.COORDINATOR).stdout.strip()
    qi_up()
    body = scenario.start_request()
    del body["coordinator"]  # the API's coordinator is the authenticated user
    started = httpx.post(f"http://127.0.0.1:{qi.api_port}/interventions", json=body, timeout=30,
                         headers={"Authorization": f"Bearer {token}"})
    assert started.status_code == 201, started.text
    intervention_id = started.json()["data"]["intervention_id"]
    query = 'InterventionState="planned"'
    url = f"http://127.0.0.1:{qi.ui_port}/namespaces/default/workflows"

    OUTPUT.mkdir(exist_ok=True)
    with chromium_sync() as browser:
        # The browser sends the user's token (as a signing-in proxy in front of the UI would);
        # the UI's calls to the codec server (`qi up` points it there) carry it.
        context = browser.new_context(viewport={"width": 1440, "height": 900},
                                      extra_http_headers={"Authorization": f"Bearer {token}"})
        page = context.new_page()
        page.goto(url)
        page.get_by_test_id("toggle-manual-query").click()
        page.get_by_test_id("workflow-manual-search-input").fill(query)
        page.get_by_test_id("workflow-manual-search-button").click()
        link = page.get_by_role("link", name=intervention_id)
        expect(link).to_be_visible(timeout=30_000)
        page.screenshot(path=OUTPUT / "web-ui-interventions.png", full_page=True)
        assert "InterventionState" in page.url

        # The same filter for a state it is not in finds nothing.
        page.get_by_test_id("workflow-manual-search-input").fill(
            'InterventionState="closed"'
        )
        page.get_by_test_id("workflow-manual-search-button").click()
        expect(link).to_have_count(0, timeout=30_000)

        # Its page shows the static summary and the current-details checklist.
        page.goto(f"{url}/{intervention_id}")
        page.get_by_role("tab", name="User Metadata").click()
        # Summary, details and current details are rendered markdown, each in its iframe.
        summary, _details, current = (page.frame_locator("iframe").nth(i) for i in range(3))
        expect(summary.get_by_text("Urgent Risk Review: RXX01")).to_be_visible(timeout=30_000)
        expect(current.get_by_text("Panel convened")).to_be_visible(timeout=30_000)
        expect(current.get_by_text("Waiting for: reminder to coordinator")).to_be_visible()
        page.screenshot(path=OUTPUT / "web-ui-intervention.png", full_page=True)


def test_a_browser_signed_in_at_the_api_sees_what_the_web_ui_otherwise_shows_sealed(
    qi: Qi, qi_up: StartStack
) -> None:
    """The Web UI `qi up` serves calls the codec server with the browser's cookies: before the
    browser signs in at the API's /sign-in, an intervention's input shows only as ciphertext;
    after, the same page shows it as JSON."""
    require_browser()
    from playwright.sync_api import expect

    marker = f"Rota gaps {uuid.uuid4().hex[:10]}"
    password = "a password for the pages"
    qi.ok("users", "add", scenario.COORDINATOR, "--role", "coordinator")
    token = qi.ok("tokens", "issue", scenario.COORDINATOR).stdout.strip()
    set_password = subprocess.run(
        [*QI, "users", "set-password", scenario.COORDINATOR, "--password-stdin"],
        input=f"{password}\n", cwd=qi.home, env=qi.env, capture_output=True, text=True,
        timeout=60, check=False)
    assert set_password.returncode == 0, set_password.stderr
    qi_up()
    api = f"http://127.0.0.1:{qi.api_port}"
    body = scenario.start_request(concern={**scenario.start_request()["concern"],
                                           "summary": marker})
    del body["coordinator"]
    started = httpx.post(f"{api}/interventions", json=body, timeout=30,
                         headers={"Authorization": f"Bearer {token}"})
    assert started.status_code == 201, started.text
    intervention_id = started.json()["data"]["intervention_id"]
    workflow = f"http://127.0.0.1:{qi.ui_port}/namespaces/default/workflows/{intervention_id}"

    OUTPUT.mkdir(exist_ok=True)
    with chromium_sync() as browser:
        context = browser.new_context(viewport={"width": 1440, "height": 1200})
        page = context.new_page()
        page.goto(workflow)
        shown = page.get_by_role("textbox", name="Input")  # the workflow's input, as JSON
        # Sealed: one string of base64 (the ciphertext), nothing of the intervention.
        expect(shown).to_have_text(re.compile(r'^\s*"[A-Za-z0-9+/]{200,}=*"\s*$'),
                                   timeout=30_000)
        expect(page.get_by_text(marker)).to_have_count(0)
        page.screenshot(path=OUTPUT / "web-ui-input-sealed.png", full_page=True)

        page.goto(f"{api}/sign-in")
        page.get_by_label("User name").fill(scenario.COORDINATOR)
        page.get_by_label("Password", exact=True).fill(password)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("What needs you")

        page.goto(workflow)
        expect(shown).to_contain_text(f'"intervention_id": "{intervention_id}"',
                                      timeout=30_000)
        _scroll_to(page, shown, f'"summary": "{marker}"')
        page.screenshot(path=OUTPUT / "web-ui-input-opened.png", full_page=True)
        # Changes go through the service alone: the UI offers none, and its server is
        # never asked for one, even by a call made without the page.
        expect(page.get_by_role("button", name="Request Cancellation")).to_be_disabled()
    terminate = httpx.post(f"http://127.0.0.1:{qi.ui_port}/api/v1/namespaces/default/"
                           f"workflows/{intervention_id}/terminate", json={}, timeout=30)
    assert terminate.status_code == 403
    assert "Changes from the Web UI are turned off" in terminate.text
    still = httpx.get(f"{api}/interventions/{intervention_id}", timeout=30,
                      headers={"Authorization": f"Bearer {token}"})
    assert still.json()["data"]["state"] == "planned"
    assert "ended_outside" not in still.json() or still.json()["ended_outside"] is None


def _scroll_to(page: Page, editor: Locator, text: str) -> None:
    """Scroll the UI's code view (it draws only the lines in sight) down, half a view at a
    time as a reader would, until `text` is drawn."""
    from playwright.sync_api import expect

    for _ in range(200):
        if text in editor.inner_text():
            break
        done = editor.evaluate("""editor => {
            const view = editor.parentElement
            const before = view.scrollTop
            view.scrollTop += view.clientHeight / 2
            return view.scrollTop === before
        }""")
        # Two frames: the code view draws what scrolled into sight on the next one.
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => "
                      "requestAnimationFrame(r)))")
        if done:
            break
    line = editor.locator(".cm-line", has_text=text).first
    line.scroll_into_view_if_needed()
    expect(line).to_be_in_viewport()
