"""The supervisor's KPI dashboard and overdue list in a real browser: sign in with the
TOTP code, change the period, drill down a level, download the area table as CSV, open
the overdue list and urge a case, which then shows as urged. Screenshots
supervisor-dashboard.png and supervisor-overdue.png go to artifacts/screenshots/."""

from __future__ import annotations

import csv
import io
import re

import pytest

from audit.models import AuditEntry
from cases.models import Supervision
from tests.browser.helpers import CHROMIUM, JS_ERRORS, shot, sign_in
from tests.oversight.kpi_history import march_fixture, other_officer_fixture  # noqa: F401 - fixtures

sync_api = pytest.importorskip("playwright.sync_api")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed"),
]


def test_supervisor_dashboard_and_overdue_list(django_db_setup, live_server, browser, march, supervisor) -> None:
    base = live_server.url
    JS_ERRORS.clear()
    page = sign_in(browser, base, supervisor.username)

    page.goto(f"{base}/supervisor/dashboard/")
    assert page.get_by_role("heading", level=1).inner_text() == "KPI dashboard · 梁溪区"
    page.get_by_label("From").fill("2026-03-01")
    page.get_by_label("To (inclusive)").fill("2026-03-31")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"date_from=2026-03-01"))
    area_table = page.locator("section:has(#by-area) table")
    street_row = area_table.locator("tbody tr").first
    assert street_row.locator("th").inner_text().startswith("崇安寺街道")
    assert street_row.locator("td").first.inner_text() == "8"  # reports filed in March
    assert page.locator("section:has(#by-unit) .grade-poor").count() >= 1
    shot(page, "supervisor-dashboard")

    # Drill down: district → street; the period is kept.
    street_row.get_by_role("link", name="崇安寺街道").click()
    page.wait_for_url(re.compile(r"area=320213001(&|$)"))
    assert page.locator('.crumbs [aria-current="page"]').inner_text() == "崇安寺街道"
    labels = area_table.locator("tbody th").all_inner_texts()
    assert [label.split()[0] for label in labels] == ["县前社区", "五爱社区"]
    shot(page, "supervisor-dashboard-street")

    with page.expect_download() as download_info:
        page.locator("section:has(#by-area) .export-links").get_by_role("link", name="CSV").click()
    download = download_info.value
    assert download.suggested_filename == "kpi-areas-320213001-20260301-20260331.csv"
    rows = list(csv.reader(io.StringIO(open(download.path(), encoding="utf-8-sig").read())))  # noqa: SIM115
    assert [r[:3] for r in rows[1:]] == [["320213001001", "县前社区", "7"], ["320213001002", "五爱社区", "1"]]
    assert AuditEntry.objects.filter(kind=AuditEntry.Kind.EXPORT, detail__what="kpis:areas").count() == 1

    # The overdue list: D (not signed for), C, I; urge C with the suggested note.
    page.get_by_role("link", name="Overdue cases: urge their units").click()
    page.wait_for_url(re.compile(r"/supervisor/overdue/"))
    row = page.locator(f"#case-{march['C'].pk}")
    assert row.get_by_label(f"Note for case {march['C'].number}").input_value().startswith("Overdue:")
    row.get_by_role("button", name="Urge").click()
    page.wait_for_load_state()
    assert page.locator(".message.success").inner_text().startswith(f"Case {march['C'].number} urged")
    row = page.locator(f"#case-{march['C'].pk}")
    assert row.locator(".urged").inner_text() == "Urged"
    assert row.get_by_role("button", name="Urge").count() == 0
    assert Supervision.objects.filter(case=march["C"], kind=Supervision.Kind.URGED).count() == 1
    shot(page, "supervisor-overdue")
    # In Chinese, the default language: the same list, the case marked 已督办.
    page.get_by_label("Language").select_option("zh-hans")
    page.wait_for_load_state()
    page.locator("html[lang=zh-hans]").wait_for()
    assert page.locator(f"#case-{march['C'].pk} .urged").inner_text() == "已督办"
    shot(page, "supervisor-overdue-zh")
    page.goto(f"{base}/supervisor/dashboard/?date_from=2026-03-01&date_to=2026-03-31")
    assert "按期结案率" in page.locator("section:has(#by-unit) thead").inner_text()
    shot(page, "supervisor-dashboard-zh")
    page.context.close()
    assert JS_ERRORS == []
