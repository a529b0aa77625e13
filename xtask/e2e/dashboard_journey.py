"""The dashboard in a real browser: Debian's Chromium driven by Playwright (sync API).

An owner signs in, fills the brand, creates campaigns through the form (first with an invalid
objective), generates their assets, uploads results and reads the forecast; a viewer of the same
organization finds no write controls and is refused a forged write; CSRF, tenant isolation,
session cookies, the sign-in throttle, HTML escaping, the Content-Security-Policy, axe-core,
narrow screens and a keyboard-only journey are checked on the way, and screenshots are taken.

Every sign-in counts against the server's throttle (five per account in a burst, twenty per
address), so the owner signs in once and the other browser contexts reuse that session.

Run by `cargo xtask dashboard` (and `cargo xtask screenshots`, and `cargo xtask test`) with:
AME_BASE, AME_OWNER_EMAIL, AME_OWNER_PASSWORD, AME_VIEWER_EMAIL, AME_VIEWER_PASSWORD,
AME_THROTTLE_EMAIL (its password is the owner's), AME_OTHER_CAMPAIGN_URL (a campaign of another
organization) or AME_OTHER_KEY (an owner API key of another organization, to create one),
AME_AXE_JS (axe.min.js) and AME_SCREENSHOTS (a directory for the PNGs).
"""

from __future__ import annotations

import csv
import os
import re
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Response,
    expect,
    sync_playwright,
)

CHROMIUM = "/usr/bin/chromium"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 800}
TIMEOUT_MS = 15_000
GENERATION_TIMEOUT_MS = 180_000
SESSION_COOKIE = "ame_session"
LOGIN_CSRF_COOKIE = "ame_login_csrf"

BRAND = {
    "company_name": "Ledgerly",
    "product": "automated month-end close software",
    "audience": "finance teams at mid-sized companies",
    "value_propositions": "Close the books in 3 days instead of 10\nKeep every reconciliation in one place",
    "cta_text": "Book a demo",
    "cta_url": "https://ledgerly.example/demo",
    "primary_color": "#1f4e79",
    "accent_color": "#f2a900",
    "sign_off": "The Ledgerly team",
    "postal_address": "Ledgerly Inc., 100 Main St, Springfield, IL 62701, USA",
    "unsubscribe_text": "Unsubscribe from these emails",
}
BRAND_TONE = "professional"
BRAND_LABELS = {
    "company_name": "Company name",
    "product": "Product",
    "audience": "Audience",
    "value_propositions": "Value propositions",
    "tone": "Tone",
    "cta_text": "Button text",
    "cta_url": "Button link",
    "primary_color": "Primary colour",
    "accent_color": "Accent colour",
    "sign_off": "Sign-off",
    "postal_address": "Postal address",
    "unsubscribe_text": "Unsubscribe text",
}
ESCAPED_COMPANY = "<b>Acme</b> Ledgerly"
CAMPAIGN_LABELS = {
    "campaign_type": "Campaign type",
    "objective": "Objective",
    "name": "Name",
    "planned_reach": "Planned reach",
    "budget": "Budget",
    "start_at": "Start",
    "end_at": "End",
    "timezone": "Time zone",
}
ASSET_TYPES = {
    "lead_gen": {"landing_page", "email_sequence", "ad_creative"},
    "brand_awareness": {"social_post", "video_script", "image_asset"},
    "client_retention": {"email_sequence", "voice_ad"},
}
SCRIPT_OBJECTIVE = "<script>alert(1)</script> & <b>bold</b> launch"
IMG_NAME = "<img src=x onerror=alert(2)>"
METRICS = ("reach", "clicks", "leads", "conversions")


# ---------------------------------------------------------------------------------------------
# Plumbing: configuration, failures, watched browser contexts


@dataclass(frozen=True)
class Config:
    base: str
    owner: tuple[str, str]
    viewer: tuple[str, str]
    throttle_email: str
    other_campaign_url: str | None
    other_key: str | None
    axe_js: Path
    screenshots: Path

    @staticmethod
    def from_env() -> Config:
        def need(name: str) -> str:
            value = os.environ.get(name, "").strip()
            if not value:
                raise SystemExit(f"{name} is not set (see the docstring of {__file__})")
            return value

        other_url = os.environ.get("AME_OTHER_CAMPAIGN_URL") or None
        other_key = os.environ.get("AME_OTHER_KEY") or None
        if not other_url and not other_key:
            raise SystemExit("set AME_OTHER_CAMPAIGN_URL or AME_OTHER_KEY")
        axe_js = Path(need("AME_AXE_JS"))
        if not axe_js.is_file():
            raise SystemExit(f"AME_AXE_JS={axe_js} is not a file")
        screenshots = Path(need("AME_SCREENSHOTS"))
        screenshots.mkdir(parents=True, exist_ok=True)
        return Config(
            base=need("AME_BASE").rstrip("/"),
            owner=(need("AME_OWNER_EMAIL"), need("AME_OWNER_PASSWORD")),
            viewer=(need("AME_VIEWER_EMAIL"), need("AME_VIEWER_PASSWORD")),
            throttle_email=need("AME_THROTTLE_EMAIL"),
            other_campaign_url=other_url,
            other_key=other_key,
            axe_js=axe_js,
            screenshots=screenshots,
        )


class CheckFailed(AssertionError):
    """A dashboard check that did not hold."""


