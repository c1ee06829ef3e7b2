"""The supervisor's map page and the counts page."""

from __future__ import annotations

import re

import pytest
from django.test import override_settings
from django.urls import reverse

from cases import services
from cases.models import Case
from tests.builders import advance
from tests.factories import UserFactory, centre_of

pytestmark = pytest.mark.usefixtures("media_in_tmp")


def test_map_page_loads_its_layer_from_the_map_endpoint(login, supervisor) -> None:
    response = login(supervisor).get(reverse("supervisor-map"))
    assert response.status_code == 200
    html = response.text
    # The district supervisor starts at their district (tests/oversight/test_supervisor_map.py).
    assert 'data-layer-url="/api/geo/map/?area=320213"' in html
    assert 'id="map-labels"' in html and "Level I (red)" in html
    assert "/static/leaflet/leaflet.css" in html and "/static/wangge/js/supervisor-map.js" in html
    # No basemap configured: the map draws on a plain background.
    assert 'data-tiles=""' in html


@override_settings(BASEMAP_TILE_URL="/tiles/{z}/{x}/{y}.png", BASEMAP_ATTRIBUTION="Wuxi survey")
def test_map_page_uses_configured_basemap(login, supervisor) -> None:
    html = login(supervisor).get(reverse("supervisor-map")).text
    assert 'data-tiles="/tiles/{z}/{x}/{y}.png"' in html
    assert 'data-attribution="Wuxi survey"' in html


def test_admin_may_open_map_and_counts(db, login) -> None:
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    client = login(admin)
    assert client.get(reverse("supervisor-map")).status_code == 200
    assert client.get(reverse("supervisor-counts")).status_code == 200


def _table(html: str, heading_id: str) -> list[list[str]]:
    section = re.search(rf'<h2 id="{heading_id}">.*?</section>', html, re.S)
    assert section, heading_id
    rows = re.findall(r"<tr>(.*?)</tr>", section.group(0), re.S)
    return [[re.sub(r"<.*?>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r, re.S)] for r in rows]


def test_counts_by_district_and_department(
    login, town, grid_worker, centre_operator, dept_officer, supervisor, file_case, django_assert_max_num_queries
) -> None:
    file_case()
    file_case()
    advance(file_case(), Case.Status.CLOSED, town=town, centre_operator=centre_operator, dept_officer=dept_officer)
    advance(file_case(), Case.Status.DISPATCHED, town=town, centre_operator=centre_operator, dept_officer=dept_officer)
    client = login(supervisor)
    # Session, user, the TOTP device that verified the session (django-otp checks it on every
    # request), two role lookups, then: by district, district names, by department.
    with django_assert_max_num_queries(8):
        response = client.get(reverse("supervisor-counts"))
    html = response.text
    statuses = [label for _, label in Case.Status.choices]
    district = _table(html, "by-district")
    assert district[0] == ["District", "Total", *statuses]
    assert district[1][:2] == ["梁溪区 320213", "4"]
    by_status = dict(zip(statuses, district[1][2:], strict=True))
    assert (by_status["Reported"], by_status["Dispatched"], by_status["Closed"]) == ("2", "1", "1")
    department = {row[0]: row[1] for row in _table(html, "by-department")[1:]}
    assert department == {"城管": "2", "Not dispatched": "2"}


def test_counts_stay_in_the_jurisdiction(login, town, outsider, supervisor) -> None:
    from access.models import RoleAssignment

    community_boss = UserFactory(username="boss_xq")
    RoleAssignment.objects.create(user=community_boss, role=RoleAssignment.Role.SUPERVISOR, area=town.community)
    services.case_report(actor=outsider, category=town.category, location=centre_of(2, 0), description="五爱")
    assert "No cases yet." in login(community_boss).get(reverse("supervisor-counts")).text
    assert "梁溪区 320213" in login(supervisor).get(reverse("supervisor-counts")).text
