"""The supervisor's KPI dashboard, its exports and the overdue list with 督办, through the
Django test client over the hand-built March of tests/oversight/kpi_history.py.

The pages measure at the real "now" (long after March 2026), so case I (handling deadline
24 March, still open) is overdue too: in March 6 cases are due (A B C D H I), 3 closed
(A B H), 2 on time (A H).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from access.models import RoleAssignment
from audit.models import AuditEntry
from cases.models import Supervision
from oversight.dashboard_forms import presets
from tests.factories import UserFactory
from tests.oversight.kpi_history import march_fixture, other_officer_fixture  # noqa: F401 - fixtures

MARCH_Q = {"date_from": "2026-03-01", "date_to": "2026-03-31"}


def _cells(html: str, section_id: str) -> list[list[str]]:
    section = re.search(rf'<h2 id="{section_id}">.*?</section>', html, re.S)
    assert section, section_id
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", section.group(0), re.S)
    return [[re.sub(r"\s+", " ", re.sub(r"<.*?>", " ", c)).strip()
             for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r, re.S)] for r in rows]


def test_dashboard_shows_the_kpis_of_the_period(march, supervisor, login):
    response = login(supervisor).get("/supervisor/dashboard/", MARCH_Q)
    assert response.status_code == 200
    html = response.text
    assert "KPI dashboard · 梁溪区" in html
    # The area table: the one street, its counts and rates.
    header, street = _cells(html, "by-area")[:2]
    assert header[:4] == ["Area", "Reports filed", "Valid-report rate", "Self-resolved rate"]
    row = dict(zip(header, street, strict=True))
    assert row["Area"] == "崇安寺街道 320213001"
    assert (row["Reports filed"], row["Valid-report rate"], row["Self-resolved rate"]) == ("8", "85.7%", "12.5%")
    assert (row["Cases due"], row["Closure rate"], row["On-time closure rate"]) == ("6", "50.0%", "33.3% Poor")
    assert (row["Rework rate"], row["Return rate"], row["Extension rate"]) == ("25.0%", "16.7%", "16.7%")
    assert (row["Dispatches"], row["Mean satisfaction"], row["Overdue cases"]) == ("6", "4.0", "4")
    assert row["90th percentile handling time (h)"] == "96.5"
    units = {r[0]: r for r in _cells(html, "by-unit")[1:]}
    assert set(units) == {"梁溪区城管局 cg", "梁溪区环保局 hb"}
    # The drill-down link keeps the period; the grades are words as well as colours.
    assert 'href="/supervisor/dashboard/?date_from=2026-03-01&amp;date_to=2026-03-31&amp;area=320213001"' in html
    assert 'class="grade grade-poor"' in html
    # Charts are server-drawn SVG: bar widths in viewBox units, no style attributes.
    assert '<rect class="bar-fill" x="0" y="0" width="100.0" height="10"/>' in html
    assert "style=" not in html


def test_dashboard_in_chinese(march, supervisor, login):
    html = login(supervisor, "zh-hans").get("/supervisor/dashboard/", MARCH_Q).text
    assert "按期结案率" in html and "结案率" in html and "返工率" in html
    assert "33.3%" in html


def test_drill_down_to_communities_and_cells(march, supervisor, login):
    client = login(supervisor)
    street = client.get("/supervisor/dashboard/", {**MARCH_Q, "area": "320213001"}).text
    rows = _cells(street, "by-area")[1:]
    assert [r[0] for r in rows] == ["县前社区 320213001001", "五爱社区 320213001002"]
    assert [r[1] for r in rows] == ["7", "1"]
    # Breadcrumb: city (outside the jurisdiction: text only) › district (a link) › street.
    crumbs = re.search(r'<nav class="crumbs".*?</nav>', street, re.S).group(0)
    assert "<span>无锡市</span>" in crumbs and '?area=320213&amp;date_from=2026-03-01' in crumbs
    assert '<span aria-current="page">崇安寺街道</span>' in crumbs
    community = client.get("/supervisor/dashboard/", {**MARCH_Q, "area": "320213001001"}).text
    cells = _cells(community, "by-area")[1:]
    assert [r[0] for r in cells] == ["县前1 320213001001001", "县前2 320213001001002",
                                     "县前3 320213001001003", "县前4 320213001001004"]
    assert [r[1] for r in cells] == ["4", "3", "0", "0"]
    assert 'area=320213001001001"' not in community  # cells are the last level


def test_jurisdiction(march, town, login):
    other = UserFactory(username="sup_other")
    RoleAssignment.objects.create(user=other, role=RoleAssignment.Role.SUPERVISOR, area=town.other_community)
    client = login(other)
    html = client.get("/supervisor/dashboard/", MARCH_Q).text
    assert "KPI dashboard · 五爱社区" in html
    assert client.get("/supervisor/dashboard/", {**MARCH_Q, "area": "320213001001"}).status_code == 404
    assert client.get("/supervisor/dashboard/", {**MARCH_Q, "area": "320213"}).status_code == 404
    assert client.get("/supervisor/dashboard/", {"area": "abc"}).status_code == 404
    assert client.get("/supervisor/dashboard/export/", {**MARCH_Q, "area": "320213", "table": "areas"}).status_code == 404
    overdue = client.get("/supervisor/overdue/").text
    assert march["D"].number in overdue and march["C"].number not in overdue
    assert client.post(f"/supervisor/overdue/{march['C'].pk}/urge/", {"note": "n"}).status_code == 404


def test_roles_without_supervision_are_refused(march, grid_worker, dept_officer, login):
    for user in (grid_worker, dept_officer):
        client = login(user)
        assert client.get("/supervisor/dashboard/").status_code == 403
        assert client.get("/supervisor/overdue/").status_code == 403
    assert Client().get("/supervisor/dashboard/").status_code == 302


@pytest.mark.parametrize("query, message", [
    ({"date_from": "2026-13-01", "date_to": "2026-03-31"}, "Enter a valid date."),
    ({"date_from": "2026-03-31", "date_to": "2026-03-01"}, "The end of the period is before its start."),
    ({"date_from": "9999-12-31", "date_to": "9999-12-31"}, "Choose a date between 2000 and 2100."),
    ({"date_from": "", "date_to": "2026-03-01"}, "This field is required."),
])
def test_bad_dates_are_a_form_error_in_place(supervisor, login, town, query, message):
    response = login(supervisor).get("/supervisor/dashboard/", query)
    assert response.status_code == 400
    assert message in response.text
    assert 'value="2026-' in response.text or query["date_from"] == "9999-12-31"  # what was typed stays
    assert 'id="by-area"' not in response.text


def test_csv_export_with_its_audit_entry(march, supervisor, login):
    response = login(supervisor).get("/supervisor/dashboard/export/",
                                         {**MARCH_Q, "area": "320213001", "table": "areas", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="kpi-areas-320213001-20260301-20260331.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header = rows[0]
    assert header[:4] == ["Code", "Area", "Reports filed", "Valid-report rate (%)"]
    first = dict(zip(header, rows[1], strict=True))
    assert (first["Code"], first["Area"], first["Reports filed"]) == ("320213001001", "县前社区", "7")
    assert (first["Valid-report rate (%)"], first["Cases due"], first["Closed on time"]) == ("83.3", "5", "2")
    assert (first["Overdue cases"], first["Rework rate (%)"]) == ("3", "25.0")
    second = dict(zip(header, rows[2], strict=True))
    assert (second["Code"], second["Return rate (%)"], second["Mean handling time (h)"]) == ("320213001002", "50.0", "")
    entry = AuditEntry.objects.get(kind=AuditEntry.Kind.EXPORT)
    assert (entry.actor_id, entry.actor_username) == (supervisor.pk, supervisor.username)
    assert entry.detail == {"what": "kpis:areas", "format": "csv", "rows": 2, "area": "320213001",
                            "filters": {"date_from": "2026-03-01", "date_to": "2026-03-31"}}


def test_xlsx_export_of_units_and_formula_escaping(march, town, supervisor, login):
    town.unit.name = "=HYPERLINK(\"http://x\")"
    town.unit.save()
    response = login(supervisor).get("/supervisor/dashboard/export/",
                                         {**MARCH_Q, "table": "units", "format": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0][:3] == ["Department", "Unit", "Dispatches"]
    units = {r[1]: dict(zip(values[0], r, strict=True)) for r in values[1:]}
    assert set(units) == {"'=HYPERLINK(\"http://x\")", "梁溪区环保局"}
    cg = units["'=HYPERLINK(\"http://x\")"]
    assert (cg["Dispatches"], cg["Cases due"], cg["Closed cases"], cg["Return rate (%)"]) == (5, 5, 3, 20.0)
    assert AuditEntry.objects.get(kind=AuditEntry.Kind.EXPORT).detail["what"] == "kpis:units"


@pytest.mark.parametrize("query", [
    {**MARCH_Q, "table": "cases", "format": "csv"},
    {**MARCH_Q, "table": "areas", "format": "pdf"},
    {"date_from": "2026-03-31", "date_to": "2026-03-01", "table": "areas", "format": "csv"},
    {"table": "areas", "format": "csv"},
])
def test_bad_export_parameters_are_400(supervisor, login, town, query):
    response = login(supervisor).get("/supervisor/dashboard/export/", query)
    assert response.status_code == 400
    assert not AuditEntry.objects.filter(kind=AuditEntry.Kind.EXPORT).exists()


def test_overdue_list_and_urge(march, supervisor, login):
    client = login(supervisor)
    html = client.get("/supervisor/overdue/").text
    numbers = re.findall(r'<th scope="row"><a href="/cases/\d+/">(\d+)</a></th>', html)
    # Most overdue first: D (sign-for, 10 March), C (handling, 16 March), I (handling, 24 March).
    assert numbers == [march[k].number for k in ("D", "C", "I")]
    assert html.count('class="urge-form"') == 3
    c = march["C"]
    response = client.post(f"/supervisor/overdue/{c.pk}/urge/", {"note": "请本周内办结", "area": "320213"})
    assert response.status_code == 302 and response["Location"] == "/supervisor/overdue/?area=320213"
    assert Supervision.objects.filter(case=c, kind=Supervision.Kind.URGED).count() == 1
    assert c.events.latest("id").note == "请本周内办结"
    html = client.get(response["Location"]).text
    row = re.search(rf'<tr id="case-{c.pk}">.*?</tr>', html, re.S).group(0)
    assert "Urged" in row and "urge-form" not in row
    assert html.count('class="urge-form"') == 2
    # Again for the same deadline: 409, shown in place; nothing written twice.
    again = client.post(f"/supervisor/overdue/{c.pk}/urge/", {"note": "again", "area": "320213"})
    assert again.status_code == 409
    assert "already been urged" in again.text
    assert Supervision.objects.filter(case=c, kind=Supervision.Kind.URGED).count() == 1


def test_urge_with_a_bad_note_keeps_what_was_typed(march, supervisor, login):
    d = march["D"]
    client = login(supervisor)
    empty = client.post(f"/supervisor/overdue/{d.pk}/urge/", {"note": "  ", "area": "320213"})
    assert empty.status_code == 400 and "This field is required." in empty.text
    long_note = "快" * 501
    too_long = client.post(f"/supervisor/overdue/{d.pk}/urge/", {"note": long_note, "area": "320213"})
    assert too_long.status_code == 400 and long_note in too_long.text
    assert not Supervision.objects.filter(case=d, kind=Supervision.Kind.URGED).exists()


def test_presets_and_the_default_period(supervisor, login, town):
    assert [(a, b) for _label, a, b in presets(dt.date(2026, 1, 15))] == [
        (dt.date(2026, 1, 1), dt.date(2026, 1, 31)),
        (dt.date(2025, 12, 1), dt.date(2025, 12, 31)),
        (dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
    ]
    assert presets(dt.date(2024, 2, 29))[0][1:] == (dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    response = login(supervisor).get("/supervisor/dashboard/")
    assert response.status_code == 200
    today = timezone.localdate()
    assert f'value="{today:%Y-%m}-01"' in response.text
    assert f'?date_from={today.year}-01-01&amp;date_to={today.year}-12-31&amp;area=320213"' in response.text


def test_pages_cost_a_fixed_number_of_queries(march, supervisor, login, django_assert_max_num_queries):
    """The KPIs are grouped SQL: more cases, units or areas do not mean more queries.
    (One of them is the header's unread-notifications badge, on every page.)"""
    client = login(supervisor)
    with django_assert_max_num_queries(20):
        assert client.get("/supervisor/dashboard/", {**MARCH_Q, "area": "320213001"}).status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get("/supervisor/overdue/").status_code == 200


def test_a_supervisor_of_two_areas_switches_between_them(march, town, login):
    both = UserFactory(username="sup_two")
    for area in (town.other_community, town.community):
        RoleAssignment.objects.create(user=both, role=RoleAssignment.Role.SUPERVISOR, area=area)
    client = login(both)
    html = client.get("/supervisor/dashboard/", MARCH_Q).text
    assert "KPI dashboard · 县前社区" in html  # the first by code
    assert '<a href="/supervisor/dashboard/?area=320213001002&amp;date_from=2026-03-01' in html
    assert client.get("/supervisor/dashboard/", {**MARCH_Q, "area": "320213001002"}).status_code == 200
    assert client.get("/supervisor/dashboard/", {**MARCH_Q, "area": "320213001"}).status_code == 404
    overdue = client.get("/supervisor/overdue/", {"area": "320213001002"}).text
    assert march["D"].number in overdue and march["C"].number not in overdue