def must(condition: object, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


@dataclass
class Report:
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    passed: list[str] = field(default_factory=list)
    pages: set[str] = field(default_factory=set)
    csp_problems: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    axe_pages: int = 0
    axe_by_impact: dict[str, int] = field(default_factory=dict)
    screenshots: list[str] = field(default_factory=list)

    def step(self, name: str, check: Callable, *args):
        """Runs one check; a failure is recorded (with its traceback) and `None` returned."""
        print(f"--> {name}", flush=True)
        try:
            result = check(*args)
        except Exception as error:  # noqa: BLE001 (every failure is reported, then the run goes on)
            detail = "".join(traceback.format_exception_only(type(error), error)).strip()
            print(f"FAIL {name}: {detail}", flush=True)
            if not isinstance(error, CheckFailed):
                traceback.print_exc()
            # The full text is above; Playwright's own messages go on with a page snapshot.
            short = detail.split("\nCall log:")[0].split("\nAria snapshot:")[0].strip()
            self.failures.append(f"{name}: {short[:800]}")
            return None
        self.passed.append(name)
        return result

    def skip(self, name: str, because: str) -> None:
        self.failures.append(f"{name}: not run, since {because} failed")
        print(f"SKIP {name} (since {because} failed)", flush=True)


def page_key(url: str, base: str) -> str:
    """A visited page with ids folded: /app/campaigns/{id}/forecast."""
    path = url.removeprefix(base).split("?")[0].split("#")[0]
    return re.sub(r"/[0-9a-fA-F-]{32,36}(?=/|$)", "/{id}", path) or "/"


def csp_problem(header: str | None) -> str | None:
    """Why a Content-Security-Policy does not keep inline scripts out, or None."""
    if not header:
        return "no Content-Security-Policy header"
    directives: dict[str, list[str]] = {}
    for part in header.replace("\n", ";").split(";"):
        tokens = part.split()
        if tokens:
            directives.setdefault(tokens[0].lower(), [t.lower() for t in tokens[1:]])
    script = directives.get("script-src")
    if script is None:
        return f"no script-src directive in {header!r}"
    if "'self'" not in script:
        return f"script-src lacks 'self': {header!r}"
    if "'unsafe-inline'" in script or "'unsafe-eval'" in script:
        return f"script-src allows inline or eval'd script: {header!r}"
    return None


def watch(context: BrowserContext, report: Report, base: str, enforced: bool) -> None:
    """Records every page's CSP header, CSP complaints in the console, and any dialog."""

    def on_response(response: Response) -> None:
        try:
            main_frame = response.request.resource_type == "document" and response.frame.parent_frame is None
        except Exception:  # noqa: BLE001 (a frame gone by now is not a page)
            return
        if not main_frame:
            return
        if not response.url.startswith(base):
            return
        report.pages.add(page_key(response.url, base))
        if "text/html" not in response.headers.get("content-type", ""):
            return
        problem = csp_problem(response.headers.get("content-security-policy"))
        if problem:
            report.csp_problems.append(f"{response.status} {response.url}: {problem}")

    def on_console(message) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            report.csp_problems.append(f"console on {message.page.url if message.page else '?'}: {message.text}")

    def on_dialog(dialog) -> None:
        report.dialogs.append(f"{dialog.type} {dialog.message!r} on {dialog.page.url if dialog.page else '?'}")
        dialog.dismiss()

    context.on("response", on_response)
    context.on("dialog", on_dialog)
    if enforced:
        context.on("console", on_console)


def new_context(
    browser: Browser,
    report: Report,
    base: str,
    *,
    viewport: dict = DESKTOP,
    storage_state: dict | None = None,
    bypass_csp: bool = False,
) -> BrowserContext:
    context = browser.new_context(
        viewport=viewport,
        storage_state=storage_state,
        bypass_csp=bypass_csp,
        locale="en-GB",
        timezone_id="Europe/London",
    )
    context.set_default_timeout(TIMEOUT_MS)
    watch(context, report, base, enforced=not bypass_csp)
    return context


def submit(page: Page, action: Callable[[], None], timeout: float = TIMEOUT_MS) -> Response:
    """Runs `action` (a click or key press that submits a form); returns the final response."""
    with page.expect_navigation(timeout=timeout) as navigation:
        action()
    response = navigation.value
    must(response is not None, f"submitting on {page.url} led to no response")
    return response


def first_status(response: Response) -> int:
    """The status of the first response in a redirect chain (the POST's own answer)."""
    request = response.request
    while request.redirected_from is not None:
        request = request.redirected_from
    first = request.response()
    return first.status if first else response.status


def goto(page: Page, url: str, expected: int = 200) -> Response:
    response = page.goto(url)
    must(response is not None, f"GET {url} gave no response")
    must(
        response.status == expected,
        f"GET {url}: status {response.status}, expected {expected}; page says: {page_text(page)[:300]!r}",
    )
    return response


def wait_until(page: Page, script: str, what: str, arg=None, timeout_ms: float = TIMEOUT_MS):
    """Polls `script` (a function, evaluated with `arg`) until it returns something truthy.

    Not `page.wait_for_function`: some Playwright versions evaluate its predicate with `eval`,
    which the dashboard's Content-Security-Policy rightly refuses."""
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        value = page.evaluate(script, arg)
        if value:
            return value
        if time.monotonic() > deadline:
            raise CheckFailed(f"{page.url}: gave up after {timeout_ms / 1000:.0f} s waiting until {what}")
        page.wait_for_timeout(100)


def page_text(page: Page) -> str:
    try:
        return page.locator("body").inner_text(timeout=2_000)
    except Exception:  # noqa: BLE001 (only for messages)
        return "(no body)"


def csrf_of(page: Page, form: str = "#logout-form") -> str:
    token = page.locator(f"{form} input[name=csrf]").first.input_value()
    must(token, f"{form} on {page.url} has no csrf token")
    return token


def session_cookie(context: BrowserContext, base: str) -> dict:
    cookies = [c for c in context.cookies() if c["name"] == SESSION_COOKIE]
    must(len(cookies) == 1, f"expected one {SESSION_COOKIE} cookie, found {cookies}")
    return cookies[0]


def check_labels(page: Page, labels: dict[str, str]) -> None:
    """Every field `id` has a <label for=id> whose text contains its label."""
    for field_id, label in labels.items():
        text = page.locator(f"label[for='{field_id}']").first.inner_text()
        must(
            label.lower() in text.lower(),
            f"{page.url}: label for #{field_id} reads {text!r}, expected {label!r}",
        )


# ---------------------------------------------------------------------------------------------
# Sign-in, session and throttle


def sign_in(page: Page, base: str, email: str, password: str) -> Response:
    goto(page, f"{base}/login")
    check_labels(page, {"email": "Email", "password": "Password"})
    page.locator("#login-form #email").fill(email)
    page.locator("#login-form #password").fill(password)
    response = submit(page, lambda: page.locator("#login-form").get_by_role("button", name="Sign in").click())
    must(
        first_status(response) == 303 and page.url == f"{base}/app/campaigns",
        f"sign-in as {email}: first status {first_status(response)}, landed on {page.url} "
        f"({response.status}); page says {page_text(page)[:300]!r}",
    )
    must(response.status == 200, f"campaign list after sign-in: status {response.status}")
    return response


def login_page(browser: Browser, report: Report, cfg: Config) -> None:
    """The sign-in page: labelled fields, hidden csrf field, the double-submit cookie."""
    context = new_context(browser, report, cfg.base)
    try:
        page = context.new_page()
        goto(page, f"{cfg.base}/login")
        check_labels(page, {"email": "Email", "password": "Password"})
        must(page.locator("#login-form input[type=hidden][name=csrf]").count() == 1, "login form lacks a hidden csrf")
        names = [c["name"] for c in context.cookies()]
        must(LOGIN_CSRF_COOKIE in names, f"GET /login set no {LOGIN_CSRF_COOKIE} cookie (cookies: {names})")
        # A sign-in form posted without its token is refused (an unknown address, so that no
        # account's attempts are used up).
        refused = page.request.post(
            f"{cfg.base}/login",
            form={"email": "nobody@ledgerly.example", "password": "not the password at all"},
            max_redirects=0,
        )
        must(refused.status == 403, f"POST /login without csrf: status {refused.status}, expected 403")
    finally:
        context.close()


def owner_session(browser: Browser, report: Report, cfg: Config) -> tuple[BrowserContext, Page]:
    """Signs the owner in over a planted session cookie."""
    context = new_context(browser, report, cfg.base)
    context.add_cookies([{"name": SESSION_COOKIE, "value": "planted", "url": cfg.base}])
    page = context.new_page()
    sign_in(page, cfg.base, *cfg.owner)
    return context, page


def session_cookie_flags(context: BrowserContext, cfg: Config) -> None:
    """A new session id (not the planted one), HttpOnly, SameSite=Strict, not Secure over http."""
    cookie = session_cookie(context, cfg.base)
    must(cookie["value"] != "planted", "the session cookie planted before sign-in was kept (session fixation)")
    must(cookie["httpOnly"], f"{SESSION_COOKIE} is not HttpOnly: {cookie}")
    must(cookie["sameSite"] == "Strict", f"{SESSION_COOKIE} is not SameSite=Strict: {cookie}")
    must(not cookie["secure"], f"{SESSION_COOKIE} is Secure over plain http (the browser would drop it): {cookie}")
    must(cookie["path"] == "/", f"{SESSION_COOKIE} path is {cookie['path']!r}, expected '/'")


def brute_force(browser: Browser, report: Report, cfg: Config) -> None:
    """Wrong passwords for one account from one address: after three, each later one doubles
    the wait (1 s, 2 s, 4 s…); within the wait even the right one is refused with 429."""
    context = new_context(browser, report, cfg.base)
    try:
        page = context.new_page()
        password = cfg.owner[1]
        failures = 0
        while failures < 6:
            goto(page, f"{cfg.base}/login")
            token = csrf_of(page, "#login-form")
            reply = page.request.post(
                f"{cfg.base}/login",
                form={"email": cfg.throttle_email, "password": f"wrong password number {failures}", "csrf": token},
                max_redirects=0,
            )
            if reply.status == 429:
                must(failures >= 3, f"throttled after only {failures} wrong passwords")
                time.sleep(int(reply.headers.get("retry-after", "1")))
                continue
            must(
                reply.status == 401,
                f"wrong password #{failures + 1} for {cfg.throttle_email}: status {reply.status}, expected 401",
            )
            must(
                re.search(r"""id=["']?form-error""", reply.text()),
                f"wrong password #{failures + 1}: the page has no #form-error",
            )
            failures += 1
        goto(page, f"{cfg.base}/login")
        page.locator("#email").fill(cfg.throttle_email)
        page.locator("#password").fill(password)
        response = submit(page, lambda: page.locator("#login-form").get_by_role("button", name="Sign in").click())
        must(
            response.status == 429,
            f"the right password within the 8 s wait for {cfg.throttle_email}: status {response.status}, expected 429",
        )
        error = page.locator("p#form-error")
        expect(error, "the throttled sign-in shows p#form-error").to_be_visible()
        must(error.get_attribute("role") == "alert", "p#form-error lacks role=alert")
        must(
            "too many" in error.inner_text().lower(), f"#form-error reads {error.inner_text()!r}, expected 'Too many…'"
        )
        must(
            SESSION_COOKIE not in [c["name"] for c in context.cookies()],
            "a throttled sign-in still set a session cookie",
        )
    finally:
        context.close()


def logout(context: BrowserContext, page: Page, browser: Browser, report: Report, cfg: Config) -> None:
    """Signing out ends the session: the page and a replayed old cookie both land on /login."""
    goto(page, f"{cfg.base}/app/campaigns")
    old = [c for c in context.cookies() if c["name"] == SESSION_COOKIE]
    must(old, "no session cookie before logout")
    submit(page, lambda: page.locator("#logout-form button").click())
    must(page.url.startswith(f"{cfg.base}/login"), f"logout landed on {page.url}, expected /login")
    response = page.goto(f"{cfg.base}/app/campaigns")
    must(
        response is not None and page.url.startswith(f"{cfg.base}/login") and first_status(response) == 303,
        f"GET /app/campaigns after logout: landed on {page.url} (first status "
        f"{first_status(response) if response else None}), expected a 303 to /login",
    )
    replay = new_context(browser, report, cfg.base)
    try:
        replay.add_cookies(old)
        other = replay.new_page()
        response = other.goto(f"{cfg.base}/app/campaigns")
        must(
            other.url.startswith(f"{cfg.base}/login"),
            f"the session cookie from before logout still opens {other.url} ({response.status if response else None})",
        )
    finally:
        replay.close()


# ---------------------------------------------------------------------------------------------
# Brand


def fill_brand(page: Page, company_name: str) -> None:
    for name, value in BRAND.items():
        if name != "company_name":
            page.locator(f"#brand-form #{name}").fill(value)
    tone = page.locator("#brand-form #tone")
    values = tone.locator("option").evaluate_all("os => os.map(o => o.value)")
    must(values, "the tone select has no options")
    tone.select_option(BRAND_TONE if BRAND_TONE in values else values[0])
    page.locator("#brand-form #company_name").fill(company_name)


def settled_src(page: Page) -> str | None:
    """The banner preview's src once it has stopped changing (the script may wait for typing to pause)."""
    src, steady = page.locator("img#banner-preview").get_attribute("src"), 0
    for _ in range(50):
        page.wait_for_timeout(100)
        now = page.locator("img#banner-preview").get_attribute("src")
        steady = steady + 1 if now == src else 0
        src = now
        if steady >= 8:
            break
    return src


def save_brand(page: Page) -> None:
    response = submit(page, lambda: page.locator("#brand-form").get_by_role("button", name="Save brand").click())
    must(
        first_status(response) == 303 and response.status == 200,
        f"saving the brand: {first_status(response)} then {response.status}; page says {page_text(page)[:400]!r}",
    )
    expect(page.locator("p#flash"), "the saved brand page shows p#flash").to_be_visible()
    must(page.locator("p#flash").get_attribute("role") == "status", "p#flash lacks role=status")


def brand(page: Page, cfg: Config) -> None:
    """Every field filled, the banner preview following the company name, saved; a name with
    markup shown as text; then the plain name restored."""
    goto(page, f"{cfg.base}/app/brand")
    check_labels(page, BRAND_LABELS)
    preview = page.locator("img#banner-preview")
    expect(preview, "the brand page shows img#banner-preview").to_be_visible()
    before = preview.get_attribute("src")
    must(before and "/app/brand/preview.png" in before, f"#banner-preview src is {before!r}")
    fill_brand(page, "")
    before = settled_src(page)
    company = page.locator("#brand-form #company_name")
    company.press_sequentially(ESCAPED_COMPANY, delay=15)
    company.press("Tab")
    wait_until(
        page,
        "old => { const i = document.querySelector('#banner-preview'); return i && i.getAttribute('src') !== old; }",
        "the banner preview follows the typed company name (its src changes)",
        before,
    )
    wait_until(
        page,
        "() => { const i = document.querySelector('#banner-preview'); return i.complete && i.naturalWidth > 0; }",
        "the new banner preview loads",
    )
    save_brand(page)
    must(
        page.locator("#brand-form #company_name").input_value() == ESCAPED_COMPANY,
        f"company name reads {page.locator('#company_name').input_value()!r} after saving {ESCAPED_COMPANY!r}",
    )
    must(
        not page.evaluate("() => [...document.querySelectorAll('main b')].some(b => b.textContent === 'Acme')"),
        "the company name's <b> became markup on the brand page (not escaped)",
    )
    for name, value in BRAND.items():
        if name != "company_name":
            kept = page.locator(f"#brand-form #{name}").input_value()
            must(
                kept.replace("\r\n", "\n").strip() == value.strip(),
                f"brand field {name} reads {kept!r} after saving {value!r}",
            )
    fill_brand(page, BRAND["company_name"])
    save_brand(page)


# ---------------------------------------------------------------------------------------------
# Campaigns


@dataclass
class CampaignForm:
    campaign_type: str
    objective: str
    name: str = ""
    planned_reach: str = ""
    budget: str = ""
    channels: tuple[str, ...] = ()


LEAD_GEN = CampaignForm(
    campaign_type="lead_gen",
    objective="Book 40 demos with finance leads at mid-sized firms by March",
    name="Q1 finance demos",
    planned_reach="5000",
    budget="2500.00",
    channels=("email", "linkedin"),
)


def fill_campaign(page: Page, form: CampaignForm) -> None:
    page.locator("#campaign-form #campaign_type").select_option(form.campaign_type)
    page.locator("#campaign-form #objective").fill(form.objective)
    page.locator("#campaign-form #name").fill(form.name)
    page.locator("#campaign-form #planned_reach").fill(form.planned_reach)
    page.locator("#campaign-form #budget").fill(form.budget)
    for channel in form.channels:
        box = page.locator(f"#campaign-form input[name=channels][value='{channel}']")
        must(box.count() == 1, f"the campaign form has no channel checkbox {channel!r}")
        box.check()


def create_campaign(page: Page, cfg: Config, form: CampaignForm) -> str:
    """Creates a campaign through the form; returns its detail page's URL."""
    goto(page, f"{cfg.base}/app/campaigns/new")
    fill_campaign(page, form)
    response = submit(
        page, lambda: page.locator("#campaign-form").get_by_role("button", name="Create campaign").click()
    )
    return on_detail_page(page, cfg, response, form)


def on_detail_page(page: Page, cfg: Config, response: Response, form: CampaignForm) -> str:
    must(
        first_status(response) == 303 and re.fullmatch(rf"{re.escape(cfg.base)}/app/campaigns/[0-9a-fA-F-]+", page.url),
        f"creating {form.campaign_type!r}: first status {first_status(response)}, landed on {page.url}; "
        f"page says {page_text(page)[:500]!r}",
    )
    must(response.status == 200, f"campaign detail after create: status {response.status}")
    heading = page.locator("main h1").first.inner_text()
    must(
        heading.strip() == (form.name or form.objective).strip(),
        f"detail h1 reads {heading!r}, expected {form.name or form.objective!r}",
    )
    expect(page.locator("span#status"), "the detail page shows span#status").to_have_text("draft")
    return page.url


def new_campaign(page: Page, cfg: Config) -> str:
    """The form refuses a two-letter objective inline (422, values kept), then takes a real one."""
    goto(page, f"{cfg.base}/app/campaigns/new")
    check_labels(page, CAMPAIGN_LABELS)
    must(
        page.locator("#campaign-form fieldset legend", has_text="Channels").count() == 1,
        "no fieldset legend 'Channels'",
    )
    must(page.locator("#campaign-form input[type=hidden][name=csrf]").count() == 1, "the campaign form lacks csrf")
    bad = CampaignForm(**{**LEAD_GEN.__dict__, "objective": "ab"})
    fill_campaign(page, bad)
    # Only the server's own check is under test here, not the browser's.
    page.locator("#campaign-form").evaluate("f => { f.noValidate = true; }")
    response = submit(
        page, lambda: page.locator("#campaign-form").get_by_role("button", name="Create campaign").click()
    )
    must(response.status == 422, f"objective 'ab': status {response.status}, expected 422")
    expect(page.locator("p#objective-error"), "objective 'ab' shows p#objective-error").to_be_visible()
    must(
        "field-error" in (page.locator("p#objective-error").get_attribute("class") or ""),
        "p#objective-error lacks .field-error",
    )
    objective = page.locator("#campaign-form #objective")
    must(objective.get_attribute("aria-invalid") == "true", "the objective is not aria-invalid=true after 'ab'")
    described = (objective.get_attribute("aria-describedby") or "").split()
    must("objective-error" in described, f"the objective's aria-describedby is {described}, lacks objective-error")
    expect(page.locator("#error-summary[role=alert]"), "a 422 form shows div#error-summary role=alert").to_be_visible()
    must(objective.input_value() == "ab", "the 422 form lost the objective typed")
    must(page.locator("#planned_reach").input_value() == LEAD_GEN.planned_reach, "the 422 form lost planned reach")
    for channel in LEAD_GEN.channels:
        must(
            page.locator(f"input[name=channels][value='{channel}']").is_checked(),
            f"the 422 form lost channel {channel}",
        )
    objective.fill(LEAD_GEN.objective)
    response = submit(
        page, lambda: page.locator("#campaign-form").get_by_role("button", name="Create campaign").click()
    )
    url = on_detail_page(page, cfg, response, LEAD_GEN)
    must(page.locator("form#lifecycle button[name=status]").count() >= 1, "the owner sees no lifecycle buttons")
    return url


def generate(page: Page, detail_url: str) -> str | None:
    """Clicks Generate and waits for the synchronous POST's redirect back to the detail page."""
    page.goto(detail_url)
    button = page.locator("form#generate-form button#generate")
    expect(button, "the detail page has button#generate").to_be_visible()
    must("generate" in button.inner_text().lower(), f"button#generate reads {button.inner_text()!r}")
    must(page.locator("#generate-status").count() == 1, "the detail page has no #generate-status")
    # The script's progress text lasts only until the next page; remember it as the form goes.
    page.evaluate(
        """() => window.addEventListener('submit', () => {
            const s = document.querySelector('#generate-status');
            sessionStorage.setItem('ame-generate-status', JSON.stringify({
                text: s ? s.textContent : null,
                busy: !!document.querySelector('[aria-busy=true]'),
            }));
        })"""
    )
    response = submit(page, lambda: button.click(), timeout=GENERATION_TIMEOUT_MS)
    must(
        first_status(response) == 303 and page.url.split('#')[0] == detail_url and response.status == 200,
        f"generating: first status {first_status(response)}, landed on {page.url} ({response.status}); "
        f"page says {page_text(page)[:500]!r}",
    )
    return page.evaluate("() => sessionStorage.getItem('ame-generate-status')")


def asset_sections(page: Page) -> set[str]:
    ids = page.locator("section#assets section.asset").evaluate_all("ss => ss.map(s => s.id)")
    return {i.removeprefix("asset-") for i in ids}


def expect_assets(page: Page, campaign_type: str) -> None:
    found = asset_sections(page)
    must(
        found == ASSET_TYPES[campaign_type],
        f"{campaign_type}: asset sections {sorted(found)}, expected {sorted(ASSET_TYPES[campaign_type])}",
    )
    must(page.locator("section#versions").count() == 1, "the detail page has no section#versions")


def frame_widths(page: Page) -> list[int]:
    return page.locator("iframe.email-preview").evaluate_all(
        "fs => fs.map(f => parseInt(f.getAttribute('width') || f.clientWidth, 10))"
    )


def lead_gen_assets(page: Page, detail_url: str, report: Report) -> None:
    """Landing page in a sandboxed frame, emails at 600 and 375 px, both ad previews, no audio."""
    status = generate(page, detail_url)
    if not status or "generating" not in status.lower():
        report.notes.append(f"#generate-status as the generate form was submitted: {status}")
    expect_assets(page, "lead_gen")
    landing = page.locator("section#asset-landing_page iframe.landing-preview")
    must(landing.count() == 1, "no iframe.landing-preview in section#asset-landing_page")
    sandbox = landing.get_attribute("sandbox")
    must(sandbox is not None, "the landing page preview iframe has no sandbox attribute")
    tokens = sandbox.split()
    must(
        not ("allow-scripts" in tokens and "allow-same-origin" in tokens),
        f"sandbox={sandbox!r} lets the preview escape",
    )
    must(
        landing.get_attribute("title") == "Landing page preview",
        f"landing iframe title is {landing.get_attribute('title')!r}",
    )
    landing.scroll_into_view_if_needed()
    expect(
        page.frame_locator("iframe.landing-preview").locator("h1").first, "the landing preview renders an h1"
    ).to_be_visible()
    widths = frame_widths(page)
    desktop = [w for w in widths if abs(w - 600) <= 4]
    phone = [w for w in widths if abs(w - 375) <= 4]
    must(desktop and len(desktop) == len(phone), f"email preview widths {widths}: expected each email at 600 and 375")
    first = page.locator("iframe.email-preview").first
    first.scroll_into_view_if_needed()
    expect(
        page.frame_locator("iframe.email-preview").first.locator("body"), "the first email preview renders"
    ).not_to_be_empty()
    for kind in ("google", "meta"):
        must(page.locator(f"section#asset-ad_creative .ad-preview.{kind}").count() >= 1, f"no .ad-preview.{kind}")
    must(page.locator("#voice-ad-audio").count() == 0, "a lead_gen campaign shows #voice-ad-audio")


def brand_awareness_assets(page: Page, cfg: Config) -> None:
    """Social posts within their limits, a scene timeline, banners that load."""
    url = create_campaign(
        page,
        cfg,
        CampaignForm("brand_awareness", "Make mid-sized finance teams know Ledgerly by spring", channels=("linkedin",)),
    )
    generate(page, url)
    expect_assets(page, "brand_awareness")
    counts = page.locator(".social-post .char-count").all_inner_texts()
    must(counts, "no .social-post .char-count")
    for text in counts:
        match = re.fullmatch(r"\s*([\d,]+)\s*/\s*([\d,]+)\s*", text)
        must(match, f".char-count reads {text!r}, expected 'N / LIMIT'")
        used, limit = (int(g.replace(",", "")) for g in match.groups())
        must(0 < used <= limit, f"a social post uses {used} of {limit} characters")
    must(
        page.locator("section#asset-video_script ol.timeline li").count() >= 1,
        "the video script has no ol.timeline scenes",
    )
    banners = page.locator("img.banner")
    must(banners.count() >= 1, "no img.banner")
    for i in range(banners.count()):
        banner = banners.nth(i)
        banner.scroll_into_view_if_needed()
        wait_until(page, "i => i.complete && i.naturalWidth > 0", f"img.banner #{i} loads", banner.element_handle())
        must(banner.get_attribute("alt"), f"img.banner #{i} has no alt text")


def voice_ad_assets(page: Page, cfg: Config) -> None:
    """The voice ad's audio element loads and is longer than a second."""
    url = create_campaign(
        page,
        cfg,
        CampaignForm("client_retention", "Keep our finance customers renewing this year", channels=("email",)),
    )
    generate(page, url)
    expect_assets(page, "client_retention")
    audio = page.locator("audio#voice-ad-audio")
    must(audio.count() == 1, "no audio#voice-ad-audio for a campaign with a voice ad")
    must(audio.get_attribute("controls") is not None, "audio#voice-ad-audio has no controls")
    must(
        page.locator("section#asset-voice_ad .voice-script").inner_text().strip(),
        "the voice ad's .voice-script is empty",
    )
    audio.scroll_into_view_if_needed()
    handle = audio.element_handle()
    page.evaluate("a => { if (a.readyState === 0) a.load(); }", handle)
    wait_until(
        page, "a => (a.readyState >= 1 && a.duration > 1) || a.error", "the voice ad's audio loads", handle, 30_000
    )
    state = page.evaluate(
        "a => ({ready: a.readyState, duration: a.duration, error: a.error && a.error.code, src: a.currentSrc})",
        handle,
    )
    must(state["error"] is None and state["duration"] > 1, f"the voice ad did not load: {state}")


# ---------------------------------------------------------------------------------------------
# Results and forecast


def write_csv(rows: list[dict]) -> Path:
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False, newline="") as handle:
        writer = csv.DictWriter(
            handle, fieldnames=["date", "channel", "reach", "clicks", "leads", "conversions", "spend", "revenue"]
        )
        writer.writeheader()
        writer.writerows(rows)
    return Path(handle.name)


