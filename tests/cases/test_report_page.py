"""The grid worker's report form: happy path, resubmits, and every refusal in place."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.test import override_settings
from django.urls import reverse

from cases.models import Attachment, Case, CaseEvent
from geo.coords import from_wgs84
from tests.cases.photos import fake_jpeg, jpeg
from tests.factories import UserFactory, centre_of

pytestmark = pytest.mark.usefixtures("media_in_tmp")

URL = reverse("case-report")


def form_data(town, **overrides: Any) -> dict[str, Any]:
    point = centre_of(0, 0)
    data: dict[str, Any] = {
        "category": town.category.pk,
        "description": "人行道上有摊位",
        "address": "中山路 1 号",
        "lon": f"{point.x:.7f}",
        "lat": f"{point.y:.7f}",
        "coord_system": "wgs84",
        "client_key": str(uuid.uuid4()),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_form_groups_leaf_categories_under_parents(login, town, grid_worker) -> None:
    response = login(grid_worker).get(URL)
    assert response.status_code == 200
    html = response.text
    assert '<optgroup label="市容环境">' in html
    assert f'<option value="{town.category.pk}">占道经营</option>' in html
    # Every control has a label.
    for name in ("category", "description", "address", "lon", "lat", "coord_system", "photo"):
        assert f'for="id_{name}"' in html, name
    assert 'accept="image/*"' in html and "capture=" in html
    assert 'data-cells-url="/api/geo/cells/"' in html


def test_report_files_case_and_redirects_to_it(login, town, grid_worker) -> None:
    data = form_data(town, photo=jpeg())
    response = login(grid_worker).post(URL, data)
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("case-detail", args=[case.pk])
    assert case.grid_cell == town.cells[0]
    assert case.reporter == grid_worker
    assert case.address == "中山路 1 号"
    assert case.client_key == data["client_key"]
    assert case.attachments.count() == 1
    assert case.events.get().action == CaseEvent.Action.REPORT


def test_resubmit_with_same_client_key_files_one_case(login, town, grid_worker) -> None:
    client = login(grid_worker)
    data = form_data(town)
    first = client.post(URL, data)
    second = client.post(URL, data)
    assert Case.objects.count() == 1
    assert first["Location"] == second["Location"]


def test_gcj02_coordinates_are_converted(login, town, grid_worker) -> None:
    point = centre_of(1, 0)
    x, y = from_wgs84(point.x, point.y, "gcj02")
    login(grid_worker).post(URL, form_data(town, lon=f"{float(x):.7f}", lat=f"{float(y):.7f}", coord_system="gcj02"))
    case = Case.objects.get()
    assert case.grid_cell == town.cells[1]
    assert case.location.distance(point) < 1e-6


def _assert_nothing_saved() -> None:
    assert Case.objects.count() == 0
    assert CaseEvent.objects.count() == 0
    assert Attachment.objects.count() == 0


def test_missing_description_is_400_and_keeps_what_was_typed(login, town, grid_worker) -> None:
    data = form_data(town, description="")
    response = login(grid_worker).post(URL, data)
    assert response.status_code == 400
    html = response.text
    assert 'class="field has-error"' in html
    assert "This field is required." in html
    # Nothing typed is lost: the address, the place and the client key come back.
    assert 'value="中山路 1 号"' in html
    assert f'value="{data["lon"]}"' in html and f'value="{data["lat"]}"' in html
    assert f'value="{data["client_key"]}"' in html
    assert f'<option value="{town.category.pk}" selected>' in html
    _assert_nothing_saved()


def test_missing_location_is_400(login, town, grid_worker) -> None:
    response = login(grid_worker).post(URL, form_data(town, lon="", lat=""))
    assert response.status_code == 400
    assert "Set the place: tap the map or use my location." in response.text
    _assert_nothing_saved()


def test_point_outside_city_is_400_with_location_error(login, town, grid_worker) -> None:
    data = form_data(town, lon="121.5", lat="31.2", description="外地的问题")
    response = login(grid_worker).post(URL, data)
    assert response.status_code == 400
    assert "is not inside any grid cell of the city" in response.text
    assert "外地的问题" in response.text
    _assert_nothing_saved()


def test_swapped_coordinates_say_so(login, town, grid_worker) -> None:
    point = centre_of(0, 0)
    response = login(grid_worker).post(URL, form_data(town, lon=f"{point.y:.7f}", lat=f"{point.x:.7f}"))
    assert response.status_code == 400
    assert "swapped" in response.text
    _assert_nothing_saved()


def test_nonsense_coordinates_are_field_errors(login, town, grid_worker) -> None:
    response = login(grid_worker).post(URL, form_data(town, lat="131.5"))
    assert response.status_code == 400
    assert "is not inside any grid cell of the city" in response.text
    response = login(grid_worker).post(URL, form_data(town, lon="east"))
    assert response.status_code == 400
    assert "Enter a number." in response.text
    _assert_nothing_saved()


def test_fake_image_is_400_on_the_photo_field(login, town, grid_worker) -> None:
    response = login(grid_worker).post(URL, form_data(town, photo=fake_jpeg()))
    assert response.status_code == 400
    assert "notes.jpg is not an image." in response.text
    _assert_nothing_saved()


@override_settings(MAX_UPLOAD_BYTES=200)
def test_oversize_photo_is_413_with_form_error(login, town, grid_worker) -> None:
    response = login(grid_worker).post(URL, form_data(town, photo=jpeg(size=(400, 300))))
    assert response.status_code == 413
    assert "the limit is 200" in response.text
    assert "人行道上有摊位" in response.text
    _assert_nothing_saved()


def test_unknown_category_is_400(login, town, grid_worker) -> None:
    response = login(grid_worker).post(URL, form_data(town, category=town.category.parent_id))
    assert response.status_code == 400
    _assert_nothing_saved()


def test_client_key_of_another_reporter_is_409(login, town, grid_worker, outsider) -> None:
    data = form_data(town)
    login(grid_worker).post(URL, data)
    response = login(outsider).post(URL, data)
    assert response.status_code == 409
    assert "already used" in response.text
    assert Case.objects.count() == 1


@pytest.mark.parametrize("persona", ["dept_officer", "supervisor"])
def test_supervisors_and_department_staff_do_not_report(request, login, town, persona: str) -> None:
    client = login(request.getfixturevalue(persona))
    assert client.get(URL).status_code == 403
    assert client.post(URL, form_data(town)).status_code == 403
    _assert_nothing_saved()


def test_a_centre_files_what_citizens_phone_in_within_its_jurisdiction(login, town, centre_operator) -> None:
    """The form opens for the people it accepts (cases.permissions.filing_role)."""
    client = login(centre_operator)
    assert client.get(URL).status_code == 200
    elsewhere = centre_of(0, 0, origin=(120.32, 31.57))  # the other community: not this centre's
    refused = client.post(URL, form_data(town, lon=f"{elsewhere.x:.7f}", lat=f"{elsewhere.y:.7f}"))
    assert refused.status_code == 400 and "outside your centre&#x27;s jurisdiction" in refused.text
    _assert_nothing_saved()
    assert client.post(URL, form_data(town)).status_code == 302
    event = Case.objects.get().events.get()
    assert (event.actor, event.role) == (centre_operator, "centre_operator")


def test_a_person_with_no_role_reports_as_a_citizen_anywhere(login, town) -> None:
    citizen = UserFactory(username="citizen")
    client = login(citizen)
    assert client.get(URL).status_code == 200
    elsewhere = centre_of(0, 0, origin=(120.32, 31.57))
    assert client.post(URL, form_data(town, lon=f"{elsewhere.x:.7f}", lat=f"{elsewhere.y:.7f}")).status_code == 302
    case = Case.objects.get()
    assert (case.source, case.events.get().role) == (Case.Source.CITIZEN, "citizen")


def test_my_reports_lists_only_my_cases(login, town, grid_worker, outsider, file_case) -> None:
    mine = file_case(description="我的")
    from cases import services

    other = services.case_report(actor=outsider, category=town.category, location=centre_of(2, 0), description="别人的")
    html = login(grid_worker).get(reverse("my-reports")).text
    assert mine.number in html
    assert other.number not in html


def test_my_reports_is_a_bounded_number_of_queries(login, file_case, grid_worker, django_assert_max_num_queries) -> None:
    for _ in range(12):
        file_case()
    client = login(grid_worker)
    # 6 for the page and its rows, whatever their number, + 1 for the header's unread badge.
    with django_assert_max_num_queries(7):
        response = client.get(reverse("my-reports"))
    assert response.text.count('class="case-card"') == 12
