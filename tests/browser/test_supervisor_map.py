"""The supervisor map in Debian's chromium: sign in with the second factor, the district's
streets, switching the measure, drilling down to a community and its cells, the case list of
the selection, back up by the trail; and the map with a basemap server that never answers.
Screenshots go to artifacts/screenshots/supervisor-map-*.png."""

from __future__ import annotations

import copy
import datetime as dt
import re
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from cases import services
from risk.forecast import RECENCY_V1
from risk.models import RiskScore
from tests.browser.helpers import CHROMIUM, JS_ERRORS, shot, sign_in
from tests.factories import UserFactory, centre_of

sync_api = pytest.importorskip("playwright.sync_api")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed"),
]


def click_at(page: Any, lat: float, lng: float) -> None:
    """Clicks the map where (lat, lng) is drawn."""
    xy = page.evaluate(
        "([lat, lng]) => { const p = window.wangge.supervisorMap.latLngToContainerPoint([lat, lng]); return [p.x, p.y]; }",
        [lat, lng],
    )
    page.locator("#supervisor-map").click(position={"x": xy[0], "y": xy[1]})


def drawn(page: Any) -> int:
    page.wait_for_selector("#supervisor-map[data-drawn]", state="attached")
    return int(page.locator("#supervisor-map").get_attribute("data-drawn"))


@pytest.fixture
def cases_and_risk(town, grid_worker, outsider) -> None:
    for col, row, n in ((0, 0, 2), (1, 1, 1)):
        for _ in range(n):
            # The hotline's feed (the system) reports anywhere; grid workers only in their cells.
            services.case_report(actor=None, category=town.category, location=centre_of(col, row),
                                 description="占道经营")
    services.case_report(actor=outsider, category=town.category, location=centre_of(2, 0), description="五爱")
    for cell, level in zip(town.cells, ["red", "orange", "yellow", "blue", "blue", "yellow"], strict=True):
        RiskScore.objects.create(cell=cell, horizon_start=dt.date(2026, 11, 23), horizon_days=7, model=RECENCY_V1,
                                 score=1.0, level=level, factors=[{"factor": "cases_7d", "value": 2}])