def good_rows() -> list[dict]:
    first = date.today() - timedelta(days=7)
    reach, clicks, leads, conversions = (
        [1000, 1100, 1200, 900, 800],
        [50, 61, 70, 45, 38],
        [10, 12, 15, 8, 7],
        [2, 3, 4, 1, 1],
    )
    return [
        {
            "date": (first + timedelta(days=i)).isoformat(),
            "channel": "email",
            "reach": reach[i],
            "clicks": clicks[i],
            "leads": leads[i],
            "conversions": conversions[i],
            "spend": f"{100 + 5 * i}.50",
            "revenue": f"{900 + 50 * i}.00",
        }
        for i in range(5)
    ]


def upload(page: Page, path: Path) -> Response:
    page.locator("#results-upload #results-file").set_input_files(str(path))
    return submit(page, lambda: page.locator("#results-upload").get_by_role("button", name="Upload results").click())


def results(page: Page, detail_url: str) -> dict[str, float]:
    """A broken file is refused whole with its row errors; a good one is recorded."""
    goto(page, f"{detail_url}/results")
    check_labels(page, {"results-file": "Results file (CSV)"})
    rows = good_rows()
    broken = [dict(r) for r in rows]
    broken[2]["channel"] = "carrier_pigeon"
    broken[3]["clicks"] = -3
    bad_file, good_file = write_csv(broken), write_csv(rows)
    try:
        response = upload(page, bad_file)
        must(
            response.status == 422,
            f"a results file with an unknown channel and negative clicks: status {response.status}, expected 422",
        )
        errors = page.locator("table#row-errors tr:has(td)")
        must(
            errors.count() >= 2, f"table#row-errors has {errors.count()} rows, expected ≥ 2: {page_text(page)[:400]!r}"
        )
        headers = [h.strip() for h in page.locator("table#row-errors th").all_inner_texts()]
        must(headers[:3] == ["Line", "Field", "Problem"], f"table#row-errors columns {headers}")
        response = upload(page, good_file)
        must(
            first_status(response) == 303 and page.url.startswith(f"{detail_url}/results") and response.status == 200,
            f"a good results file: first status {first_status(response)}, landed on {page.url} ({response.status})",
        )
        flash = page.locator("p#flash")
        expect(flash, "the results page shows p#flash after the upload").to_contain_text(re.compile(r"Recorded 5 rows"))
        must(flash.get_attribute("role") == "status", "p#flash lacks role=status")
        expect(page.locator("table#results-table"), "the results page shows table#results-table").to_be_visible()
    finally:
        bad_file.unlink(missing_ok=True)
        good_file.unlink(missing_ok=True)
    return {m: float(sum(int(r[m]) for r in rows)) for m in METRICS}


