"""Signing in and out as a browser does it (cookies kept), through the API's app: the NHS error
pattern, cookie flags, CSRF refusals, expiry, and the session identifying the user a token
would, where cookies count (the pages and the codec server) and nowhere else."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text
from temporalio.api.common.v1 import Payload

from core import passwords
from core.users import account_history, set_disabled
from models.tables import AccountAction
from tests.environments import sealed
from tests.pages.conftest import (
    COORDINATOR,
    LEAD,
    OPERATOR,
    PASSWORD,
    UI_ORIGIN,
    VIEWER,
    Site,
    build_site,
    csrf_of,
    sign_in,
    title_of,
    titled,
)

# What the API's middleware sends with every response (api.middleware), but its default policy.
_API_SECURITY_HEADERS = {"cache-control": "no-store", "x-content-type-options": "nosniff",
                         "x-frame-options": "DENY", "referrer-policy": "no-referrer"}
_SUMMARY_LINK = r'<a href="(#\w+)"\s*>\s*([^<]+?)\s*</a>'
SECRET = Payload(metadata={"encoding": b"json/plain"}, data=b'"Night-time supervision rota"')


def _cookie(response: httpx.Response, name: str) -> dict[str, Any]:
    """The attributes of the cookie `name` the response sets (lower-case keys)."""
    for header in response.headers.get_list("set-cookie"):
        jar: SimpleCookie = SimpleCookie()
        jar.load(header)
        if name in jar:
            morsel = jar[name]
            flags = {k.lower() for k in re.findall(r";\s*([A-Za-z]+)(?=;|$)", header)}
            return {"value": morsel.value, "path": morsel["path"],
                    "samesite": morsel["samesite"].lower(), "httponly": "httponly" in flags,
                    "secure": "secure" in flags, "max-age": morsel["max-age"]}
    raise AssertionError(f"no Set-Cookie for {name}: {response.headers.get_list('set-cookie')}")


async def test_a_page_without_a_session_sends_the_browser_to_sign_in(site: Site) -> None:
    async with site.browser() as browser:
        home = await browser.get("/")

    assert home.status_code == 303
    assert home.headers["location"] == "/sign-in"


async def test_the_sign_in_page_is_a_form_with_a_title_and_a_strict_policy(site: Site) -> None:
    async with site.browser() as browser:
        page = await browser.get("/sign-in")

    assert page.status_code == 200
    assert title_of(page) == titled("Sign in")
    assert 'autocomplete="username"' in page.text
    assert 'autocomplete="current-password"' in page.text
    policy = page.headers["content-security-policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy)
    assert nonce
    assert "default-src 'none'" in policy
    assert "script-src 'self' 'nonce-" in policy
    assert "style-src 'self';" in policy
    assert "frame-ancestors 'none'" in policy
    assert "https:" not in policy  # nothing from elsewhere, no CDN
    # Every script on the page is the service's own file or carries this response's nonce.
    scripts = re.findall(r"<script([^>]*)>", page.text)
    assert scripts
    assert all(f'nonce="{nonce.group(1)}"' in attrs for attrs in scripts)
    assert _cookie(page, "qi_sign_in") | {"value": "-"} == {
        "value": "-", "path": "/sign-in", "samesite": "strict", "httponly": True,
        "secure": False, "max-age": ""}


async def test_missing_answers_are_named_in_the_error_summary_and_at_each_field(
    site: Site
) -> None:
    async with site.browser() as browser:
        form = await browser.get("/sign-in")
        answered = await browser.post("/sign-in", data={"name": " ", "password": "",
                                                        "csrf_token": csrf_of(form)})

    assert answered.status_code == 400
    assert title_of(answered) == titled("Sign in", error=True)
    summary = answered.text[answered.text.index("nhsuk-error-summary"):
                            answered.text.index("<h1")]
    assert re.findall(_SUMMARY_LINK, summary) == [
        ("#name", "Enter your user name"), ("#password", "Enter your password")]
    assert 'id="name-error"' in answered.text
    assert 'id="password-error"' in answered.text
    assert "qi_session" not in answered.headers.get("set-cookie", "")


@pytest.mark.parametrize(("name", "password"), [(COORDINATOR, "not the password at all"),
                                                ("nobody.here", PASSWORD)])
async def test_a_wrong_name_or_password_gets_one_answer_that_hints_at_neither(
    site: Site, name: str, password: str
) -> None:
    async with site.browser() as browser:
        answered = await sign_in(browser, name, password)

    assert answered.status_code == 400
    assert title_of(answered) == titled("Sign in", error=True)
    assert re.findall(_SUMMARY_LINK, answered.text) == [
        ("#name", "The user name or password is not right")]
    assert "nhsuk-error-message" not in answered.text  # no field is singled out
    assert f'value="{name}"' in answered.text  # the name is kept for another try
    assert password not in answered.text
    assert "qi_session" not in answered.headers.get("set-cookie", "")


class _CountingHasher:
    def __init__(self, real: Any) -> None:
        self.real, self.verified = real, 0

    def verify(self, stored: str, password: str) -> bool:
        self.verified += 1
        result: bool = self.real.verify(stored, password)
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


@pytest.mark.parametrize("name", [COORDINATOR, "nobody.here"])
async def test_an_unknown_name_costs_the_same_hashing_as_a_wrong_password(
    site: Site, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    counting = _CountingHasher(passwords._HASHER)
    monkeypatch.setattr(passwords, "_HASHER", counting)

    async with site.browser() as browser:
        await sign_in(browser, name, "not the password at all")

    assert counting.verified == 1


async def test_signing_in_sets_a_session_cookie_and_lands_on_the_start_page(site: Site) -> None:
    async with site.browser() as browser:
        signed = await sign_in(browser)
        home = await browser.get("/")

    assert signed.status_code == 303
    assert signed.headers["location"] == "/"
    cookie = _cookie(signed, "qi_session")
    assert cookie | {"value": "-"} == {"value": "-", "path": "/", "samesite": "lax",
                                       "httponly": True, "secure": False, "max-age": ""}
    assert len(cookie["value"]) >= 43  # 32 random bytes
    assert home.status_code == 200
    assert title_of(home) == titled("What needs you")
    assert COORDINATOR in home.text
    assert 'action="/sign-out"' in home.text
    assert f"{UI_ORIGIN}/namespaces/default/workflows" in home.text


async def test_over_https_the_session_cookie_is_secure(sqlite_engine: Engine) -> None:
    # Deployed behind its own name, which the operator adds to QI_ALLOWED_HOSTS.
    site = build_site(sqlite_engine, allowed_hosts=["qi.example.nhs.uk"])
    async with site.browser("https://qi.example.nhs.uk") as browser:
        signed = await sign_in(browser)

    assert _cookie(signed, "qi_session")["secure"] is True


async def test_the_sign_in_form_needs_its_own_token(site: Site) -> None:
    async with site.browser() as browser:
        await browser.get("/sign-in")  # the cookie half
        forged = await browser.post("/sign-in", data={"name": COORDINATOR, "password": PASSWORD,
                                                      "csrf_token": "made-up"})
        foreign = await browser.post("/sign-in", data={
            "name": COORDINATOR, "password": PASSWORD, "csrf_token": "jeton-à-moi"})
    async with site.browser() as stranger:  # no cookie half at all
        cookieless = await stranger.post("/sign-in", data={
            "name": COORDINATOR, "password": PASSWORD, "csrf_token": "made-up"})

    for refused in (forged, foreign, cookieless):
        assert refused.status_code == 400
        assert "This page had expired, so you were not signed in" in refused.text
        assert "qi_session" not in refused.headers.get("set-cookie", "")


@pytest.mark.parametrize("token", [None, "", "not-the-sessions-token", "jeton-à-moi"])
async def test_signing_out_without_the_sessions_token_is_refused(
    site: Site, token: str | None
) -> None:
    async with site.browser() as browser:
        await sign_in(browser)
        refused = await browser.post("/sign-out",
                                     data={} if token is None else {"csrf_token": token})
        still = await browser.get("/")

    assert refused.status_code == 403
    assert title_of(refused) == titled("That page had expired")
    assert still.status_code == 200  # nothing changed


async def test_signing_out_revokes_the_session_for_good(site: Site) -> None:
    async with site.browser() as browser:
        await sign_in(browser)
        home = await browser.get("/")
        session_id = browser.cookies["qi_session"]
        signed_out = await browser.post("/sign-out", data={"csrf_token": csrf_of(home)})
        after = await browser.get("/")
    async with site.browser() as replay:  # the old cookie, kept by someone
        replay.cookies.set("qi_session", session_id)
        replayed = await replay.get("/")

    assert signed_out.status_code == 303
    assert signed_out.headers["location"] == "/signed-out"
    assert _cookie(signed_out, "qi_session")["max-age"] == "0"
    assert after.status_code == 303
    assert replayed.status_code == 303
    assert replayed.headers["location"] == "/sign-in"
    with site.engine.connect() as conn:
        assert conn.execute(text("SELECT revoked_at IS NOT NULL FROM web_session")).scalar()


@pytest.mark.parametrize(
    ("column", "ago"),
    [("last_seen_at", timedelta(minutes=31)), ("expires_at", timedelta(0))],
    ids=["idle for longer than 30 minutes", "past its absolute expiry"],
)
async def test_an_expired_session_sends_the_browser_back_to_sign_in(
    site: Site, column: str, ago: timedelta
) -> None:
    async with site.browser() as browser:
        await sign_in(browser)
        assert (await browser.get("/")).status_code == 200
        with site.engine.begin() as conn:  # as if that much time had passed
            conn.execute(text(f"UPDATE web_session SET {column} = :when"),
                         {"when": datetime.now(UTC) - ago})
        expired = await browser.get("/")

    assert expired.status_code == 303
    assert expired.headers["location"] == "/sign-in"


async def test_signing_in_again_ends_the_session_the_browser_had(site: Site) -> None:
    async with site.browser() as browser:
        await sign_in(browser)
        first = browser.cookies["qi_session"]
        await browser.get("/sign-out")  # not a way to sign out: GET changes nothing
        browser.cookies.clear()
        browser.cookies.set("qi_session", first)
        # Signed in: /sign-in sends the browser on; a fresh form signs in anew.
        assert (await browser.get("/sign-in")).headers["location"] == "/"
        browser.cookies.set("qi_sign_in", "t", path="/sign-in")
        again = await browser.post("/sign-in", data={"name": VIEWER, "password": PASSWORD,
                                                     "csrf_token": "t"})
    async with site.browser() as replay:
        replay.cookies.set("qi_session", first)
        replayed = await replay.get("/")

    assert again.status_code == 303
    assert _cookie(again, "qi_session")["value"] != first
    assert replayed.status_code == 303


def _payload_json(payload: Payload) -> dict[str, Any]:
    return {"metadata": {k: base64.b64encode(v).decode() for k, v in payload.metadata.items()},
            "data": base64.b64encode(payload.data).decode()}


async def _sealed_secret() -> dict[str, Any]:
    codec = sealed().payload_codec
    assert codec is not None
    (payload,) = await codec.encode([SECRET])
    return {"payloads": [_payload_json(payload)]}


async def test_the_codec_server_opens_payloads_for_a_session_from_the_web_ui(
    site: Site
) -> None:
    body = await _sealed_secret()
    async with site.browser() as browser:
        await sign_in(browser, VIEWER)
        decoded = await browser.post("/codec/decode", json=body, headers={"Origin": UI_ORIGIN})

    assert decoded.status_code == 200, decoded.text
    assert decoded.headers["access-control-allow-origin"] == UI_ORIGIN
    assert decoded.headers["access-control-allow-credentials"] == "true"
    opened = base64.b64decode(decoded.json()["payloads"][0]["data"])
    assert opened == SECRET.data


@pytest.mark.parametrize("origin", [None, "http://evil.example", "http://127.0.0.1:9999",
                                    "http://localhost:8233"])
async def test_a_session_counts_at_the_codec_server_only_from_the_web_uis_origin(
    site: Site, origin: str | None
) -> None:
    body = await _sealed_secret()
    async with site.browser() as browser:
        await sign_in(browser, VIEWER)
        refused = await browser.post("/codec/decode", json=body,
                                     headers={"Origin": origin} if origin else {})

    assert refused.status_code == 401
    assert "Night-time" not in refused.text
    assert refused.headers.get("access-control-allow-origin") is None


async def test_a_session_has_the_same_permissions_as_the_users_token(site: Site) -> None:
    body = await _sealed_secret()
    async with site.browser() as browser:
        await sign_in(browser, LEAD)
        by_session = await browser.post("/codec/decode", json=body,
                                        headers={"Origin": UI_ORIGIN})
    async with site.browser(Authorization=f"Bearer {site.tokens[LEAD]}") as client:
        by_token = await client.post("/codec/decode", json=body)

    # A provider lead may not open payloads, however they sign in.
    assert by_session.status_code == by_token.status_code == 403
    assert by_session.json()["problems"] == by_token.json()["problems"]


@pytest.mark.parametrize(("method", "path"), [("GET", "/me"), ("GET", "/interventions"),
                                              ("POST", "/interventions"), ("GET", "/types"),
                                              ("GET", "/exports/interventions.csv"),
                                              ("DELETE", "/me/token")])
async def test_json_api_routes_never_take_the_session_cookie(
    site: Site, method: str, path: str
) -> None:
    async with site.browser() as browser:
        await sign_in(browser)
        answered = await browser.request(method, path, json={}, headers={"Origin": UI_ORIGIN})

    assert answered.status_code == 401, answered.text


async def test_a_preflight_from_the_web_ui_may_send_credentials(site: Site) -> None:
    headers = {"Origin": UI_ORIGIN, "Access-Control-Request-Method": "POST",
               "Access-Control-Request-Headers": "content-type,x-namespace"}
    async with site.browser() as browser:
        allowed = await browser.options("/codec/decode", headers=headers)
        elsewhere = await browser.options("/codec/decode",
                                          headers=headers | {"Origin": "http://evil.example"})

    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == UI_ORIGIN
    assert allowed.headers["access-control-allow-credentials"] == "true"
    assert elsewhere.status_code == 400
    assert "access-control-allow-origin" not in elsewhere.headers


async def test_every_asset_a_page_names_is_served_from_the_service(site: Site) -> None:
    async with site.browser() as browser:
        page = await browser.get("/sign-in")
        named = sorted(set(re.findall(r'(?:href|src)="(/assets/[^"]+)"', page.text))
                       | set(re.findall(r'from "(/assets/[^"]+)"', page.text)))
        served = {path: await browser.get(path) for path in named}
        styles = served["/assets/pages.min.css"].text
        icons = sorted(set(re.findall(r"url\(\"?(/assets/[^)\"]+)\"?\)", styles)))
        served |= {path: await browser.get(path) for path in icons}

    assert "/assets/pages.min.css" in named
    assert "/assets/nhsuk-frontend.min.js" in named
    assert icons, "the design system's CSS names its icons"
    assert {path: r.status_code for path, r in served.items()} == dict.fromkeys(served, 200)
    assert served["/assets/pages.min.css"].headers["content-type"].startswith("text/css")
    assert "https://" not in styles  # no font, image or anything else from elsewhere


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> _Clock:
    return _Clock()


@pytest.fixture
def throttled_site(sqlite_engine: Engine, clock: _Clock) -> Site:
    return build_site(sqlite_engine, clock=clock, auth_failure_limit=3,
                      auth_failure_window_seconds=90)


async def test_refused_sign_ins_are_throttled_and_the_page_says_how_long_to_wait(
    throttled_site: Site, clock: _Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    counting = _CountingHasher(passwords._HASHER)
    monkeypatch.setattr(passwords, "_HASHER", counting)
    async with throttled_site.browser() as browser:
        refused = [await sign_in(browser, COORDINATOR, "not the password at all")
                   for _ in range(3)]
        clock.now += 30
        held = await sign_in(browser)  # the right password, but too late
        checked = counting.verified
        clock.now += 59
        still = await sign_in(browser)
        clock.now += 1
        let_in = await sign_in(browser)

    assert [r.status_code for r in refused] == [400, 400, 400]
    assert held.status_code == 429
    assert held.headers["retry-after"] == "60"
    assert checked == 3  # no password is checked while the client waits
    assert title_of(held) == titled("Sign in", error=True)
    assert re.findall(_SUMMARY_LINK, held.text) == [(
        "#name", "There have been too many failed attempts to sign in from your computer or "
        "network. Wait 1 minute, then try again.")]
    assert "qi_session" not in held.headers.get("set-cookie", "")
    assert (still.status_code, still.headers["retry-after"]) == (429, "1")
    assert "Wait 1 second, then try again." in still.text
    assert let_in.status_code == 303


async def test_refused_tokens_and_refused_sign_ins_count_against_one_client(
    throttled_site: Site
) -> None:
    async with throttled_site.browser(Authorization="Bearer qi_not-a-token") as api:
        assert [(await api.get("/me")).status_code for _ in range(2)] == [401, 401]
    async with throttled_site.browser() as browser:
        refused = await sign_in(browser, COORDINATOR, "not the password at all")
        held = await sign_in(browser)
    async with throttled_site.browser(
            Authorization=f"Bearer {throttled_site.tokens[COORDINATOR]}") as api:
        token_held = await api.get("/me")

    assert refused.status_code == 400
    assert held.status_code == 429
    assert token_held.status_code == 429
    assert int(token_held.headers["retry-after"]) > 0


async def test_a_disabled_user_cannot_sign_in_and_their_session_stops_at_once(
    site: Site
) -> None:
    body = await _sealed_secret()
    async with site.browser() as browser:
        await sign_in(browser, VIEWER)
        assert (await browser.get("/")).status_code == 200
        set_disabled(site.engine, VIEWER, True, operator=OPERATOR)
        home = await browser.get("/")
        codec = await browser.post("/codec/decode", json=body, headers={"Origin": UI_ORIGIN})
    async with site.browser() as browser:
        refused = await sign_in(browser, VIEWER)

    assert home.status_code == 303
    assert home.headers["location"] == "/sign-in"
    assert codec.status_code == 401
    assert "Night-time" not in codec.text
    # The same answer as a wrong password: nothing says the password was right.
    assert refused.status_code == 400
    assert re.findall(_SUMMARY_LINK, refused.text) == [
        ("#name", "The user name or password is not right")]
    assert "qi_session" not in refused.headers.get("set-cookie", "")


async def test_signing_in_and_out_through_the_pages_is_in_the_account_history(
    site: Site
) -> None:
    async with site.browser() as browser:
        await sign_in(browser, COORDINATOR, "not the password at all")
        await sign_in(browser)
        home = await browser.get("/")
        await browser.post("/sign-out", data={"csrf_token": csrf_of(home)})

    actions = [(e.operator, e.action) for e in account_history(site.engine, COORDINATOR)]
    assert actions[-2:] == [(COORDINATOR, AccountAction.SIGNED_IN),
                            (COORDINATOR, AccountAction.SIGNED_OUT)]
    assert AccountAction.SIGNED_IN not in [a for _, a in actions[:-2]]


@pytest.mark.parametrize("path", ["/sign-in", "/signed-out", "/"])
async def test_the_pages_keep_their_policy_and_get_every_other_security_header(
    site: Site, path: str
) -> None:
    async with site.browser() as browser:
        if path == "/":
            await sign_in(browser)
        page = await browser.get(path)

    assert page.status_code == 200
    assert "script-src 'self' 'nonce-" in page.headers["content-security-policy"]
    assert page.headers.get_list("content-security-policy") == [
        page.headers["content-security-policy"]]
    for name, value in _API_SECURITY_HEADERS.items():
        assert page.headers.get_list(name) == [value], name


async def test_the_pages_answer_only_the_allowed_hosts(site: Site) -> None:
    async with site.browser("http://qi.attacker.example") as browser:
        page = await browser.get("/sign-in")
    async with site.browser("http://localhost:8000") as browser:
        local = await browser.get("/sign-in")

    assert page.status_code == 400
    assert local.status_code == 200
