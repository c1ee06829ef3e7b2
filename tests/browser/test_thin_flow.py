"""The thin flow in a real browser (Debian's chromium through Playwright): a grid worker
on a phone files a report by tapping the map, the centre accepts and dispatches, the
department signs for and reports it handled, the centre verifies it closed, and the
supervisor's map draws the cells. A screenshot after each step goes to
artifacts/screenshots/ for people to look at."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from cases import services
from cases.models import Case
from risk.forecast import RECENCY_V1
from risk.models import RiskScore
from tests.browser.helpers import CHROMIUM, JS_ERRORS, shot, sign_in
from tests.factories import centre_of

sync_api = pytest.importorskip("playwright.sync_api")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed"),
]


def open_case(page: sync_api.Page, base: str, queue: str, number: str) -> None:
    page.goto(f"{base}{queue}")
    page.get_by_text(number).click()
    page.wait_for_url(re.compile(r"/cases/\d+/$"))


def test_thin_flow_in_chromium(
    django_db_setup, live_server, settings, tmp_path, browser, photo_file, town, grid_worker, centre_operator, dept_officer, supervisor
) -> None:
    # django_db_setup comes first so the live server (session-wide) is set up after the test
    # database and stopped before it is dropped: no server thread still holds a connection.
    settings.MEDIA_ROOT = tmp_path / "media"
    base = live_server.url
    JS_ERRORS.clear()

    # 1. Grid worker, on a phone: the start page is Today, one tap from the report form.
    page = sign_in(browser, base, grid_worker.username, phone=True)
    assert page.url.endswith("/worker/today/")
    page.get_by_role("link", name="Report a problem").click()
    page.wait_for_url(re.compile(r"/cases/report/$"))
    page.get_by_label("Category").select_option(label="占道经营")
    page.get_by_label("Description").fill("人行道上有流动摊位")
    page.wait_for_selector("#report-map[data-ready=true]")
    target = centre_of(0, 0)
    # Tap the map where the case is: the pixel Leaflet shows for the centre of cell 001.
    xy = page.evaluate(
        "([lat, lng]) => { const p = window.wangge.reportMap.latLngToContainerPoint([lat, lng]); return [p.x, p.y]; }",
        [target.y, target.x],
    )
    page.locator("#report-map").click(position={"x": xy[0], "y": xy[1]})
    assert page.locator("#location-readout").inner_text() != "No place chosen yet."
    page.get_by_label("Photos", exact=True).set_input_files(str(photo_file))
    shot(page, "01-report-form")
    page.get_by_role("button", name="Send report").click()
    page.wait_for_url(re.compile(r"/cases/\d+/$"))
    case = Case.objects.get()
    assert case.grid_cell == town.cells[0]
    assert page.get_by_text(f"Case {case.number}").first.is_visible()
    shot(page, "02-case-reported-phone")
    page.locator(".account-menu summary").click()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r"/accounts/login/"))
    page.context.close()

    # 2. Centre operator: queue → accept → dispatch (the proposed unit is preselected).
    page = sign_in(browser, base, centre_operator.username)
    assert page.url.endswith("/centre/queue/")
    shot(page, "03-centre-queue")
    open_case(page, base, "/centre/queue/", case.number)
    page.locator("#id_accept_note").fill("情况属实")  # the accept panel's note, not a folded one
    page.get_by_role("button", name="Accept", exact=True).click()
    page.wait_for_selector("text=Accepted.")
    assert page.get_by_label("Handling unit", exact=True).input_value() == str(town.unit.pk)
    shot(page, "04-centre-dispatch")
    page.get_by_role("button", name="Dispatch", exact=True).click()
    page.wait_for_selector("text=Dispatched.")
    page.context.close()

    # 3. Department staff: my unit → sign for → report handled with a photo.
    page = sign_in(browser, base, dept_officer.username, phone=True)
    assert page.url.endswith("/unit/queue/")
    open_case(page, base, "/unit/queue/", case.number)
    page.get_by_role("button", name="Sign for", exact=True).click()
    page.wait_for_selector("text=Signed for.")
    page.get_by_label("Result", exact=True).fill("摊位已清理")
    page.get_by_label("Photos of the result").set_input_files(str(photo_file))
    shot(page, "05-dept-report-handled")
    page.get_by_role("button", name="Report handled", exact=True).click()
    page.wait_for_selector("text=Reported as handled.")
    page.context.close()

    # 4. Centre verifies: pass → closed.
    page = sign_in(browser, base, centre_operator.username)
    open_case(page, base, "/centre/queue/", case.number)
    page.get_by_role("button", name="Pass: close").click()
    page.wait_for_selector("text=Verified and closed.")
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED
    assert page.locator(".case-head .status").inner_text() == "Closed"
    assert page.locator(".photos img").count() == 2
    shot(page, "06-case-closed")
    page.context.close()

    # 5. Supervisor: the map draws every cell of the district. A few open cases and a risk
    # run first, so both layers have something to colour.
    # Filed by the hotline's feed (the system), which reports anywhere; a grid worker
    # files only in their own cells.
    for col, row, n in ((1, 0, 3), (1, 1, 1), (2, 0, 7)):
        for _ in range(n):
            services.case_report(actor=None, category=town.category, location=centre_of(col, row),
                                 description="占道")
    for cell, level, score in zip(town.cells, ["red", "orange", "yellow", "blue", "blue", "yellow"],
                                  [9.0, 5.0, 2.0, 0.5, 0.1, 1.5], strict=True):
        RiskScore.objects.create(cell=cell, horizon_start=dt.date(2026, 11, 23), horizon_days=7, model=RECENCY_V1,
                                 score=score, level=level, factors=[{"factor": "cases_7d", "value": int(score)}])
    page = sign_in(browser, base, supervisor.username)
    assert page.url.endswith("/supervisor/map/")
    # The map opens on the district's streets; every grid cell of it on request.
    page.get_by_label("Show every grid cell").check()
    page.wait_for_url(re.compile(r"cells=1"))
    page.wait_for_selector("#supervisor-map[data-features]")
    assert page.locator("#supervisor-map").get_attribute("data-features") == "6"
    assert page.locator("#supervisor-map canvas").count() >= 1
    # Click the cell with the closed case: the popup names it.
    xy = page.evaluate(
        "([lat, lng]) => { const p = window.wangge.supervisorMap.latLngToContainerPoint([lat, lng]); return [p.x, p.y]; }",
        [target.y, target.x],
    )
    page.locator("#supervisor-map").click(position={"x": xy[0], "y": xy[1]})
    page.wait_for_selector(".leaflet-popup-content")
    popup = page.locator(".leaflet-popup-content").inner_text()
    assert town.cells[0].code in popup and "Level I (red)" in popup and "Cases, last 7 days: 9" in popup
    page.wait_for_timeout(300)  # the popup fades in
    shot(page, "07-supervisor-map")
    page.get_by_role("radio", name="Risk level").check()
    page.wait_for_selector(".legend >> text=Level I (red)")
    shot(page, "08-supervisor-map-risk")
    # The KPIs of this month count every report above, the closed one among them.
    page.get_by_role("link", name="KPIs").click()
    page.wait_for_url(re.compile(r"/supervisor/dashboard/"))
    filed = page.locator(".tile", has_text="Reports filed").locator("dd").inner_text()
    assert int(filed) == Case.objects.count() == 12
    shot(page, "09-supervisor-dashboard")
    page.get_by_role("link", name="Overdue", exact=True).click()
    page.wait_for_url(re.compile(r"/supervisor/overdue/"))
    shot(page, "10-supervisor-overdue")
    page.goto(f"{base}/supervisor/counts/")
    shot(page, "11-supervisor-counts")
    page.context.close()
    assert JS_ERRORS == []
