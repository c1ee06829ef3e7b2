"""CSV/XLSX exports: only what the person may see, contact masked, formulas defused, audited."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from audit.models import AuditEntry
from cases.models import Case
from tests.factories import centre_of

PHONE, ID_NUMBER = "13812345678", "320202199001011238"


@pytest.fixture
def cases(case_at, outsider):
    mine = case_at(Case.Status.REPORTED, description="=HYPERLINK(\"http://evil\")", reporter_name="张伟",
                   reporter_phone=PHONE, reporter_id_number=ID_NUMBER)
    elsewhere = case_at(Case.Status.REPORTED, reporter=outsider, location=centre_of(2, 0), description="五爱社区")
    return mine, elsewhere


def _client(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_csv_export_holds_only_visible_cases_with_contact_masked(cases, centre_operator):
    mine, elsewhere = cases
    response = _client(centre_operator).get("/cases/export/", {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    text = response.content.decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0][0] == "Number" and len(table) == 2
    row = dict(zip(table[0], table[1], strict=True))
    assert row["Number"] == mine.number and elsewhere.number not in text
    assert (row["Reporter's name"], row["Reporter's phone"], row["Reporter's ID number"]) == (
        "张*", "138****5678", "3202**********1238")
    assert PHONE not in text and ID_NUMBER not in text and "张伟" not in text
    assert row["Description"].startswith("'=")  # a spreadsheet shows it as text, never runs it


def test_xlsx_export_is_masked_too_and_audited(cases, centre_operator):
    mine, _ = cases
    response = _client(centre_operator).get("/cases/export/", {"format": "xlsx", "status": "reported"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[c.value for c in r] for r in sheet.iter_rows()]
    assert values[1][0] == mine.number and values[1][-2] == "138****5678"
    assert PHONE not in str(values) and ID_NUMBER not in str(values)
    entry = AuditEntry.objects.get(kind="export")
    assert entry.actor_id == centre_operator.pk
    assert entry.detail == {"what": "cases", "format": "xlsx", "rows": 1, "filters": {"status": "reported"}}


@pytest.mark.parametrize(("params", "field"), [
    ({"format": "pdf"}, "format"), ({"format": "csv", "status": "lost"}, "status"),
    ({"format": "csv", "reported_from": "24/11/2026"}, "reported_from"),
])
def test_bad_export_parameters_are_400(cases, centre_operator, params, field):
    response = _client(centre_operator).get("/cases/export/", params)
    assert response.status_code == 400
    assert field in response.content.decode()
    assert not AuditEntry.objects.filter(kind="export").exists()


def test_too_many_rows_is_400_asking_to_narrow(cases, centre_operator, settings):
    settings.EXPORT_MAX_ROWS = 0
    response = _client(centre_operator).get("/cases/export/", {"format": "csv"})
    assert response.status_code == 400
    assert "Narrow" in response.content.decode()


def test_a_date_range_narrows_the_export(cases, centre_operator):
    response = _client(centre_operator).get("/cases/export/", {"format": "csv", "reported_to": "2000-01-01"})
    assert len(list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))) == 1  # the header only


def test_anonymous_is_sent_to_sign_in(cases):
    assert Client().get("/cases/export/", {"format": "csv"}).status_code == 302
