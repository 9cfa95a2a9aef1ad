"""An Urgent Risk Review from start to closed in Chromium, by pages alone, against
the service as a person runs it (`qi up`): the coordinator starts it, convenes the panel,
issues the report, adds the action its finding needs, agrees the plan, accepts the action and
closes it; a panel member records the meeting, the provider's lead records progress and the
evidence for it, the dean approves closure, each signed in as themselves in a browser of their
own.

Nobody types an address but the service's, on their first visit: each reaches the
intervention from their dashboard and the links on its pages. Controls are found by their
role and label, as assistive technology finds them. On every page visited, axe-core finds
no violation, the console has no error and nothing is fetched from anywhere but the service;
its screenshot goes to test-output/pages/e2e/.

The whole path is walked twice: with the mouse, and with the keyboard alone (every control
reached with Tab; a listener counts mouse presses, none). On the way, another provider's lead
who types the intervention's address gets "Page not found".
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest

from tests import scenario
from tests.browser import OUTPUT, chromium_sync
from tests.e2e.conftest import Qi, StartStack

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Locator, Page, Request

SHOTS = OUTPUT / "pages" / "e2e"
SHOT_SETTLE_MS = 100
PASSWORD = "a long password for the pages"
ACT_WITHIN_MS = 15_000  # the most a page may take to answer a click
WITHIN_S = 30.0  # the most the read model may take to show a step that is done

COORDINATOR, DEAN = scenario.COORDINATOR, scenario.DEAN
PANEL = "ada.senior"  # sits on the panel as Dr Ada Senior
LEAD, OTHER_LEAD = "lead.rxx01", "lead.ryy02"
USERS = {
    COORDINATOR: ("coordinator", scenario.EMAILS[COORDINATOR], None),
    PANEL: ("panel_member", "ada@panel.example.nhs.uk", None),
    LEAD: ("provider_lead", scenario.LEAD_EMAIL, "RXX01"),
    DEAN: ("dean", scenario.EMAILS[DEAN], None),
    OTHER_LEAD: ("provider_lead", "dme@southshire.example.nhs.uk", "RYY02"),
}
PANEL_MEMBERS = (
    ("Dr Ada Senior", "ada@panel.example.nhs.uk", ("Senior panel member",)),
    ("Dr Ben Expert", "ben@panel.example.nhs.uk", ("Subject expert",)),
    ("Dr Cai External", "cai@panel.example.nhs.uk", ("External member", "Lay representative")),
)
REQUIREMENT = "Night-time supervision rota"
ACTION = "Publish a rota with a named senior on every night shift"
PROGRESS = "March rota published: a named senior on every night shift"
OFFERED = "The March rota and the night-cover audit, sent to the quality team"
EVIDENCE = "March rota and the night-cover audit show full cover"

# What the intervention's page says once a command's form was sent.
CONFIRMED = {"Convene panel": "Panel convened", "Record meeting": "Meeting recorded as held",
             "Issue report": "Report issued", "Add action": "Action added",
             "Agree action plan": "Action plan agreed",
             "Record action progress": "Progress recorded", "Accept action": "Action accepted",
             "Approve closure": "Closure approved", "Close": "Intervention closed"}


def titled(page: str) -> str:
    return f"{page} \u2013 Quality interventions"


# -- the people and their browsers -------------------------------------------------------------


@dataclass
class Shots:
    """Screenshots numbered in the order the pages were seen, whoever saw them."""

    prefix: str = ""
    taken: int = 0

    def next(self, name: str) -> str:
        self.taken += 1
        return f"{self.taken:02d}-{self.prefix}{name}.png"


@dataclass
class Person:
    """One person at their own browser: what its pages logged and fetched."""

    name: str
    page: Page
    origin: str
    shots: Shots
    keys: bool = False  # the keyboard alone: Tab to each control, then a key
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.on("console", self._logged)
        self.page.on("request", self._fetched)

    def _logged(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)

    def _fetched(self, request: Request) -> None:
        self.requests.append(request.url)

    def check(self, name: str, title: str) -> None:
        """The page has `title`; axe-core finds nothing wrong, the console no error, and
        nothing came from elsewhere; its screenshot is kept."""
        from axe_playwright_python.sync_playwright import Axe
        from playwright.sync_api import expect

        page = self.page
        expect(page).to_have_title(title)  # the page a click led to, not the one before
        page.wait_for_load_state()
        results: Any = Axe().run(page)
        violations = results.response["violations"]
        assert violations == [], "\n".join(
            f"{v['id']}: {v['help']} ({[n['target'] for n in v['nodes']]})" for v in violations)
        assert self.console_errors == [], f"{name}: {self.console_errors}"
        assert [u for u in self.requests if not u.startswith(f"{self.origin}/")] == []
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.wait_for_timeout(SHOT_SETTLE_MS)  # the screenshot only: nothing is asserted on time
        page.screenshot(path=SHOTS / self.shots.next(f"{self.name}-{name}"), full_page=True)

    def press(self, target: Locator) -> None:
        """Follow a link or press a button: a click, or Tab to it and Enter."""
        if self.keys:
            _tab_to(self.page, target)
            self.page.keyboard.press("Enter")
        else:
            target.click()

    def fill(self, target: Locator, text: str) -> None:
        """Type into an empty field: clicked into, or reached by Tab."""
        if self.keys:
            _tab_to(self.page, target)
            self.page.keyboard.type(text)
        else:
            target.fill(text)

    def tick(self, target: Locator) -> None:
        """Tick a checkbox or choose a radio: a click; or Tab to the checkbox and Space, or Tab
        into the radio's group (the focus lands on its chosen one, or its first) and the arrow
        keys to it."""
        from playwright.sync_api import expect

        if not self.keys:
            target.check()
            return
        if target.get_attribute("type") == "checkbox":
            _tab_to(self.page, target)
            self.page.keyboard.press("Space")
        else:
            _tab_into_group(self.page, target.get_attribute("name") or "")
            if _focused(target):
                self.page.keyboard.press("Space")
            for _ in range(MOST_CHOICES):
                if target.is_checked():
                    break
                self.page.keyboard.press("ArrowDown")
        expect(target).to_be_checked()

    def pick(self, target: Locator, label: str) -> None:
        """Choose an option of a select by its label: with the mouse, or Tab and arrow keys."""
        if not self.keys:
            target.select_option(label=label)
            return
        _tab_to(self.page, target)
        for _ in range(MOST_CHOICES):
            if target.evaluate("select => select.selectedOptions[0]?.label") == label:
                return
            self.page.keyboard.press("ArrowDown")
        pytest.fail(f"the arrow keys never chose {label!r} in {target}")

    def visit(self) -> None:
        """The first visit: the service's address, typed; its sign-in page."""
        from playwright.sync_api import expect

        self.page.goto(f"{self.origin}/")
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Sign in")
        self.check("sign-in", titled("Sign in"))

    def sign_in(self) -> None:
        from playwright.sync_api import expect

        page = self.page
        self.visit()
        self.fill(page.get_by_label("User name"), self.name)
        self.fill(page.get_by_label("Password", exact=True), PASSWORD)
        self.press(page.get_by_role("button", name="Sign in"))
        expect(page.get_by_role("navigation", name="Account")).to_contain_text(self.name)
        expect(page.get_by_role("heading", level=1)).to_have_text("What needs you")

    def dashboard(self) -> None:
        from playwright.sync_api import expect

        self.press(self.page.get_by_role("navigation", name="Menu").get_by_role(
            "link", name="What needs you"))
        expect(self.page.get_by_role("heading", level=1)).to_have_text("What needs you")

    def open_from_dashboard(self, reference: str, name: str) -> None:
        """From the dashboard, the intervention's page, by its link in the list (once the
        read model lists it)."""
        from playwright.sync_api import expect

        page = self.page
        listed = _interventions(page).get_by_role("link", name=reference, exact=True)
        _reload_until(page, listed)
        self.check(f"{name}-dashboard", titled("What needs you"))
        self.press(listed)
        expect(page.get_by_role("heading", level=1)).to_contain_text("Urgent Risk Review")
        self.check(f"{name}-intervention", titled(f"Urgent Risk Review {reference}"))

    def command(self, reference: str, command: str, name: str) -> None:
        """The command's link under "What is needed next", and its form."""
        from playwright.sync_api import expect

        page = self.page
        self.press(_needed(page).get_by_role("link", name=command, exact=True))
        expect(page.get_by_role("heading", level=1)).to_contain_text(command)
        self.check(f"{name}-form", titled(f"{command}, {reference}"))

    def send(self, reference: str, command: str, name: str) -> None:
        """Send the form; back on the intervention's page, which says what was done."""
        from playwright.sync_api import expect

        page = self.page
        self.press(page.get_by_role("button", name=command, exact=True))
        expect(page.get_by_role("heading", level=1)).to_contain_text("Urgent Risk Review")
        expect(page.get_by_role("alert")).to_contain_text(CONFIRMED[command])
        self.check(f"{name}-done", titled(f"Urgent Risk Review {reference}"))