def forecast(page: Page, detail_url: str, totals: dict[str, float] | None) -> None:
    """The fan chart, the table and the explanation; observed points at the uploaded totals."""
    goto(page, f"{detail_url}/forecast")
    chart = page.locator("svg#fan-chart")
    expect(chart, "the forecast page shows svg#fan-chart").to_be_visible()
    must(chart.get_attribute("role") == "img", "svg#fan-chart lacks role=img")
    expect(page.locator("table#forecast-table"), "the forecast page shows table#forecast-table").to_be_visible()
    expect(page.locator("p#explanation"), "the forecast page shows p#explanation").to_be_visible()
    if totals is None:
        return
    expect(
        page.locator("section#history-chart svg#results-chart"), "results over time in svg#results-chart"
    ).to_be_attached()
    observed = page.locator("svg#fan-chart circle.observed").evaluate_all(
        "cs => cs.map(c => [c.dataset.stage, parseFloat(c.dataset.value)])"
    )
    matches = [
        (stage, value)
        for stage, value in observed
        if any(
            abs(value - total) < 0.5 and (stage == metric or stage not in totals) for metric, total in totals.items()
        )
    ]
    must(matches, f"observed points {observed} match none of the uploaded totals {totals}")


# ---------------------------------------------------------------------------------------------
# Read pages, keys, escaping, CSRF, tenants, viewer


