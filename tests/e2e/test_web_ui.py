"""An intervention started through the HTTP API shows in the Temporal Web UI, filterable by the
project's search attributes; its sealed summary and details are opened by the API's codec
server, for a browser that sends a user's token.

Drives headless Chromium (Debian's package) with Playwright (`tests.browser`).
"""

from __future__ import annotations

import httpx

from tests import scenario
from tests.browser import CHROMIUM, FLAGS, OUTPUT, require_browser
from tests.e2e.conftest import Qi, StartStack


def test_web_ui_filters_interventions_by_state(qi: Qi, qi_up: StartStack) -> None:
    require_browser()
    from playwright.sync_api import expect, sync_playwright

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
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
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
        finally:
            browser.close()