def _interventions(page: Page) -> Locator:
    """The dashboard's list of interventions."""
    return page.get_by_role("table", name=re.compile(r"^Interventions"))


def _needed(page: Page) -> Locator:
    return page.get_by_role("list", name="What is needed next", exact=True)


def _reload_until(page: Page, locator: Locator, within: float = WITHIN_S) -> None:
    """Reload the page, as a person would, until `locator` is on it: the read model follows
    each step within moments, not at once."""
    deadline = time.monotonic() + within
    while locator.count() == 0:
        if time.monotonic() > deadline:
            pytest.fail(f"{locator} not on {page.url} within {within:.0f} s")
        page.wait_for_timeout(200)  # between reloads, not a timing assumption
        page.reload()


@pytest.fixture
def browser() -> Iterator[Browser]:
    with chromium_sync() as launched:
        yield launched


def _add_users(qi: Qi, *names: str) -> None:
    for name in names:
        role, email, provider = USERS[name]
        qi.ok("users", "add", name, "--role", role, "--email", email,
              *(["--provider", provider] if provider else []))
        qi.ok("users", "set-password", name, "--password-stdin", input=f"{PASSWORD}\n")


# Counts, across the pages of a tab, what the mouse (or a finger) did: a keyboard does nothing.
_POINTER_WATCH = """addEventListener("pointerdown", () => sessionStorage.setItem("pointed",
    Number(sessionStorage.getItem("pointed") || 0) + 1), true)"""


