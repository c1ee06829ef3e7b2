"""The grid worker's case screens through the web: the report's 9-photo limit, recent
categories, points outside the worker's cells, JSON answers and replays (offline drafts),
My reports tabs, and verifying a handled case on site with photos. Today and its tasks
(risk's views) are in tests/risk/test_today_page.py."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.models import Attachment, Case, CaseEvent
from tests.builders import advance
from tests.cases.photos import jpeg
from tests.cases.test_report_page import URL, form_data
from tests.factories import CategoryFactory, centre_of

pytestmark = pytest.mark.usefixtures("media_in_tmp")

def test_nine_photos_are_filed(login, town, grid_worker) -> None:
    photos = [jpeg(f"p{i}.jpg") for i in range(9)]
    response = login(grid_worker).post(URL, form_data(town, photo=photos))
    assert response.status_code == 302
    assert Case.objects.get().attachments.count() == 9


def test_a_tenth_photo_is_refused_and_nothing_is_filed(login, town, grid_worker) -> None:
    photos = [jpeg(f"p{i}.jpg") for i in range(10)]
    response = login(grid_worker).post(URL, form_data(town, photo=photos, description="十张照片"))
    assert response.status_code == 400
    assert "At most 9 photos; you chose 10" in response.text
    assert "十张照片" in response.text  # nothing typed is lost
    assert not Case.objects.exists() and not Attachment.objects.exists()


def test_the_service_refuses_a_tenth_photo_too(town, grid_worker) -> None:
    from access.errors import InvalidInput

    with pytest.raises(InvalidInput):
        services.case_report(actor=grid_worker, category=town.category, location=centre_of(0, 0),
                             description="x", photos=[jpeg(f"p{i}.jpg") for i in range(10)])
    assert not Case.objects.exists()


def test_each_photo_is_still_checked(login, town, grid_worker) -> None:
    from tests.cases.photos import fake_jpeg

    response = login(grid_worker).post(URL, form_data(town, photo=[jpeg(), fake_jpeg()]))
    assert response.status_code == 400
    assert not Case.objects.exists()


def test_oversize_photo_among_several_is_413(login, town, grid_worker, settings) -> None:
    settings.MAX_UPLOAD_BYTES = 2000
    response = login(grid_worker).post(URL, form_data(town, photo=[jpeg(), jpeg("big.jpg", size=(400, 300))]))
    assert response.status_code == 413
    assert not Case.objects.exists()


def test_recent_categories_are_my_latest_first(login, town, grid_worker, outsider) -> None:
    third = CategoryFactory(code="0303", name="乱贴广告", parent=town.category.parent, default_department=town.department)
    unused = CategoryFactory(code="0304", name="没人用过", parent=town.category.parent,
                             default_department=town.department)
    base = timezone.now() - dt.timedelta(days=3)
    for i, category in enumerate([town.category, town.spot_category, town.category, third]):
        services.case_report(actor=grid_worker, category=category, location=centre_of(0, 0), description="x",
                             at=base + dt.timedelta(hours=i))
    services.case_report(actor=outsider, category=unused, location=centre_of(2, 0), description="y")
    html = login(grid_worker).get(URL).text
    chips = [html.index(f'data-category="{c.pk}"') for c in (third, town.category, town.spot_category)]
    assert chips == sorted(chips)  # newest first, each once
    assert html.count(f'data-category="{town.category.pk}"') == 1
    assert f'data-category="{unused.pk}"' not in html  # another worker's choice


def test_no_recent_choices_before_the_first_report(login, town, grid_worker) -> None:
    assert "data-category=" not in login(grid_worker).get(URL).text


def test_point_in_another_workers_cell_is_a_location_error(login, town, grid_worker) -> None:
    point = centre_of(2, 0)  # town.cells[4]: not the worker's
    response = login(grid_worker).post(URL, form_data(town, lon=f"{point.x:.7f}", lat=f"{point.y:.7f}"))
    assert response.status_code == 400
    assert "not one of your cells" in response.text and town.cells[4].code in response.text
    assert not Case.objects.exists()


def test_json_answer_and_replay_file_one_case(login, town, grid_worker) -> None:
    client = login(grid_worker)
    data = form_data(town, photo=[jpeg(), jpeg("b.jpg")])
    first = client.post(URL, data, HTTP_ACCEPT="application/json", HTTP_X_WANGGE_DRAFT="1")
    assert first.status_code == 201
    case = Case.objects.get()
    assert first.json() == {"id": case.pk, "number": case.number, "url": reverse("case-detail", args=[case.pk]),
                            "replayed": False}
    again = client.post(URL, form_data(town, client_key=data["client_key"], photo=[jpeg()]),
                        HTTP_ACCEPT="application/json")
    assert again.status_code == 200 and again.json()["replayed"] is True and again.json()["id"] == case.pk
    assert Case.objects.count() == 1 and case.attachments.count() == 2


def test_json_refusal_names_the_field(login, town, grid_worker) -> None:
    response = login(grid_worker).post(URL, form_data(town, description=""), HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert "description" in response.json()["errors"]
    assert not Case.objects.exists()


def test_my_reports_tabs_and_counts(login, town, grid_worker, centre_operator, dept_officer, file_case) -> None:
    open_case = file_case(description="还在办")
    closed = advance(file_case(), Case.Status.CLOSED, town=town, centre_operator=centre_operator,
                     dept_officer=dept_officer)
    client = login(grid_worker)
    html = client.get(reverse("my-reports")).text
    assert open_case.number in html and closed.number not in html
    assert 'aria-current="page">Open <span class="count">1</span>' in html
    closed_html = client.get(reverse("my-reports"), {"show": "closed"}).text
    assert closed.number in closed_html and open_case.number not in closed_html


def test_grid_worker_verifies_on_site_with_photos(login, case_at, grid_worker, centre_operator, dept_officer) -> None:
    case = case_at(Case.Status.HANDLED, reporter=centre_operator, description="井盖缺失", client_key=str(uuid.uuid4()))
    client = login(grid_worker)
    page = client.get(reverse("case-detail", args=[case.pk])).text
    assert 'enctype="multipart/form-data"' in page and "Photos from the site" in page
    response = client.post(reverse("case-action", args=[case.pk, "verify_pass"]),
                           {"note": "现场已修复", "photo": [jpeg("a.jpg"), jpeg("b.jpg")]})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED
    event = case.events.get(action=CaseEvent.Action.VERIFY_PASS)
    assert event.role == "grid_worker" and event.actor == grid_worker
    assert event.attachments.count() == 2


def test_verify_fail_needs_a_note_and_keeps_the_photo_on_the_event(
    login, case_at, grid_worker, centre_operator, dept_officer
) -> None:
    case = case_at(Case.Status.HANDLED, reporter=centre_operator, description="井盖缺失", client_key=str(uuid.uuid4()))
    client = login(grid_worker)
    url = reverse("case-action", args=[case.pk, "verify_fail"])
    assert client.post(url, {"note": "", "photo": [jpeg()]}).status_code == 400
    assert client.post(url, {"note": "井盖仍缺", "photo": [jpeg()]}).status_code == 302
    case.refresh_from_db()
    assert case.status == Case.Status.IN_PROGRESS and case.rework_count == 1
    assert case.events.get(action=CaseEvent.Action.VERIFY_FAIL).attachments.count() == 1


def test_worker_of_another_cell_cannot_verify(login, case_at, grid_worker, outsider, centre_operator,
                                              dept_officer) -> None:
    case = case_at(Case.Status.HANDLED, reporter=centre_operator, description="井盖缺失", client_key=str(uuid.uuid4()))
    response = login(outsider).post(reverse("case-action", args=[case.pk, "verify_pass"]), {"note": ""})
    assert response.status_code == 404
    case.refresh_from_db()
    assert case.status == Case.Status.HANDLED