READ_PAGES = {
    "leads": "table#leads",
    "contacts": "table#contacts",
    "targeting": "main h1",
    "keys": "form#key-form",
}


def read_pages(page: Page, cfg: Config, detail_url: str) -> None:
    for path, selector in READ_PAGES.items():
        goto(page, f"{cfg.base}/app/{path}")
        must(page.locator(selector).count() >= 1, f"/app/{path} has no {selector}")
        nav = page.locator("nav[aria-label=Main]")
        for label, href in [
            ("Campaigns", "/app/campaigns"),
            ("Contacts", "/app/contacts"),
            ("Leads", "/app/leads"),
            ("Targeting", "/app/targeting"),
            ("Brand", "/app/brand"),
            ("API keys", "/app/keys"),
        ]:
            must(
                nav.locator(f"a[href='{href}']", has_text=label).count() == 1,
                f"/app/{path}: main nav lacks {label} → {href}",
            )
    for tab in ("schedule", "experiments"):
        goto(page, f"{detail_url}/{tab}")
        must(page.locator("nav[aria-label=Campaign]").count() == 1, f"{tab}: no campaign tabs")


def api_keys(page: Page, cfg: Config) -> None:
    goto(page, f"{cfg.base}/app/keys")
    check_labels(page, {"key_name": "Key name", "key_role": "Role"})
    page.locator("#key_name").fill("Dashboard journey key")
    response = submit(page, lambda: page.locator("#key-form").get_by_role("button", name="Create key").click())
    must(response.status in (200, 201), f"creating a key: status {response.status}")
    secret = page.locator("output#new-secret")
    expect(secret, "the new key's secret is shown in output#new-secret").to_be_visible()
    must(len(secret.inner_text().strip()) >= 16, f"output#new-secret holds {secret.inner_text()!r}")
    expect(
        page.locator("table#keys").get_by_role("button", name="Revoke").first, "table#keys has Revoke buttons"
    ).to_be_visible()


