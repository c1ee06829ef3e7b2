"""The Content-Security-Policy in a real browser: every main page, as the persona who uses
it, runs with no `securitypolicyviolation` event, no CSP message on the console and no
JavaScript error, and its map still draws the cells. A violation the policy blocks would
otherwise pass unnoticed: a map that silently lost its legend, a button that does nothing.
Screenshots go to artifacts/screenshots/csp-*.png."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from cases import services
from tests.factories import UserFactory, centre_of

# Playwright's sync API runs an event loop in this thread; Django's ORM would otherwise
# refuse to run next to it (as in test_thin_flow).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed"),
]

# Registered before any page script (Playwright's init scripts are not subject to the CSP):
# every violation the page meets is kept on window for the test to read.
LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.effectiveDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`);
});
"""


class Visitor:
    """One persona's browser context, collecting CSP violations, console errors and page
    errors across the pages it opens."""

    def __init__(self, browser: sync_api.Browser, base: str, user=None, verify_otp=None) -> None:
        self.base = base
        self.name = user.username if user else "anonymous"
        self.problems: list[str] = []
        self.context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="en-US")
        self.context.add_init_script(LISTEN)
        if user is not None:
            # A session made on the server side: this test is about pages, not the sign-in.
            client = Client()
            client.force_login(user)
            if verify_otp is not None:
                verify_otp(client, user)  # supervisors and admins: second factor passed
            cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value
            self.context.add_cookies([{"name": django_settings.SESSION_COOKIE_NAME, "value": cookie, "url": base}])
        self.page = self.context.new_page()
        self.page.set_default_timeout(30_000)
        self.page.on("pageerror", lambda error: self.problems.append(f"{self.name}: page error {error}"))
        self.page.on("console", self._console)

    def _console(self, message: sync_api.ConsoleMessage) -> None:
        if message.location.get("url", "").endswith("/favicon.ico"):
            return  # the admin pages name no icon, so the browser asks for one that is not there
        if message.type == "error" or "Content Security Policy" in message.text:
            self.problems.append(f"{self.name}: console {message.type}: {message.text}")

    def open(self, path: str, *, ready: str | None = None) -> sync_api.Page:
        response = self.page.goto(f"{self.base}{path}")
        assert response is not None and response.status == 200, (path, response and response.status)
        header = response.headers.get("content-security-policy", "")
        assert "script-src 'self'" in header and "unsafe-inline" not in header, (path, header)
        # "load": every script and stylesheet has run; the `ready` selector waits for what a
        # page fetches after that (the cells, the API schema). Not "networkidle", which a
        # machine busy with other test runs can miss for seconds.
        self.page.wait_for_load_state("load")
        if ready:
            self.page.wait_for_selector(ready)
        return self.page

    def check(self, path: str, shot: str) -> None:
        violations = self.page.evaluate("window.__csp")
        self.problems.extend(f"{self.name} {path}: {v}" for v in violations)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"csp-{shot}.png"), full_page=True)

    def visit(self, path: str, shot: str, *, ready: str | None = None) -> sync_api.Page:
        page = self.open(path, ready=ready)
        self.check(path, shot)
        return page


def test_main_pages_run_under_the_csp_without_violations(
    django_db_setup, live_server, settings, tmp_path, browser, town, grid_worker, centre_operator, dept_officer,
    supervisor, verify_otp,
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    from tests.cases.photos import jpeg

    base = live_server.url
    case = services.case_report(actor=grid_worker, category=town.category, location=centre_of(0, 0),
                                description="占道", photos=[jpeg()])
    for col, row in ((1, 0), (2, 0)):  # the hotline's feed (the system) reports anywhere
        services.case_report(actor=None, category=town.category, location=centre_of(col, row),
                             description="占道")
    admin = UserFactory(username="csp_admin", is_staff=True, is_superuser=True)
    problems: list[str] = []

    anonymous = Visitor(browser, base)
    anonymous.visit("/accounts/login/", "login")
    problems += anonymous.problems
    anonymous.context.close()

    worker = Visitor(browser, base, grid_worker, verify_otp)
    page = worker.visit("/", "home-grid-worker")
    page = worker.visit(reverse("case-report"), "report-form", ready="#report-map[data-ready=true]")
    assert page.locator("#report-map .leaflet-overlay-pane canvas").count() >= 1
    problems += worker.problems
    worker.context.close()

    centre = Visitor(browser, base, centre_operator, verify_otp)
    centre.visit(reverse("centre-queue"), "centre-queue")
    page = centre.visit(reverse("case-detail", args=[case.pk]), "case-page", ready="#case-map canvas")
    assert page.locator(".photos img").count() == 1
    assert page.evaluate("document.querySelector('.photos img').naturalWidth") > 0  # the photo loaded
    problems += centre.problems
    centre.context.close()

    unit = Visitor(browser, base, dept_officer, verify_otp)
    unit.visit(reverse("unit-queue"), "unit-queue")
    problems += unit.problems
    unit.context.close()

    watcher = Visitor(browser, base, supervisor, verify_otp)
    page = watcher.open(reverse("supervisor-map"), ready="#supervisor-map[data-features]")
    # The district supervisor's map opens on the district's streets (the town has one).
    assert page.locator("#supervisor-map").get_attribute("data-features") == "1"
    assert page.locator("#supervisor-map .leaflet-overlay-pane canvas").count() >= 1
    # The legend's swatches are coloured through the CSSOM, which the policy allows.
    swatch = page.locator(".legend i").first
    assert swatch.evaluate("el => getComputedStyle(el).backgroundColor") not in ("", "rgba(0, 0, 0, 0)")
    watcher.check(reverse("supervisor-map"), "supervisor-map")
    page.get_by_role("radio", name="Risk level").check()
    page.wait_for_selector(".legend >> text=Not scored")
    watcher.check(reverse("supervisor-map"), "supervisor-map-risk")
    watcher.visit(reverse("supervisor-counts"), "counts")
    watcher.visit(reverse("supervisor-dashboard"), "supervisor-dashboard")
    watcher.visit(reverse("supervisor-overdue"), "supervisor-overdue")
    problems += watcher.problems
    watcher.context.close()

    staff = Visitor(browser, base, admin, verify_otp)
    staff.visit(reverse("admin:index"), "admin-index")
    # django-leaflet's map widget starts from an inline script that carries the nonce.
    page = staff.visit(reverse("admin:grids_gridcell_change", args=[town.cells[0].pk]), "admin-cell-map",
                       ready=".leaflet-container .leaflet-overlay-pane path")
    assert page.locator(".leaflet-container").count() == 1
    staff.visit(reverse("admin:cases_case_change", args=[case.pk]), "admin-case")
    page = staff.visit(reverse("api-docs"), "api-docs", ready=".swagger-ui .opblock")
    assert page.locator(".swagger-ui .opblock").count() > 10  # the schema loaded and rendered
    page.locator(".opblock-summary-path", has_text="/api/cases/{id}/").first.click()  # one opened, with its models
    page.wait_for_selector(".opblock.is-open .parameters")
    page.locator(".opblock.is-open .model-example .tablinks", has_text="Schema").first.click()
    page.wait_for_selector(".opblock.is-open .model-box")
    staff.check(reverse("api-docs"), "api-docs-open")
    problems += staff.problems
    staff.context.close()

    assert problems == []
