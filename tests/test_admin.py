"""Admin pages load for an administrator, and cases cannot be edited or deleted there."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from cases import services
from tests.factories import UserFactory, centre_of


@pytest.fixture
def admin_client_en(db, verify_otp) -> Client:
    admin = UserFactory(username="root_admin", is_staff=True, is_superuser=True)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(admin)
    return verify_otp(client, admin)  # administrators sign in with a second factor


@pytest.mark.parametrize(
    "model",
    ["grids_area", "grids_gridcell", "grids_gridassignment", "cases_department", "cases_departmentunit",
     "cases_category", "access_roleassignment", "cases_case", "risk_riskscore", "auth_user",
     "cases_extensionrequest", "cases_supervision", "risk_patroltask"],
)
def test_admin_changelists_load(town, admin_client_en, model):
    assert admin_client_en.get(reverse(f"admin:{model}_changelist")).status_code == 200


def test_cell_change_page_has_map_widget(town, admin_client_en):
    response = admin_client_en.get(reverse("admin:grids_gridcell_change", args=[town.cells[0].pk]))
    assert response.status_code == 200
    assert b"leaflet" in response.content.lower()


def test_case_cannot_be_deleted_or_edited_in_admin(town, grid_worker, admin_client_en):
    case = services.case_report(actor=grid_worker, category=town.category, location=centre_of(0, 0), description="x")
    assert admin_client_en.get(reverse("admin:cases_case_delete", args=[case.pk])).status_code == 403
    admin_client_en.post(reverse("admin:cases_case_change", args=[case.pk]), {"status": "closed"})
    case.refresh_from_db()
    assert case.status == "reported"