def escaping(page: Page, cfg: Config) -> None:
    """Markup typed into a campaign comes back as text, never as elements."""
    form = CampaignForm("lead_gen", SCRIPT_OBJECTIVE, name=IMG_NAME, channels=("email",))
    goto(page, f"{cfg.base}/app/campaigns/new")
    fill_campaign(page, form)
    response = submit(
        page, lambda: page.locator("#campaign-form").get_by_role("button", name="Create campaign").click()
    )
    on_detail_page(page, cfg, response, form)
    text = page.evaluate("() => document.querySelector('main').textContent")
    must(IMG_NAME in text, f"the name {IMG_NAME!r} is not shown literally on the detail page")
    must("<script>alert(1)</script>" in text, "the objective's <script> is not shown literally on the detail page")
    injected = page.evaluate(
        "() => document.querySelectorAll('main script, main img[src=x]').length"
        " + [...document.querySelectorAll('main b')].filter(b => b.textContent === 'bold').length"
    )
    must(injected == 0, f"{injected} element(s) came from the typed markup on the detail page")
    goto(page, f"{cfg.base}/app/campaigns")
    links = page.locator("table#campaigns a", has_text=IMG_NAME)
    must(links.count() == 1, "the campaign list does not show the name with markup literally")
    must(
        page.evaluate("() => document.querySelectorAll('main img[src=x]').length") == 0,
        "the list rendered the name as an img",
    )


def valid_campaign_fields() -> dict[str, str]:
    return {
        "campaign_type": "lead_gen",
        "objective": "A campaign nobody should be able to create this way",
        "planned_reach": "100",
        "budget": "10.00",
        "channels": "email",
    }


def campaign_count(page: Page, cfg: Config) -> int:
    goto(page, f"{cfg.base}/app/campaigns")
    return page.locator("table#campaigns tr:has(td)").count()


def csrf(page: Page, cfg: Config) -> None:
    """Writes without the session's token, or with a wrong one, are refused."""
    before = campaign_count(page, cfg)
    without = page.request.post(f"{cfg.base}/app/campaigns", form=valid_campaign_fields(), max_redirects=0)
    must(without.status == 403, f"POST /app/campaigns without csrf: status {without.status}, expected 403")
    wrong = page.request.post(
        f"{cfg.base}/app/campaigns", form={**valid_campaign_fields(), "csrf": "0" * 43}, max_redirects=0
    )
    must(wrong.status == 403, f"POST /app/campaigns with a wrong csrf: status {wrong.status}, expected 403")
    must(campaign_count(page, cfg) == before, "a refused POST still created a campaign")


def tenant_isolation(page: Page, cfg: Config, other_url: str) -> None:
    """Another organization's campaign is not found, whatever the tab, and cannot be generated."""
    other = other_url if other_url.startswith("http") else f"{cfg.base}{other_url}"
    for suffix in ("", "/forecast", "/results", "/schedule", "/experiments"):
        response = page.goto(f"{other}{suffix}")
        must(
            response is not None and response.status == 404,
            f"GET {other}{suffix}: status {response.status if response else None}, expected 404",
        )
    goto(page, f"{cfg.base}/app/campaigns")
    token = csrf_of(page)
    reply = page.request.post(f"{other}/generate", form={"csrf": token}, max_redirects=0)
    must(reply.status == 404, f"POST {other}/generate with a valid csrf: status {reply.status}, expected 404")


def other_campaign_url(playwright, cfg: Config) -> str:
    """The other organization's campaign, created through the JSON API when only its key is given."""
    if cfg.other_campaign_url:
        return cfg.other_campaign_url
    api = playwright.request.new_context(
        base_url=cfg.base, extra_http_headers={"Authorization": f"Bearer {cfg.other_key}"}
    )
    try:
        reply = api.post(
            "/api/marketing/campaign",
            data={"campaign_type": "lead_gen", "objective": "Another organization's private campaign"},
        )
        must(reply.status == 201, f"creating the other organization's campaign: {reply.status} {reply.text()[:300]}")
        return f"/app/campaigns/{reply.json()['id']}"
    finally:
        api.dispose()


