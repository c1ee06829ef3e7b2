"""Reporters' personal data: checked on the way in, encrypted at rest, masked on the way out."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from access.errors import InvalidInput
from cases import services
from cases.models import Case
from cases.personal_data import mask_id_number, mask_name, mask_phone, normalize_id_number, normalize_phone
from governance.logging import mask_text
from tests.factories import centre_of

ROOT = Path(__file__).resolve().parents[2]
ID_NUMBER = "320202199001011238"  # a valid check digit (GB 11643)
PHONE = "13812345678"


@pytest.mark.parametrize(("raw", "clean"), [
    ("138 1234 5678", PHONE), ("+86 138-1234-5678", PHONE), ("0510-82701234", "051082701234"), ("", ""),
])
def test_phone_numbers_are_normalised(raw, clean):
    assert normalize_phone(raw) == clean


@pytest.mark.parametrize("raw", ["12345", "23812345678", "1381234567a", "138123456789"])
def test_a_malformed_phone_is_refused(raw):
    with pytest.raises(InvalidInput) as refused:
        normalize_phone(raw)
    assert refused.value.extra["field"] == "reporter_phone"
    assert raw not in refused.value.message  # the error never echoes the value


def test_id_numbers_are_checked_against_their_check_digit():
    assert normalize_id_number("11010519491231002x") == "11010519491231002X"
    assert normalize_id_number(ID_NUMBER) == ID_NUMBER
    for wrong in ("320202199001011234", "32020219900101123", "3202021990010112AB"):
        with pytest.raises(InvalidInput):
            normalize_id_number(wrong)


def test_masks():
    assert mask_phone(PHONE) == "138****5678"
    assert mask_phone("051082701234") == "0510****1234"
    assert mask_id_number(ID_NUMBER) == "3202**********1238"
    assert mask_name("张伟") == "张*"
    assert mask_name("欧阳娜娜") == "欧***"
    assert mask_phone("") == mask_id_number("") == mask_name("") == ""


def test_free_text_is_masked_but_other_numbers_are_left():
    line = f"called {PHONE} about {ID_NUMBER}; case 320213001001001-0042, order 20261124123456789"
    assert mask_text(line) == (
        "called 138****5678 about 3202**********1238; case 320213001001001-0042, order 20261124123456789"
    )


def test_contact_is_stored_encrypted(town, grid_worker):
    case = services.case_report(actor=grid_worker, category=town.category, location=centre_of(0, 0),
                                description="x", reporter_name="张伟", reporter_phone="138 1234 5678",
                                reporter_id_number=ID_NUMBER)
    with connection.cursor() as cursor:
        cursor.execute("SELECT reporter_name, reporter_phone, reporter_id_number FROM cases_case WHERE id = %s",
                       [case.pk])
        stored = cursor.fetchone()
    assert all(value and value.startswith("gAAAAA") for value in stored)  # Fernet tokens
    assert not any(PHONE in v or "5678" in v or ID_NUMBER in v or "张" in v for v in stored)
    case.refresh_from_db()
    assert (case.reporter_name, case.reporter_phone, case.reporter_id_number) == ("张伟", PHONE, ID_NUMBER)


def test_log_lines_are_masked_by_the_configured_formatter():
    """The real LOGGING setting, in a fresh process: what an operator's log file would hold."""
    code = (
        "import django, logging; django.setup(); "
        f"logging.getLogger('cases').warning('reporter %s, id %s', '{PHONE}', '{ID_NUMBER}'); "
        f"logging.getLogger('cases').error('failed', exc_info=ValueError('bad phone {PHONE}'))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                            env={**__import__("os").environ, "DJANGO_SETTINGS_MODULE": "governance.settings"})
    assert "138****5678" in result.stderr and "3202**********1238" in result.stderr
    assert PHONE not in result.stderr and ID_NUMBER not in result.stderr


@pytest.fixture
def reported(case_at):
    return case_at(Case.Status.REPORTED, description="x", reporter_name="张伟", reporter_phone=PHONE,
                   reporter_id_number=ID_NUMBER)


def _client(user, verify_otp=None):
    from django.test import Client

    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    if verify_otp is not None:
        verify_otp(client, user)
    return client


def test_the_case_page_shows_the_contact_masked_to_everyone(reported, centre_operator, supervisor, verify_otp):
    for client in (_client(centre_operator), _client(supervisor, verify_otp)):
        body = client.get(f"/cases/{reported.pk}/").content.decode()
        assert "张* 138****5678 3202**********1238" in body
        assert PHONE not in body and ID_NUMBER not in body and "张伟" not in body


def test_the_centre_reveals_the_contact_and_the_reveal_is_audited(reported, centre_operator):
    from audit.models import AuditEntry

    body = _client(centre_operator).get(f"/cases/{reported.pk}/").content.decode()
    assert f'action="/cases/{reported.pk}/contact/"' in body
    response = _client(centre_operator).post(f"/cases/{reported.pk}/contact/")
    assert response.status_code == 200
    assert f"张伟 {PHONE} {ID_NUMBER}" in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    entry = AuditEntry.objects.filter(kind="unmasked_view").get()
    assert entry.actor_id == centre_operator.pk
    assert entry.detail == {"case_number": reported.number, "fields": ["name", "phone", "id_number"]}
    assert PHONE not in str(entry.__dict__) and ID_NUMBER not in str(entry.__dict__)


def test_a_supervisor_may_not_reveal(reported, supervisor, verify_otp):
    from audit.models import AuditEntry

    client = _client(supervisor, verify_otp)
    assert f"/cases/{reported.pk}/contact/" not in client.get(f"/cases/{reported.pk}/").content.decode()
    response = client.post(f"/cases/{reported.pk}/contact/")
    assert response.status_code == 403
    assert PHONE not in response.content.decode()
    assert not AuditEntry.objects.filter(kind="unmasked_view").exists()


def test_the_report_form_takes_the_contact_and_refuses_a_bad_id_in_place(town, grid_worker):
    from tests.cases.photos import jpeg  # noqa: F401 - the form works without a photo too

    client = _client(grid_worker)
    form = {"category": town.category.pk, "description": "堆物", "lon": centre_of(0, 0).x, "lat": centre_of(0, 0).y,
            "coord_system": "wgs84", "reporter_name": "张伟", "reporter_phone": PHONE,
            "reporter_id_number": "320202199001011234"}
    refused = client.post("/cases/report/", form)
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "check digit is wrong" in body and 'value="张伟"' in body  # nothing typed is lost
    form["reporter_id_number"] = ID_NUMBER
    assert client.post("/cases/report/", form).status_code == 302
    from cases.models import Case

    case = Case.objects.get(description="堆物")
    assert (case.reporter_name, case.reporter_phone, case.reporter_id_number) == ("张伟", PHONE, ID_NUMBER)


def test_the_api_takes_the_contact_shows_it_masked_and_reveals_it_audited(town, grid_worker, centre_operator,
                                                                         supervisor, verify_otp):
    from audit.models import AuditEntry

    point = centre_of(0, 0)
    filed = _client(grid_worker).post("/api/cases/", {
        "category": town.category.code, "description": "x", "lon": point.x, "lat": point.y,
        "reporter_name": "张伟", "reporter_phone": "138-1234-5678", "reporter_id_number": ID_NUMBER,
    }, content_type="application/json")
    assert filed.status_code == 201
    case_id = filed.json()["id"]
    assert filed.json()["reporter_contact"] == {"name": "张*", "phone": "138****5678", "id_number": "3202**********1238"}
    listed = _client(centre_operator).get("/api/cases/").content.decode()
    detail = _client(centre_operator).get(f"/api/cases/{case_id}/").content.decode()
    for body in (filed.content.decode(), listed, detail):
        assert PHONE not in body and ID_NUMBER not in body and "张伟" not in body
    revealed = _client(centre_operator).get(f"/api/cases/{case_id}/contact/")
    assert revealed.status_code == 200
    assert revealed.json() == {"name": "张伟", "phone": PHONE, "id_number": ID_NUMBER}
    assert "no-store" in revealed["Cache-Control"]
    assert AuditEntry.objects.filter(kind="unmasked_view", actor_id=centre_operator.pk).count() == 1
    refused = _client(supervisor, verify_otp).get(f"/api/cases/{case_id}/contact/")
    assert refused.status_code == 403 and PHONE not in refused.content.decode()
    assert AuditEntry.objects.filter(kind="unmasked_view").count() == 1


def test_the_api_refuses_a_bad_phone_with_a_400_naming_the_field(town, grid_worker):
    point = centre_of(0, 0)
    response = _client(grid_worker).post("/api/cases/", {
        "category": town.category.code, "description": "x", "lon": point.x, "lat": point.y,
        "reporter_phone": "12345",
    }, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["field"] == "reporter_phone"
    from cases.models import Case

    assert not Case.objects.exists()


# --- phone and ID numbers typed into free text (issue 12) -------------------------------------

LANDLINE = "051082701234"
TYPED = f"摊主电话{PHONE}，座机0510-82701234，身份证{ID_NUMBER}，网格320213001001001"
MASKED = "摊主电话138****5678，座机0510****1234，身份证3202**********1238，网格320213001001001"


def test_a_landline_mask_hides_as_much_as_a_mobile_s():
    """Issue 12: 0101**4567 hid 2 of 10 digits. At most the area code and the last four stay,
    and at least four digits are hidden."""
    assert mask_phone("0101234567") == "010****567"
    assert mask_phone("01012345678") == "010****5678"
    assert mask_phone("02087654321") == "020****4321"
    assert mask_phone(LANDLINE) == "0510****1234"
    assert mask_phone("05108270123") == "0510****123"
    for number in ("0101234567", "01012345678", LANDLINE, "05108270123"):
        assert mask_phone(number).count("*") >= 4


@pytest.mark.parametrize(("typed", "masked"), [
    (TYPED, MASKED),
    ("call +86 138-1234-5678 or 138 1234 5678", "call 138****5678 or 138****5678"),
    ("(0510)82701234 / 010-12345678", "0510****1234 / 010****5678"),
    ("ID 320202 19900101 123x", "ID 3202**********123X"),
    ("电话１３８１２３４５６７８", "电话138****5678"),  # full-width digits, as Chinese input methods type
    ("tel13812345678", "tel138****5678"),
    ("case 320213001001001-0042, order 20261124123456789, 2026-12-04, 12345678 元",
     "case 320213001001001-0042, order 20261124123456789, 2026-12-04, 12345678 元"),
    ("", ""),
])
def test_numbers_in_free_text_are_masked_and_other_numbers_left(typed, masked):
    from cases.personal_data import mask_numbers_in_text

    assert mask_numbers_in_text(typed) == masked


@pytest.fixture
def typed(case_at, centre_operator):
    case = case_at(Case.Status.REPORTED, description=TYPED)
    return services.case_accept(case_id=case.pk, actor=centre_operator, note=f"已电话联系{PHONE}")


def test_the_case_page_masks_numbers_in_the_text_for_roles_that_see_the_contact_masked(typed, centre_operator,
                                                                                      supervisor, verify_otp):
    masked_page = _client(supervisor, verify_otp).get(f"/cases/{typed.pk}/").content.decode()
    assert MASKED in masked_page and "已电话联系138****5678" in masked_page
    assert PHONE not in masked_page and ID_NUMBER not in masked_page and "82701234" not in masked_page
    # Who may reveal the contact reads the text as typed.
    full_page = _client(centre_operator).get(f"/cases/{typed.pk}/").content.decode()
    assert TYPED in full_page and f"已电话联系{PHONE}" in full_page
    typed.refresh_from_db()
    assert typed.description == TYPED  # stored as typed


def test_the_api_masks_numbers_in_the_text_for_roles_that_see_the_contact_masked(typed, centre_operator,
                                                                                supervisor, verify_otp):
    reader = _client(supervisor, verify_otp)
    [listed] = reader.get("/api/cases/").json()["results"]
    detail = reader.get(f"/api/cases/{typed.pk}/").json()
    timeline = reader.get(f"/api/cases/{typed.pk}/timeline/").json()
    assert listed["description"] == detail["description"] == MASKED
    assert [e["note"] for e in timeline if e["note"]] == ["已电话联系138****5678"]
    caller = _client(centre_operator)
    assert caller.get(f"/api/cases/{typed.pk}/").json()["description"] == TYPED
    assert f"已电话联系{PHONE}" in caller.get(f"/api/cases/{typed.pk}/timeline/").content.decode()


def test_masking_the_text_costs_no_query(town, grid_worker, supervisor, verify_otp, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for n in range(3):
        services.case_report(actor=grid_worker, category=town.category, location=centre_of(0, 0),
                             description=f"plain {n}")
    reader = _client(supervisor, verify_otp)
    reader.get("/api/cases/")
    with CaptureQueriesContext(connection) as plain:
        assert PHONE not in reader.get("/api/cases/").content.decode()
    from cases.models import Case

    Case.objects.update(description=TYPED)
    with CaptureQueriesContext(connection) as masked:
        body = reader.get("/api/cases/").content.decode()
    assert PHONE not in body and body.count("138****5678") == 3
    assert len(masked) == len(plain)


def test_exports_mask_numbers_in_the_description_for_every_reader(typed, centre_operator, supervisor, verify_otp):
    """A file leaves the system and is no audited, one-case reveal: masked for all, as the
    contact's own columns are."""
    for client in (_client(centre_operator), _client(supervisor, verify_otp)):
        for fmt in ("csv", "xlsx"):
            response = client.get("/cases/export/", {"format": fmt})
            assert response.status_code == 200
            if fmt == "csv":
                text = response.content.decode("utf-8-sig")
            else:
                import io

                from openpyxl import load_workbook

                text = str([[c.value for c in r] for r in load_workbook(io.BytesIO(response.content)).active.iter_rows()])
            assert MASKED in text and PHONE not in text and ID_NUMBER not in text
