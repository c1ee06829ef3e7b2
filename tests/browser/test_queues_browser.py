"""The centre operator's and the department staff's main jobs in a real browser (Debian's
chromium through Playwright), at a desktop viewport: the queue and its filters, a merge of
a duplicate, accept and dispatch with a co-handler, an extension approved, a verification;
the workbench tabs, sign for, ask for an extension, report handled with a photo, return
another case. Screenshots go to artifacts/screenshots/."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.gis.geos import Point

from cases import services
from cases.models import Case, CoHandler, ExtensionRequest
from grids.models import GridAssignment
from tests.browser.helpers import CHROMIUM, JS_ERRORS, shot, sign_in
from tests.factories import centre_of

sync_api = pytest.importorskip("playwright.sync_api")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed"),
]
S = Case.Status


def report(worker, town, where: Point, text: str = "人行道上有流动摊位") -> Case:
    return services.case_report(actor=worker, category=town.category, location=where, description=text)


def row(page, case: Case):
    return page.locator(f'tr[data-case="{case.number}"]')


def test_centre_operator_works_the_queue(
    django_db_setup, live_server, settings, tmp_path, browser, town, grid_worker, centre_operator, dept_officer
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    base = live_server.url
    JS_ERRORS.clear()
    # Grid workers file only in their own cells: this one patrols the whole community here.
    for cell in town.cells[2:4]:
        GridAssignment.objects.create(worker=grid_worker, cell=cell)
    here = centre_of(0, 0)
    original = report(grid_worker, town, here)
    twin = report(grid_worker, town, Point(here.x, here.y + 0.0002, srid=4326), "同一个摊位")
    to_dispatch = report(grid_worker, town, centre_of(1, 0), "占道堆放建材")
    asked = report(grid_worker, town, centre_of(0, 1))
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
    handled = report(grid_worker, town, centre_of(1, 1))
    for case in (asked, handled):
        services.case_accept(case_id=case.pk, actor=centre_operator)
        services.case_dispatch(case_id=case.pk, actor=centre_operator, unit=town.unit)
        services.case_sign_for(case_id=case.pk, actor=dept_officer)
    services.case_request_extension(case_id=asked.pk, actor=dept_officer, days=2, reason="等配件到货")
    services.case_report_handled(case_id=handled.pk, actor=dept_officer, result="摊位已清理")
    # One overdue extension request, so the queue shows the red row too.
    late = services.case_report(actor=grid_worker, category=town.category, location=centre_of(1, 1),
                                description="旧案", at=long_ago)
    services.case_accept(case_id=late.pk, actor=centre_operator, at=long_ago)
    services.case_dispatch(case_id=late.pk, actor=centre_operator, unit=town.unit, at=long_ago)
    services.case_sign_for(case_id=late.pk, actor=dept_officer, at=long_ago)
    services.case_request_extension(case_id=late.pk, actor=dept_officer, days=1, reason="雨天")

    page = sign_in(browser, base, centre_operator.username)
    assert page.url.endswith("/centre/queue/")
    assert row(page, late).get_attribute("class") == "queue-row row-overdue"
    assert "Overdue by" in row(page, late).inner_text()
    shot(page, "centre-queue")

    # By keyboard: arrows move through a filter's choices without leaving the page; the
    # Filter button applies the choice.
    page.locator('input[name="deadline"][value=""]').focus()
    page.keyboard.press("ArrowDown")
    page.wait_for_timeout(300)
    assert page.url.endswith("/centre/queue/")
    page.get_by_role("button", name="Filter", exact=True).click()
    page.wait_for_url(re.compile(r"deadline=overdue"))
    assert page.locator("tr.queue-row").count() == 1
    page.goto(f"{base}/centre/queue/")

    # Filter to the new reports (the radio applies itself); the twin offers the merge.
    page.get_by_label("New reports").check()
    page.wait_for_url(re.compile(r"state=reported"))
    assert page.locator("tr.queue-row").count() == 3
    assert page.locator('input[name="state"][value="reported"]').is_checked()
    shot(page, "centre-queue-new-reports")
    row(page, twin).get_by_role("button", name=f"Merge into {original.number}").click()
    page.wait_for_selector(f"text=Merged into {original.number} as a duplicate.")
    assert re.search(r"state=reported", page.url)  # back in the same filtered queue
    twin.refresh_from_db()
    assert twin.status == S.REJECTED and twin.duplicate_of_id == original.pk
    assert page.locator("tr.queue-row").count() == 2

    # Accept in the row, then dispatch from the case page with the proposal and a co-handler.
    row(page, to_dispatch).get_by_role("button", name=f"Accept {to_dispatch.number}").click()
    page.wait_for_selector("text=Accepted.")
    page.goto(f"{base}/cases/{to_dispatch.pk}/")
    assert "Next: 县前社区 dispatches it to a department unit" in page.locator(".progress-box").inner_text()
    assert page.get_by_label("Handling unit", exact=True).input_value() == str(town.unit.pk)
    assert "Proposed: 梁溪区城管局" in page.locator(".panel-dispatch").inner_text()
    assert page.get_by_label("梁溪区城管局").is_disabled()  # the lead is not its own co-handler
    page.get_by_label("梁溪区环保局").check()
    shot(page, "case-page-centre")
    page.get_by_role("button", name="Dispatch", exact=True).click()
    page.wait_for_selector("text=Dispatched.")
    assert list(CoHandler.objects.filter(case=to_dispatch).values_list("unit_id", flat=True)) == [town.other_unit.pk]
    assert "Next: 梁溪区城管局 signs for it" in page.locator(".progress-box").inner_text()
    assert "working hours left" in page.locator(".progress-box").inner_text()

    # An extension request: approve it, giving back the time it waited.
    page.goto(f"{base}/centre/queue/?state=extension")
    page.get_by_role("link", name=asked.number, exact=True).click()
    assert "asks for 2 more working days: 等配件到货" in page.locator(".panel-extension_decision").inner_text()
    page.get_by_label("Also give back the working time the request waited").check()
    shot(page, "case-page-centre-extension")
    page.get_by_role("button", name="Approve", exact=True).click()
    page.wait_for_selector("text=Extension approved.")
    assert ExtensionRequest.objects.get(case=asked).status == ExtensionRequest.Status.APPROVED

    # Verify the handled case and close it.
    page.goto(f"{base}/centre/queue/")
    page.get_by_label("Handled, to verify").check()
    page.wait_for_url(re.compile(r"state=handled"))
    page.get_by_role("link", name=handled.number, exact=True).click()
    assert "Next: verification by 县前社区" in page.locator(".progress-box").inner_text()
    page.get_by_role("button", name="Pass: close").click()
    page.wait_for_selector("text=Verified and closed.")
    handled.refresh_from_db()
    assert handled.status == S.CLOSED
    shot(page, "case-page-centre-closed")

    # The same queue in Chinese, the default language.
    page.goto(f"{base}/centre/queue/")
    page.locator("#language-select").select_option("zh-hans")
    page.wait_for_selector("h1 >> text=综治中心待办")
    assert "超期" in row(page, late).inner_text()
    shot(page, "centre-queue-zh")
    page.context.close()
    assert JS_ERRORS == []


def test_department_staff_work_the_workbench(
    django_db_setup, live_server, settings, tmp_path, browser, photo_file, town, grid_worker, centre_operator,
    dept_officer,
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    base = live_server.url
    JS_ERRORS.clear()
    first = report(grid_worker, town, centre_of(0, 0))
    second = report(grid_worker, town, centre_of(1, 0), "垃圾桶满溢")
    for case in (first, second):
        services.case_accept(case_id=case.pk, actor=centre_operator)
        services.case_dispatch(case_id=case.pk, actor=centre_operator, unit=town.unit)

    page = sign_in(browser, base, dept_officer.username)
    assert page.url.endswith("/unit/queue/")
    tabs = page.locator("nav.tabs")
    assert re.search(r"To sign\s*2", tabs.inner_text()) and re.search(r"In progress\s*0", tabs.inner_text())
    shot(page, "unit-workbench")

    # Sign for the first in one click from the list.
    row(page, first).get_by_role("button", name=f"Sign for {first.number}").click()
    page.wait_for_selector("text=Signed for.")
    assert re.search(r"In progress\s*1", page.locator("nav.tabs").inner_text())
    page.get_by_role("link", name=re.compile(r"^In progress")).click()
    page.wait_for_url(re.compile(r"tab=in_progress"))
    shot(page, "unit-workbench-in-progress")
    page.get_by_role("link", name=first.number, exact=True).click()
    assert "Next: 梁溪区城管局 handles it and reports back" in page.locator(".progress-box").inner_text()

    # Ask for more time: the centre decides next.
    page.locator(".panel-request_extension summary").click()
    page.get_by_label("Extra working days").fill("3")
    page.locator(".panel-request_extension").get_by_label("Reason").fill("需要等待配件")
    page.locator('.panel-request_extension button[data-action="request_extension"]').click()
    page.wait_for_selector("text=Extension requested.")
    assert "decides on 梁溪区城管局's extension request" in page.locator(".progress-box").inner_text()

    # Report it handled with a photo.
    page.get_by_label("Result", exact=True).fill("摊位已清理")
    page.get_by_label("Photos of the result").set_input_files(str(photo_file))
    shot(page, "case-page-unit")
    page.get_by_role("button", name="Report handled", exact=True).click()
    page.wait_for_selector("text=Reported as handled.")
    first.refresh_from_db()
    assert first.status == S.HANDLED and first.events.filter(attachments__isnull=False).exists()
    assert "Next: verification by 县前社区" in page.locator(".progress-box").inner_text()

    # Return the second: not this unit's matter.
    page.goto(f"{base}/unit/queue/?tab=to_sign")
    page.get_by_role("link", name=second.number, exact=True).click()
    page.locator(".panel-return summary").click()
    page.locator(".panel-return").get_by_label("Reason").fill("属于环保部门职责")
    page.get_by_role("button", name="Return to centre").click()
    page.wait_for_selector("text=Returned to the centre.")
    second.refresh_from_db()
    assert second.status == S.ACCEPTED and second.unit_id is None
    page.goto(f"{base}/unit/queue/?tab=returned")
    assert page.locator(f'tr[data-case="{second.number}"]').count() == 1
    assert re.search(r"Returned\s*1", page.locator("nav.tabs").inner_text())
    shot(page, "unit-workbench-returned")
    page.set_viewport_size({"width": 360, "height": 740})
    page.reload()
    shot(page, "unit-workbench-phone")
    page.context.close()
    assert JS_ERRORS == []