def test_supervisor_drills_down_and_back(
    django_db_setup, live_server, browser, town, supervisor, cases_and_risk
) -> None:
    base = live_server.url
    JS_ERRORS.clear()
    page = sign_in(browser, base, supervisor.username)
    # The start page of a supervisor is the map of their jurisdiction: the district's streets.
    assert page.url.endswith("/supervisor/map/")
    assert drawn(page) == 1
    assert page.get_by_role("heading", level=1).inner_text().startswith("梁溪区")
    assert page.locator("table.places").get_by_role("link", name="崇安寺街道").is_visible()
    assert page.locator("#supervisor-map").get_attribute("data-legend") == "open"
    shot(page, "supervisor-map-district")

    # The measure by keyboard: the radio group moves with the arrow keys.
    page.get_by_role("radio", name="Open cases").focus()
    page.keyboard.press("ArrowRight")
    assert page.get_by_role("radio", name="Overdue cases").is_checked()
    page.wait_for_selector("#supervisor-map[data-legend=overdue]", state="attached")
    assert "measure=overdue" in page.url
    assert page.locator(".legend").inner_text().startswith("Overdue cases")
    page.get_by_role("radio", name="Risk level").check()
    page.wait_for_selector(".legend >> text=Level I (red)")
    assert "Highest risk level" in page.locator(".legend").inner_text()

    # Click the street on the map: its two communities, still coloured by risk.
    click_at(page, centre_of(0, 0).y, centre_of(0, 0).x)
    page.wait_for_url(re.compile(r"area=320213001(&|$)"))
    assert "measure=risk" in page.url
    assert drawn(page) == 2
    # Hover a community: its tooltip names it with its measures.
    xy = page.evaluate(
        "([lat, lng]) => { const p = window.wangge.supervisorMap.latLngToContainerPoint([lat, lng]); return [p.x, p.y]; }",
        [centre_of(0, 0).y, centre_of(0, 0).x],
    )
    page.locator("#supervisor-map").hover(position={"x": xy[0], "y": xy[1]})
    page.wait_for_selector(".leaflet-tooltip")
    tooltip = page.locator(".leaflet-tooltip").inner_text()
    assert "县前社区" in tooltip and "Open cases: 3" in tooltip and "Highest risk level: Level I (red)" in tooltip
    shot(page, "supervisor-map-street")

    # Into the community: its four cells, and its three open cases beside the map.
    click_at(page, centre_of(0, 0).y, centre_of(0, 0).x)
    page.wait_for_url(re.compile(r"area=320213001001(&|$)"))
    assert drawn(page) == 4
    assert page.locator(".map-cases .case-card").count() == 3
    click_at(page, centre_of(0, 0).y, centre_of(0, 0).x)
    page.wait_for_selector(".leaflet-popup-content")
    popup = page.locator(".leaflet-popup-content").inner_text()
    assert town.cells[0].code in popup and "Open cases: 2" in popup and "Cases, last 7 days: 2" in popup
    page.wait_for_timeout(300)  # the popup fades in
    shot(page, "supervisor-map-community")

    # The cell's own cases, from the popup's link.
    page.locator(".leaflet-popup-content").get_by_role("link").click()
    page.wait_for_url(re.compile(rf"area={town.cells[0].code}"))
    assert drawn(page) == 4
    assert page.locator(".map-cases .case-card").count() == 2
    assert page.locator("table.places tr.selected").get_attribute("data-code") == town.cells[0].code
    shot(page, "supervisor-map-cell")
    # A case of the list opens the case page.
    page.locator(".map-cases .case-card a").first.click()
    page.wait_for_url(re.compile(r"/cases/\d+/$"))
    page.go_back()

    # Back up by the trail, with the keyboard: the district, still coloured by risk.
    page.get_by_role("navigation", name="Where you are on the map").get_by_role("link", name="梁溪区").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"area=320213(&|$)"))
    assert "measure=risk" in page.url and drawn(page) == 1
    assert page.get_by_role("radio", name="Risk level").is_checked()
    assert not JS_ERRORS, JS_ERRORS


@pytest.fixture
def silent_tile_server() -> Iterator[str]:
    """A tile server that accepts connections and never answers (a dropped intranet route)."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(64)
        yield f"http://127.0.0.1:{server.getsockname()[1]}"


def test_map_works_when_the_basemap_never_answers(
    django_db_setup, live_server, browser, settings, town, cases_and_risk, silent_tile_server
) -> None:
    settings.BASEMAP_TILE_URL = silent_tile_server + "/{z}/{x}/{y}.png"
    settings.BASEMAP_ATTRIBUTION = "Wuxi survey"
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["img-src"] = [*policy["DIRECTIVES"]["img-src"], silent_tile_server]
    settings.CONTENT_SECURITY_POLICY = policy
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    TOTPDevice.objects.create(user=admin, name="phone", confirmed=True)
    JS_ERRORS.clear()
    page = sign_in(browser, base := live_server.url, admin.username)
    # Not waiting for the load event: hanging tile images hold it back (until the map gives
    # the basemap up), while the grid must be drawn long before.
    page.goto(f"{base}/supervisor/map/", wait_until="domcontentloaded")
    # The city: its one district drawn while every tile request hangs.
    assert drawn(page) == 1
    assert page.evaluate("() => performance.getEntriesByName('map-drawn')[0].startTime") < 5000
    assert page.locator("#supervisor-map").get_attribute("data-basemap") is None
    shot(page, "supervisor-map-city")
    # Every cell of the city, then the basemap given up for the plain background.
    page.get_by_label("Show every grid cell").check()
    page.wait_for_url(re.compile(r"cells=1"), wait_until="domcontentloaded")
    assert drawn(page) == 6
    page.wait_for_selector("#supervisor-map[data-basemap=unavailable]", state="attached", timeout=15_000)
    assert "no-basemap" in page.locator("#supervisor-map").get_attribute("class")
    assert page.locator(".leaflet-tile-pane img").count() == 0
    shot(page, "supervisor-map-no-basemap")
    assert not JS_ERRORS, JS_ERRORS
