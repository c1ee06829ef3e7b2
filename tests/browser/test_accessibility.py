"""axe-core over the main pages of every role, in English and in Chinese, in chromium: no
WCAG 2.1 A/AA violations (labels, names, contrast, landmarks, ARIA), and no English left on
the Chinese pages. Each page is checked as its user sees it, with a
case in the state that shows that role's panels."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model

from cases import services
from tests.browser.helpers import CHROMIUM, JS_ERRORS, axe_violations, shot, sign_in
from tests.factories import centre_of

sync_api = pytest.importorskip("playwright.sync_api")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed"),
]


# Latin words a Chinese page may show: the brand, the language switcher's "English", the
# file formats; and user names (the header's, the timeline's), added per page.
LATIN_ALLOWED = {"wangge", "English", "CSV", "Excel"}


def untranslated(page) -> list[str]:
    """Latin words in the visible text of a Chinese page: an English UI string that missed
    translation (the test data's names are Chinese, user names are allowed)."""
    text = page.evaluate("() => document.body.innerText")
    names = " ".join(get_user_model().objects.values_list("username", flat=True))
    allowed = LATIN_ALLOWED | set(re.findall(r"[A-Za-z]+", names))
    return sorted({w for w in re.findall(r"[A-Za-z][A-Za-z'’-]{2,}", text) if w not in allowed})


def check(page, url: str, name: str, failures: dict[str, list[str]], *, language: str = "en") -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    shot(page, f"a11y-{name}")
    found = axe_violations(page)
    if language == "zh-hans":
        found += [f"untranslated: {word}" for word in untranslated(page)]
    if found:
        failures[name] = found


def test_main_pages_have_no_axe_violations(
    django_db_setup, live_server, settings, tmp_path, browser, town, grid_worker, centre_operator, dept_officer, supervisor
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    base = live_server.url
    JS_ERRORS.clear()
    reported = services.case_report(actor=grid_worker, category=town.category, location=centre_of(0, 0),
                                    description="占道经营的摊位", reporter_phone="13812345678")
    dispatched = services.case_report(actor=grid_worker, category=town.category, location=centre_of(0, 0),
                                      description="另一处摊位")
    services.case_accept(case_id=dispatched.pk, actor=centre_operator)
    services.case_dispatch(case_id=dispatched.pk, actor=centre_operator, unit=town.unit)
    services.notify_next_actors(event_id=reported.events.get().pk)
    failures: dict[str, list[str]] = {}

    anonymous = browser.new_page()
    check(anonymous, f"{base}/accounts/login/", "login", failures)
    anonymous.close()

    pages = {
        grid_worker.username: [
            ("/worker/today/", "worker-today"), ("/cases/report/", "report-form"), ("/cases/mine/", "my-reports"),
            (f"/cases/{reported.pk}/", "case-worker"),
        ],
        centre_operator.username: [
            ("/centre/queue/", "centre-queue"), (f"/cases/{reported.pk}/", "case-centre"),
            ("/notifications/", "notifications"), ("/accounts/password_change/", "password-change"),
        ],
        dept_officer.username: [("/unit/queue/", "unit-queue"), (f"/cases/{dispatched.pk}/", "case-unit")],
        supervisor.username: [
            ("/supervisor/map/", "supervisor-map"), ("/supervisor/dashboard/", "supervisor-dashboard"),
            ("/supervisor/overdue/", "supervisor-overdue"), ("/supervisor/counts/", "supervisor-counts"),
        ],
    }
    for username, urls in pages.items():
        page = sign_in(browser, base, username, phone=username == grid_worker.username)
        for language in ("en", "zh-hans"):
            # The language switcher's cookie: the same pages in Chinese, the default language.
            page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": base}])
            for path, name in urls:
                check(page, base + path, f"{name}-{language}", failures, language=language)
        page.context.close()

    assert failures == {}
    assert JS_ERRORS == []