def viewer(browser: Browser, report: Report, cfg: Config, detail_url: str | None) -> None:
    """A viewer sees no write controls, and a write with their own valid token is refused."""
    context = new_context(browser, report, cfg.base)
    try:
        page = context.new_page()
        sign_in(page, cfg.base, *cfg.viewer)
        must(page.locator("a#new-campaign").count() == 0, "a viewer sees a#new-campaign")
        must(
            page.locator("table#campaigns tr:has(td)").count() >= 1, "a viewer sees no campaigns of their organization"
        )
        if detail_url:
            goto(page, detail_url)
            for form in ("form#lifecycle", "form#generate-form"):
                must(page.locator(form).count() == 0, f"a viewer sees {form} on the detail page")
        token = csrf_of(page)
        reply = page.request.post(
            f"{cfg.base}/app/campaigns", form={**valid_campaign_fields(), "csrf": token}, max_redirects=0
        )
        must(
            reply.status == 403,
            f"a viewer's POST /app/campaigns with a valid csrf: status {reply.status}, expected 403",
        )
    finally:
        context.close()


# ---------------------------------------------------------------------------------------------
# Keyboard only


FOCUS_INFO = """sel => {
    const e = document.activeElement;
    if (!e || e === document.body) return null;
    const s = getComputedStyle(e);
    return {
        what: e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.name ? `[name=${e.name}]` : '')
            + (e.value && e.type === 'checkbox' ? `[value=${e.value}]` : '')
            + (e.tagName === 'A' || e.tagName === 'BUTTON' ? ` "${e.textContent.trim().slice(0, 30)}"` : ''),
        matches: sel ? e.matches(sel) : false,
        // Chromium focuses a segment inside date and time fields and highlights that segment.
        styled: s.outlineStyle !== 'none' || s.boxShadow !== 'none'
            || ['date', 'datetime-local', 'time', 'month', 'week'].includes(e.type),
        outline: `${s.outlineStyle} ${s.outlineWidth}`, shadow: s.boxShadow,
    };
}"""


@dataclass
class Keyboard:
    page: Page
    unstyled: dict[str, str] = field(default_factory=dict)
    path: list[str] = field(default_factory=list)

    def focused(self, selector: str | None = None) -> dict | None:
        info = self.page.evaluate(FOCUS_INFO, selector)
        if info:
            self.path.append(info["what"])
            if not info["styled"]:
                self.unstyled[info["what"]] = f"outline {info['outline']}, box-shadow {info['shadow']}"
        return info

    def tab_to(self, selector: str, limit: int = 60) -> None:
        for _ in range(limit):
            self.page.keyboard.press("Tab")
            info = self.focused(selector)
            if info and info["matches"]:
                return
        raise CheckFailed(f"Tab never reached {selector}; focus went {' → '.join(self.path[-limit:])}")

    def choose(self, selector: str, value: str) -> None:
        """Moves a focused select to `value` with the arrow keys."""
        for key in ("ArrowDown", "ArrowUp"):
            for _ in range(30):
                if self.page.locator(selector).input_value() == value:
                    return
                self.page.keyboard.press(key)
        raise CheckFailed(f"the arrow keys never selected {value!r} in {selector}")


def keyboard_only(page: Page, cfg: Config) -> None:
    """The skip link comes first; a campaign is created with the keyboard alone."""
    goto(page, f"{cfg.base}/app/campaigns/new")
    keys = Keyboard(page)
    page.keyboard.press("Tab")
    first = keys.focused("a[href='#main']")
    must(first and first["matches"], f"the first Tab focuses {first and first['what']}, not the skip link to #main")
    must(
        page.locator("a[href='#main']:focus").inner_text().strip() == "Skip to content",
        "the skip link does not read 'Skip to content'",
    )
    expect(page.locator("a[href='#main']:focus"), "the focused skip link is visible").to_be_visible()
    page.keyboard.press("Enter")
    must(page.evaluate("() => document.activeElement.id") == "main", "following the skip link does not focus main#main")
    form = CampaignForm(
        "re_engagement",
        "Win back finance teams who stopped opening our emails",
        "Winter win-back",
        "1200",
        "800.00",
        ("email",),
    )
    steps: list[tuple[str, Callable[[], None]]] = [
        ("#campaign_type", lambda: keys.choose("#campaign_type", form.campaign_type)),
        ("#objective", lambda: page.keyboard.type(form.objective)),
        ("#name", lambda: page.keyboard.type(form.name)),
        ("#planned_reach", lambda: page.keyboard.type(form.planned_reach)),
        ("#budget", lambda: page.keyboard.type(form.budget)),
        ("input[name=channels][value='email']", lambda: page.keyboard.press("Space")),
    ]
    order = page.evaluate(
        "sels => { const all = [...document.querySelectorAll('*')]; return sels.map(s => all.indexOf(document.querySelector(s))); }",
        [s for s, _ in steps],
    )
    must(-1 not in order, f"the campaign form lacks one of {[s for s, _ in steps]}")
    for _, (selector, act) in sorted(zip(order, steps), key=lambda pair: pair[0]):
        keys.tab_to(selector)
        act()
    must(page.locator("input[name=channels][value='email']").is_checked(), "Space did not check the email channel")
    submit_button = "#campaign-form button[type=submit], #campaign-form button:not([type])"
    keys.tab_to(submit_button)
    page.keyboard.press("Shift+Tab")
    must(not (keys.focused(submit_button) or {}).get("matches"), "Shift+Tab did not leave the submit button")
    page.keyboard.press("Tab")
    must(
        (keys.focused(submit_button) or {}).get("matches"), "Tab after Shift+Tab did not come back to the submit button"
    )
    response = submit(page, lambda: page.keyboard.press("Enter"))
    on_detail_page(page, cfg, response, form)
    must(not keys.unstyled, f"focused elements without a visible focus style: {keys.unstyled}")


# ---------------------------------------------------------------------------------------------
# Layout, screenshots and axe


@dataclass
class Pages:
    """The pages every layout, screenshot and axe pass visits: (screenshot name or None, url)."""

    signed_in: list[tuple[str | None, str]]

    @staticmethod
    def of(cfg: Config, detail_url: str | None) -> Pages:
        app = f"{cfg.base}/app"
        pages = [
            ("campaigns", f"{app}/campaigns"),
            (None, f"{app}/campaigns/new"),
            ("brand", f"{app}/brand"),
            (None, f"{app}/keys"),
            (None, f"{app}/leads"),
            (None, f"{app}/contacts"),
            (None, f"{app}/targeting"),
        ]
        if detail_url:
            pages += [
                ("campaign-detail", detail_url),
                ("forecast", f"{detail_url}/forecast"),
                ("results", f"{detail_url}/results"),
                (None, f"{detail_url}/schedule"),
                (None, f"{detail_url}/experiments"),
            ]
        return Pages(pages)


def settle(page: Page) -> None:
    """Waits for frames and images, so that screenshots and measurements see the finished page."""
    page.wait_for_load_state("load")
    wait_until(
        page, "() => [...document.images].filter(i => i.loading !== 'lazy').every(i => i.complete)", "images load"
    )


