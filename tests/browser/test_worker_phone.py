"""The grid worker's day on a 360 × 740 phone in a real browser (Debian chromium through
Playwright): Today → report with category search, a map tap and two photos with previews →
the case page; verifying a handled case on site with a photo; and a report made offline,
kept on the phone, sent once the network is back, and filed exactly once."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.utils import timezone
from PIL import Image

from cases import services
from cases.models import Case, CaseEvent
from risk.models import PatrolTask
from tests.browser.helpers import CHROMIUM, JS_ERRORS, shot, sign_in
from tests.builders import advance
from tests.factories import centre_of

sync_api = pytest.importorskip("playwright.sync_api")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed"),
]


def _jpeg(path: Path, colour: tuple[int, int, int]) -> Path:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), colour).save(buffer, format="JPEG")
    path.write_bytes(buffer.getvalue())
    return path


@pytest.fixture
def photos(tmp_path: Path) -> list[Path]:
    return [_jpeg(tmp_path / f"scene{i}.jpg", colour) for i, colour in enumerate([(90, 140, 60), (160, 60, 40)])]


def tap(page: sync_api.Page, lon: float, lat: float) -> None:
    """Taps the report map at a point, as a finger would."""
    page.wait_for_selector("#report-map[data-ready=true]")
    xy = page.evaluate(
        "([lat, lng]) => { const p = window.wangge.reportMap.latLngToContainerPoint([lat, lng]); return [p.x, p.y]; }",
        [lat, lon],
    )
    page.locator("#report-map").click(position={"x": xy[0], "y": xy[1]})


def test_grid_worker_day_on_a_phone(
    django_db_setup, live_server, settings, tmp_path, browser, photos, town, grid_worker, centre_operator,
    dept_officer,
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    base = live_server.url
    JS_ERRORS.clear()
    today = timezone.localdate()
    PatrolTask.objects.create(cell=town.cells[0], kind=PatrolTask.Kind.RISK_WARNING, risk_level="red",
                              risk_score=9.0, horizon_start=today, due_date=today)
    PatrolTask.objects.create(cell=town.cells[1], title="例行巡查：沿街商铺", due_date=today)
    earlier = services.case_report(actor=grid_worker, category=town.spot_category, location=centre_of(1, 0),
                                   description="楼道堆物")
    handled = advance(
        services.case_report(actor=centre_operator, category=town.category, location=centre_of(0, 0),
                             description="井盖缺失"),
        Case.Status.HANDLED, town=town, centre_operator=centre_operator, dept_officer=dept_officer,
    )

    # Today: the warning first, the case to check, the big report button.
    page = sign_in(browser, base, grid_worker.username, phone=True)
    assert page.url.endswith("/worker/today/")
    cards = page.locator(".task-card h3")
    assert cards.nth(0).inner_text() == "Red risk warning: patrol this cell"
    assert page.get_by_text(handled.number).is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling
    shot(page, "worker-today-360")

    # Report: search the categories, tap the map, two photos with previews.
    page.get_by_role("link", name="Report a problem").click()
    page.wait_for_url(re.compile(r"/cases/report/$"))
    assert page.get_by_role("button", name=re.compile("乱堆乱放")).is_visible()  # a recent choice
    page.get_by_label("Search categories").fill("占道")
    assert page.get_by_label("Category", exact=True).input_value() == str(town.category.pk)
    assert page.locator("#id_category option:not([value=''])").count() == 1
    page.get_by_label("Description").fill("人行道上有流动摊位")
    target = centre_of(0, 0)
    tap(page, target.x, target.y)
    assert page.locator("#location-readout").inner_text() != "No place chosen yet."
    photo_input = page.get_by_label("Photos", exact=True)
    photo_input.set_input_files(str(photos[0]))
    photo_input.set_input_files(str(photos[1]))  # a second shot adds to the first
    assert page.locator("#photo-previews img").count() == 2
    assert page.evaluate("document.getElementById('id_photo').files.length") == 2
    page.get_by_role("button", name="Remove photo 2").click()
    assert page.locator("#photo-previews img").count() == 1
    photo_input.set_input_files(str(photos[1]))
    assert page.locator("#photo-previews img").count() == 2
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shot(page, "worker-report-360")
    page.get_by_role("button", name="Send report").click()
    page.wait_for_url(re.compile(r"/cases/\d+/$"))
    case = Case.objects.exclude(pk__in=[earlier.pk, handled.pk]).get()
    assert case.category == town.category and case.grid_cell == town.cells[0]
    assert case.attachments.count() == 2
    assert page.get_by_text(f"Case {case.number} filed.").is_visible()
    shot(page, "worker-case-filed-360")
    page.get_by_role("link", name="My reports").click()
    assert page.get_by_role("link", name="Open 2").get_attribute("aria-current") == "page"
    assert page.get_by_text(case.number).is_visible()
    shot(page, "worker-my-reports-360")

    # Verify the handled case on site, with a photo.
    page.goto(f"{base}/worker/today/")
    page.get_by_text(handled.number).click()
    page.wait_for_url(re.compile(rf"/cases/{handled.pk}/"))
    page.locator("#id_verify_note").fill("现场已修复")
    page.locator("#id_verify_photo").set_input_files(str(photos[0]))
    shot(page, "worker-verify-360")
    page.get_by_role("button", name="Pass: close").click()
    page.wait_for_selector("text=Verified and closed.")
    handled.refresh_from_db()
    assert handled.status == Case.Status.CLOSED
    event = handled.events.get(action=CaseEvent.Action.VERIFY_PASS)
    assert event.role == "grid_worker" and event.attachments.count() == 1

    # The warning patrol, marked done with a note.
    page.goto(f"{base}/worker/today/")
    page.locator(".task-warning summary").click()
    page.locator(".task-warning textarea").fill("巡查一遍，无异常")
    page.locator(".task-warning").get_by_role("button", name="Done").click()
    page.wait_for_selector("text=Task marked done.")
    assert PatrolTask.objects.get(kind=PatrolTask.Kind.RISK_WARNING).status == PatrolTask.Status.DONE
    assert page.locator(".task-card").count() == 1
    page.context.close()
    assert JS_ERRORS == []


def test_offline_report_is_kept_then_sent_exactly_once(
    django_db_setup, live_server, settings, tmp_path, browser, photos, town, grid_worker,
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    base = live_server.url
    JS_ERRORS.clear()
    page = sign_in(browser, base, grid_worker.username, phone=True)
    page.goto(f"{base}/cases/report/")
    page.get_by_label("Category", exact=True).select_option(label="占道经营")
    page.get_by_label("Description").fill("离线时发现的占道摊位")
    target = centre_of(1, 0)
    tap(page, target.x, target.y)
    page.get_by_label("Photos", exact=True).set_input_files([str(p) for p in photos])
    key = page.locator("[name=client_key]").input_value()

    page.context.set_offline(True)
    page.wait_for_selector("#offline-notice:not([hidden])")
    page.get_by_role("button", name="Send report").click()
    draft = page.locator("#drafts-list li.draft")
    draft.wait_for()
    assert page.locator("#drafts").is_visible()
    assert "Waiting for the network" in draft.inner_text() and "2 photo(s)" in draft.inner_text()
    # The form is fresh for the next report, with a new key.
    assert page.get_by_label("Description").input_value() == ""
    assert page.locator("[name=client_key]").input_value() not in ("", key)
    assert not Case.objects.filter(client_key=key).exists()
    shot(page, "worker-draft-waiting")

    page.context.set_offline(False)
    page.wait_for_selector("#drafts-list li.draft[data-state=sent]")
    case = Case.objects.get(client_key=key)
    assert f"Sent: case {case.number}" in draft.inner_text()
    assert case.description == "离线时发现的占道摊位" and case.grid_cell == town.cells[1]
    assert case.attachments.count() == 2
    shot(page, "worker-draft-sent")

    # Reloading sends nothing again: the draft left the phone after the server's yes.
    page.reload()
    page.wait_for_load_state("networkidle")
    assert page.locator("#drafts").is_hidden()
    assert page.evaluate(
        "new Promise(r => { const q = indexedDB.open('wangge-drafts'); q.onsuccess = () => {"
        " const all = q.result.transaction('reports').objectStore('reports').getAll();"
        " all.onsuccess = () => r(all.result.length); }; })"
    ) == 0
    assert Case.objects.filter(client_key=key).count() == 1
    assert Case.objects.count() == 1

    # A second draft, made offline on a page that is then closed: the next page opened
    # once the network is back (Today) sends it on load.
    page.get_by_label("Category", exact=True).select_option(label="乱堆乱放")
    page.get_by_label("Description").fill("楼道堆放杂物")
    tap(page, target.x, target.y)
    second_key = page.locator("[name=client_key]").input_value()
    context = page.context
    context.set_offline(True)
    page.get_by_role("button", name="Send report").click()
    page.locator("#drafts-list li.draft").wait_for()
    page.close()
    context.set_offline(False)
    today = context.new_page()
    today.on("pageerror", lambda error: JS_ERRORS.append(f"today: {error}"))
    today.goto(f"{base}/worker/today/")
    today.wait_for_selector("#drafts-list li.draft[data-state=sent]")
    second = Case.objects.get(client_key=second_key)
    assert f"Sent: case {second.number}" in today.locator("#drafts-list").inner_text()
    shot(today, "worker-draft-sent-on-load")
    assert Case.objects.count() == 2
    context.close()
    assert JS_ERRORS == []


def test_refusals_show_in_place(
    django_db_setup, live_server, settings, tmp_path, browser, photos, town, grid_worker,
) -> None:
    """A tenth photo is refused on the phone; a place in another worker's cell comes back
    from the server as an error on the location, with everything typed still there."""
    settings.MEDIA_ROOT = tmp_path / "media"
    base = live_server.url
    JS_ERRORS.clear()
    ten = [_jpeg(tmp_path / f"p{i}.jpg", (20 * i, 100, 100)) for i in range(10)]
    page = sign_in(browser, base, grid_worker.username, phone=True)
    page.goto(f"{base}/cases/report/")
    page.get_by_label("Photos", exact=True).set_input_files([str(p) for p in ten])
    assert page.locator("#photo-previews img").count() == 9
    assert "At most 9 photos" in page.locator("#photo-status").inner_text()
    assert page.evaluate("document.getElementById('id_photo').files.length") == 9
    shot(page, "worker-report-ten-photos")

    page.get_by_label("Category", exact=True).select_option(label="占道经营")
    page.get_by_label("Description").fill("别的网格里的问题")
    elsewhere = centre_of(2, 0)  # town.cells[4], another worker's
    page.get_by_text("Enter coordinates by hand").click()
    page.get_by_label("Longitude").fill(f"{elsewhere.x:.6f}")
    page.get_by_label("Latitude").fill(f"{elsewhere.y:.6f}")
    page.get_by_role("button", name="Send report").click()
    page.wait_for_selector("text=not one of your cells")
    assert page.get_by_label("Description").input_value() == "别的网格里的问题"
    assert page.locator("#photo-previews img").count() == 9  # no photo to choose again
    assert not Case.objects.exists()
    shot(page, "worker-report-outside-cells")
    page.context.close()
    # The 400 answer is logged by the browser as a failed load; nothing else may be.
    assert [e for e in JS_ERRORS if "status of 400" not in e] == []


def test_the_place_from_the_phones_location(
    django_db_setup, live_server, settings, tmp_path, browser, photos, town, grid_worker
) -> None:
    """'Use my location' takes the phone's GPS fix (WGS84), shows it on the map of the
    worker's cells, and the case lands in the cell that contains it."""
    settings.MEDIA_ROOT = tmp_path / "media"
    base = live_server.url
    JS_ERRORS.clear()
    page = sign_in(browser, base, grid_worker.username, phone=True)
    where = centre_of(1, 0)  # inside the worker's second cell
    page.context.grant_permissions(["geolocation"], origin=base)
    page.context.set_geolocation({"latitude": where.y, "longitude": where.x, "accuracy": 8})
    page.goto(f"{base}/cases/report/")
    page.get_by_label("Category", exact=True).select_option(str(town.category.pk))
    page.get_by_label("Description").fill("路口有占道摊位")
    page.wait_for_selector("#report-map[data-ready=true]")
    page.get_by_role("button", name="Use my location").click()
    page.wait_for_selector("#location-readout:has-text('Longitude')")
    assert f"{where.x:.6f}" in page.locator("#location-readout").inner_text()
    # The map moves to the fix (the marker is drawn on its canvas).
    centre = page.evaluate("() => { const c = window.wangge.reportMap.getCenter(); return [c.lng, c.lat]; }")
    assert abs(centre[0] - where.x) < 1e-5 and abs(centre[1] - where.y) < 1e-5
    page.wait_for_timeout(400)  # the zoom animation ends
    shot(page, "worker-report-gps-360")
    page.get_by_role("button", name="Send report").click()
    page.wait_for_url(re.compile(r"/cases/\d+/$"))
    case = Case.objects.get()
    assert case.grid_cell == town.cells[1]
    assert abs(case.location.x - where.x) < 1e-6 and abs(case.location.y - where.y) < 1e-6
    page.context.close()
    assert JS_ERRORS == []