def _pointed(person: Person) -> int:
    """How often the mouse was pressed on the person's pages in their tab."""
    return int(person.page.evaluate("sessionStorage.getItem('pointed') || 0"))


def _person(browser: Browser, name: str, origin: str, shots: Shots, *, keys: bool) -> Person:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(ACT_WITHIN_MS)
    context.add_init_script(_POINTER_WATCH)
    return Person(name, context.new_page(), origin, shots, keys=keys)


# -- the journey -------------------------------------------------------------------------------


def _start(coordinator: Person) -> str:
    """Start an Urgent Risk Review from the start pages; its reference."""
    from playwright.sync_api import expect

    page = coordinator.page
    # A first-time coordinator's dashboard offers it where their list would be.
    coordinator.press(page.get_by_role("main").get_by_role("link", name="start an intervention"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose the type of intervention")
    coordinator.check("start-type", titled("Choose the type of intervention"))
    coordinator.tick(page.get_by_label("Urgent Risk Review"))
    coordinator.press(page.get_by_role("button", name="Continue"))

    expect(page.get_by_role("heading", level=1)).to_have_text("Provider and concern")
    for label, value in (("Provider code", "RXX01"),
                         ("Provider name", "Northshire Hospitals NHS Trust"),
                         ("Site", "Northshire General, Emergency Department"),
                         ("Provider lead's name", "Dr Morgan Hale"),
                         ("Provider lead's email address", scenario.LEAD_EMAIL),
                         ("Summary of the concern", "Supervision gaps reported on night shifts")):
        coordinator.fill(page.get_by_label(label, exact=True), value)
    coordinator.tick(page.get_by_label("GMC National Training Survey", exact=True))
    coordinator.tick(page.get_by_role("group", name="Likelihood").get_by_label("4"))
    coordinator.tick(page.get_by_role("group", name="Impact").get_by_label("4"))
    coordinator.check("start-details", titled("Provider and concern"))
    coordinator.press(page.get_by_role("button", name="Continue"))

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check your answers before starting")
    coordinator.check("start-check", titled("Check your answers before starting"))
    coordinator.press(page.get_by_role("button", name="Start intervention"))

    caption = page.get_by_role("heading", level=1).get_by_text(re.compile(r"^QI-\d{4}-\d{4}$"))
    expect(caption).to_be_visible()
    reference = caption.inner_text().strip()
    coordinator.check("started", titled(f"Urgent Risk Review {reference}"))
    return reference


def _convene(coordinator: Person, reference: str) -> None:
    page = coordinator.page
    coordinator.command(reference, "Convene panel", "convene")
    for i, (name, email, roles) in enumerate(PANEL_MEMBERS, start=1):
        member = page.get_by_role("group", name=f"Member {i}", exact=True)
        coordinator.fill(member.get_by_label("Name", exact=True), name)
        coordinator.fill(member.get_by_label("Email", exact=True), email)
        for role in roles:
            coordinator.tick(member.get_by_role("group", name="Roles").get_by_label(
                role, exact=True))
        coordinator.tick(member.get_by_role("group", name="Interests declared").get_by_label(
            "Yes", exact=True))
    coordinator.fill(page.get_by_label("Chair", exact=True), "Dr Ada Senior")
    coordinator.check("convene-filled", titled(f"Convene panel, {reference}"))
    coordinator.send(reference, "Convene panel", "convene")


def _record_meeting(panel: Person, reference: str) -> None:
    page = panel.page
    panel.command(reference, "Record meeting", "meeting")
    panel.fill(page.get_by_label("Date held", exact=True), "today")
    panel.tick(page.get_by_role("group", name="Format").get_by_label("Face to face", exact=True))
    attendance = page.get_by_role("group", name="Attendance", exact=True)
    for label, count in (("Learners", "12"), ("Supervisors", "4"), ("Leaders", "2")):
        panel.fill(attendance.get_by_label(label, exact=True), count)
    panel.send(reference, "Record meeting", "meeting")


def _issue_report(coordinator: Person, reference: str) -> None:
    page = coordinator.page
    coordinator.command(reference, "Issue report", "report")
    coordinator.tick(page.get_by_role("group", name="Final").get_by_label("Yes", exact=True))
    coordinator.fill(page.get_by_label("Date factual accuracy closed", exact=True), "today")
    for i, (category, text) in enumerate((("Mandatory requirement", REQUIREMENT),
                                          ("Good practice", "Teaching valued by learners")),
                                         start=1):
        finding = page.get_by_role("group", name=f"Finding {i}", exact=True)
        coordinator.pick(finding.get_by_label("Category", exact=True), category)
        coordinator.fill(finding.get_by_label("Text", exact=True), text)
    coordinator.check("report-filled", titled(f"Issue report, {reference}"))
    coordinator.send(reference, "Issue report", "report")


def _add_action(coordinator: Person, reference: str) -> None:
    page = coordinator.page
    coordinator.command(reference, "Add action", "action")
    due = (scenario.today() + timedelta(days=30)).strftime("%d/%m/%Y")
    coordinator.tick(page.get_by_role("group", name="Finding", exact=True).get_by_label(
        re.compile(rf"\bF1 .*{REQUIREMENT}")))
    for label, value in (("Description", ACTION),
                         ("Owner name", "Dr Morgan Hale"), ("Owner email", scenario.LEAD_EMAIL),
                         ("Date due", due)):
        coordinator.fill(page.get_by_label(label, exact=True), value)
    coordinator.send(reference, "Add action", "action")


def _pick_action(person: Person) -> None:
    person.tick(person.page.get_by_role("group", name="Action", exact=True).get_by_label(
        re.compile(r"\bA1 ")))


def _record_progress(lead: Person, reference: str) -> None:
    page = lead.page
    lead.command(reference, "Record action progress", "progress")
    _pick_action(lead)
    lead.fill(page.get_by_label("Note", exact=True), PROGRESS)
    lead.fill(page.get_by_label("Evidence (optional)", exact=True), OFFERED)
    lead.send(reference, "Record action progress", "progress")


def _accept(coordinator: Person, reference: str) -> None:
    page = coordinator.page
    coordinator.command(reference, "Accept action", "accept")
    _pick_action(coordinator)
    coordinator.fill(page.get_by_label("Evidence", exact=True), EVIDENCE)
    coordinator.send(reference, "Accept action", "accept")


def _audit_entry(page: Page, what: str) -> Locator:
    """The entries of the audit trail ("What has happened") headed `what`."""
    return page.get_by_role("list", name="What has happened").get_by_role("listitem").filter(
        has=page.get_by_role("heading", name=what, exact=True))


AUDITED = [("Started", COORDINATOR), ("Convene panel", COORDINATOR), ("Record meeting", PANEL),
           ("Issue report", COORDINATOR), ("Add action", COORDINATOR),
           ("Agree action plan", COORDINATOR), ("Record action progress", LEAD),
           ("Accept action", COORDINATOR), ("Approve closure", DEAN), ("Close", COORDINATOR)]


@pytest.mark.timeout(600)
@pytest.mark.parametrize("by", ["clicks", "keyboard"])
def test_an_urgent_review_goes_from_start_to_closed_by_pages_alone(
        qi: Qi, qi_up: StartStack, browser: Browser, by: str) -> None:
    """Once with the mouse, and once with the keyboard alone: every link, button, field, box
    and choice reached with Tab and worked with Enter, Space, the arrow keys and typing."""
    from playwright.sync_api import expect

    _add_users(qi, COORDINATOR, PANEL, LEAD, DEAN, OTHER_LEAD)
    qi_up()
    origin = f"http://127.0.0.1:{qi.api_port}"
    shots = Shots(prefix="keyboard-" if by == "keyboard" else "")
    people = [_person(browser, name, origin, shots, keys=by == "keyboard")
              for name in (COORDINATOR, PANEL, LEAD, DEAN, OTHER_LEAD)]
    coordinator, panel, lead, dean, other = people

    coordinator.sign_in()
    coordinator.check("dashboard", titled("What needs you"))
    reference = _start(coordinator)
    _another_provider_finds_no_page(other, reference)
    _convene(coordinator, reference)

    panel.sign_in()
    panel.open_from_dashboard(reference, "meeting")
    _record_meeting(panel, reference)

    coordinator.dashboard()
    coordinator.open_from_dashboard(reference, "report")
    _issue_report(coordinator, reference)
    # The plan waits for the action its requirement needs: no link to it yet.
    page = coordinator.page
    expect(_needed(page).get_by_role("link", name="Agree action plan")).to_have_count(0)
    expect(_needed(page)).to_contain_text("requirement F1 has no action")
    _add_action(coordinator, reference)
    coordinator.command(reference, "Agree action plan", "plan")
    coordinator.send(reference, "Agree action plan", "plan")

    lead.sign_in()
    lead.open_from_dashboard(reference, "progress")
    _record_progress(lead, reference)

    coordinator.dashboard()
    coordinator.open_from_dashboard(reference, "accept")
    # What the lead said of it, and the evidence they offered.
    expect(page.get_by_role("main")).to_contain_text(f"{PROGRESS} Evidence offered: {OFFERED}")
    _accept(coordinator, reference)

    dean.sign_in()
    dean.open_from_dashboard(reference, "approve")
    dean.command(reference, "Approve closure", "approve")
    dean.send(reference, "Approve closure", "approve")

    coordinator.dashboard()
    coordinator.open_from_dashboard(reference, "close")
    coordinator.command(reference, "Close", "close")
    coordinator.send(reference, "Close", "close")

    expect(page.get_by_role("list", name="Where it is").get_by_role("listitem").last
           ).to_contain_text(re.compile(r"Closed.*Done", re.S))
    expect(page.get_by_role("main")).to_contain_text("this intervention is closed and takes "
                                                     "no more commands")
    _reload_until(page, _audit_entry(page, "Close"))
    for what, who in AUDITED:
        entry = _audit_entry(page, what)
        expect(entry).to_have_count(1)
        expect(entry).to_contain_text(f", by {who}")
    expect(page.get_by_role("list", name="What has happened").get_by_role("listitem")
           ).to_have_count(len(AUDITED))
    coordinator.check("closed", titled(f"Urgent Risk Review {reference}"))
    pressed = [_pointed(person) for person in people]
    if by == "keyboard":
        assert pressed == [0] * len(people), "the mouse was pressed on a page"
    else:
        assert all(pressed), "the count of mouse presses saw none"  # so it can see them


def _another_provider_finds_no_page(other: Person, reference: str) -> None:
    """Another provider's lead lists nothing, and typing the intervention's address (as a
    guess) gets the same "Page not found" as an address that names nothing."""
    from playwright.sync_api import expect

    other.sign_in()
    expect(other.page.get_by_role("main")).to_contain_text("Your provider has no interventions")
    other.check("other-provider-dashboard", titled("What needs you"))
    answer = other.page.goto(f"{other.origin}/intervention/{reference}")
    assert answer is not None
    assert answer.status == 404
    expect(other.page.get_by_role("heading", level=1)).to_have_text("Page not found")
    expect(other.page.get_by_role("main")).not_to_contain_text(reference)
    # The browser logs the 404 itself, which is the point here; nothing else.
    assert other.console_errors == [
        "Failed to load resource: the server responded with a status of 404 (Not Found)"]
    other.console_errors.clear()
    other.check("other-provider-not-found", titled("Page not found"))


# -- the keyboard ------------------------------------------------------------------------------

MOST_TABS = 400  # past every control of the longest page, and round again
MOST_CHOICES = 20  # past every choice of the longest group or list


def _focused(target: Locator) -> bool:
    return bool(target.evaluate("element => element === document.activeElement"))


def _tab_to(page: Page, target: Locator) -> None:
    """Press Tab until `target` has the focus, as a keyboard user moves through a page."""
    for _ in range(MOST_TABS):
        if _focused(target):
            return
        page.keyboard.press("Tab")
    pytest.fail(f"Tab never reached {target}")


def _tab_into_group(page: Page, name: str) -> None:
    """Press Tab until the focus is on a radio of the group `name` (Tab stops once a group)."""
    inside = ("name => document.activeElement?.type === 'radio' "
              "&& document.activeElement.name === name")
    for _ in range(MOST_TABS):
        if page.evaluate(inside, name):
            return
        page.keyboard.press("Tab")
    pytest.fail(f"Tab never reached the radios {name!r}")