def layouts(browser: Browser, report: Report, cfg: Config, state: dict, pages: Pages) -> None:
    """Every page at 1280 and 375 px (no sideways scroll on a phone), with screenshots."""
    problems = []
    for viewport in (DESKTOP, PHONE):
        width = viewport["width"]
        for signed_in in (False, True):
            context = new_context(
                browser, report, cfg.base, viewport=viewport, storage_state=state if signed_in else None
            )
            try:
                page = context.new_page()
                targets = pages.signed_in if signed_in else [("login", f"{cfg.base}/login")]
                for name, url in targets:
                    goto(page, url)
                    settle(page)
                    scroll = page.evaluate("() => document.documentElement.scrollWidth")
                    if width == PHONE["width"] and scroll > PHONE["width"] + 1:
                        wide = page.evaluate(
                            r"""w => [...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right > w + 1)
                                .slice(0, 5).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                                    + (e.getAttribute('class') ? '.' + e.getAttribute('class').trim().split(/\s+/).join('.') : ''))""",
                            width,
                        )
                        problems.append(
                            f"{page_key(url, cfg.base)} scrolls sideways at 375 px ({scroll} px wide; e.g. {wide})"
                        )
                    if name:
                        path = cfg.screenshots / f"{name}-{width}.png"
                        page.screenshot(path=str(path), full_page=False)
                        report.screenshots.append(path.name)
            finally:
                context.close()
    must(not problems, "; ".join(problems))


AXE_RUN = """async () => {
    const result = await axe.run(document, {resultTypes: ['violations'], iframes: false});
    return result.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help,
        targets: v.nodes.slice(0, 3).map(n => n.target.join(' ')),
        nodes: v.nodes.length,
    }));
}"""


def axe_page(page: Page, report: Report, cfg: Config, label: str) -> list[str]:
    page.add_script_tag(path=str(cfg.axe_js))
    violations = page.evaluate(AXE_RUN)
    report.axe_pages += 1
    serious = []
    for v in violations:
        impact = v["impact"] or "unknown"
        report.axe_by_impact[impact] = report.axe_by_impact.get(impact, 0) + 1
        line = f"{label}: [{impact}] {v['id']}: {v['help']} ({v['nodes']} node(s), e.g. {v['targets']})"
        if impact in ("serious", "critical"):
            serious.append(line)
        else:
            report.notes.append(f"axe {line}")
    return serious


def axe_pass(browser: Browser, report: Report, cfg: Config, state: dict, pages: Pages) -> None:
    """axe-core on every page (in a context that lets its script in), no serious or critical issue."""
    serious: list[str] = []
    anonymous = new_context(browser, report, cfg.base, bypass_csp=True)
    try:
        page = anonymous.new_page()
        goto(page, f"{cfg.base}/login")
        serious += axe_page(page, report, cfg, "/login")
    finally:
        anonymous.close()
    context = new_context(browser, report, cfg.base, storage_state=state, bypass_csp=True)
    try:
        page = context.new_page()
        for _, url in pages.signed_in:
            goto(page, url)
            settle(page)
            serious += axe_page(page, report, cfg, page_key(url, cfg.base))
        goto(page, f"{cfg.base}/app/campaigns/new")
        fill_campaign(page, CampaignForm("lead_gen", "ab"))
        page.locator("#campaign-form").evaluate("f => { f.noValidate = true; }")
        response = submit(
            page, lambda: page.locator("#campaign-form").get_by_role("button", name="Create campaign").click()
        )
        must(response.status == 422, f"axe pass: objective 'ab' gave {response.status}, expected 422")
        serious += axe_page(page, report, cfg, "/app/campaigns/new (with errors)")
    finally:
        context.close()
    must(not serious, "axe found serious or critical problems:\n  " + "\n  ".join(serious))


# ---------------------------------------------------------------------------------------------


def journey(playwright, browser: Browser, report: Report, cfg: Config) -> None:
    report.step("the sign-in page", login_page, browser, report, cfg)
    signed_in = report.step("owner signs in over a planted session cookie", owner_session, browser, report, cfg)
    if signed_in is None:
        report.skip("everything the owner does", "the owner's sign-in")
        return
    context, page = signed_in
    report.step("session cookie: new id, HttpOnly, SameSite=Strict, not Secure", session_cookie_flags, context, cfg)
    report.step("brand: every field, live preview, save, markup as text", brand, page, cfg)
    detail = report.step("new campaign: 422 inline error, then created", new_campaign, page, cfg)
    if detail:
        report.step("lead_gen assets: landing frame, emails, ads", lead_gen_assets, page, detail, report)
    else:
        report.skip("lead_gen assets", "creating the campaign")
    report.step("brand_awareness assets: social posts, timeline, banners", brand_awareness_assets, page, cfg)
    report.step("client_retention assets: the voice ad plays", voice_ad_assets, page, cfg)
    if detail:
        totals = report.step("results: broken CSV refused, good CSV recorded", results, page, detail)
        report.step("forecast: fan chart with the observed totals", forecast, page, detail, totals)
        report.step("read pages and navigation", read_pages, page, cfg, detail)
    report.step("API keys: create shows the secret once", api_keys, page, cfg)
    report.step("HTML escaping of campaign fields", escaping, page, cfg)
    report.step("CSRF: missing or wrong token refused", csrf, page, cfg)
    other = report.step("the other organization's campaign", other_campaign_url, playwright, cfg)
    if other:
        report.step("tenant isolation: another organization's campaign is 404", tenant_isolation, page, cfg, other)
    report.step("keyboard only: skip link, focus styles, create a campaign", keyboard_only, page, cfg)
    state = context.storage_state()
    pages = Pages.of(cfg, detail)
    report.step("layouts at 1280 and 375 px, screenshots", layouts, browser, report, cfg, state, pages)
    report.step("axe-core on every page", axe_pass, browser, report, cfg, state, pages)
    report.step("viewer: no write controls, forged write refused", viewer, browser, report, cfg, detail)
    report.step("sign-in throttle: 429 after five wrong passwords", brute_force, browser, report, cfg)
    report.step("logout ends the session, also for a replayed cookie", logout, context, page, browser, report, cfg)
    context.close()


def main() -> None:
    cfg = Config.from_env()
    report = Report()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            journey(playwright, browser, report, cfg)
        finally:
            browser.close()
    if report.csp_problems:
        unique = list(dict.fromkeys(report.csp_problems))
        report.failures.append("Content-Security-Policy:\n  " + "\n  ".join(unique))
    if report.dialogs:
        report.failures.append("a script ran a dialog (injected markup executed?):\n  " + "\n  ".join(report.dialogs))
    print()
    for note in report.notes:
        print(f"note: {note}")
    impacts = ", ".join(f"{k} {v}" for k, v in sorted(report.axe_by_impact.items())) or "none"
    print(
        f"dashboard journey: {len(report.passed)} checks passed, {len(report.failures)} failed; "
        f"{len(report.pages)} pages visited with CSP checked; axe on {report.axe_pages} pages, violations: {impacts}; "
        f"{len(report.screenshots)} screenshots in {cfg.screenshots}"
    )
    if report.failures:
        print("\nFAILURES:")
        for failure in report.failures:
            print(f"- {failure}")
        sys.exit(1)


if __name__ == "__main__":
    main()
