"""cases.services.filing_sql: a new case and its `report` event in one statement. The rows must be the
ones the ORM writes (the models' own field preparation: defaults, auto_now stamps, the
encrypted personal data, the point), the number the district's code, the date and a serial, a taken
client key must write nothing (tests/cases/test_races.py races two phones on one), and photos
must go in with the case or not at all."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction

from cases import attachments, services
from cases.models import Attachment, Case, CaseEvent
from cases.services.filing_sql import insert_case_with_report
from tests.cases.photos import jpeg
from tests.factories import centre_of

ID_NUMBER = "320202199001011238"
COMPARED = [f.attname for f in Case._meta.concrete_fields if f.attname not in ("id", "number", "created_at", "updated_at")]
EVENT_COMPARED = [f.attname for f in CaseEvent._meta.concrete_fields if f.attname not in ("id", "case_id")]


def _pair(town, grid_worker, *, key: str) -> tuple[Case, CaseEvent]:
    at = dt.datetime(2026, 10, 8, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    case = Case(
        category=town.category, status=Case.Status.REPORTED, source=Case.Source.API, description="井盖缺失",
        location=centre_of(0, 0), address="县前街 1 号", grid_cell=town.cells[0], cell_code=town.cells[0].code,
        centre=town.community, reporter=grid_worker, reporter_name="张伟", reporter_phone="13812345678",
        reporter_id_number=ID_NUMBER, client_key=key, sign_for_hours=2, handle_days=5, reported_at=at,
    )
    event = CaseEvent(actor=grid_worker, role="grid_worker", action=CaseEvent.Action.REPORT, from_status="",
                      to_status=Case.Status.REPORTED, note="", created_at=at)
    return case, event


def _stored(model, pk):
    """The row as a fresh read sees it (decrypted, as every reader gets it)."""
    return model.objects.get(pk=pk)


def test_the_rows_are_the_ones_the_orm_writes(town, grid_worker):
    by_orm, orm_event = _pair(town, grid_worker, key="orm")
    by_orm.number = "x"
    by_orm.save()
    orm_event.case = by_orm
    orm_event.save()
    by_sql, sql_event = _pair(town, grid_worker, key="sql")
    assert insert_case_with_report(by_sql, sql_event, number_prefix="32021320261008") is True

    orm_row, sql_row = _stored(Case, by_orm.pk), _stored(Case, by_sql.pk)
    for name in COMPARED:
        if name != "client_key":
            assert getattr(sql_row, name) == getattr(orm_row, name), name
    assert sql_row.reporter_id_number == ID_NUMBER  # encrypted at rest like the ORM's, read back the same
    with connection.cursor() as cursor:
        cursor.execute("SELECT reporter_id_number FROM cases_case WHERE id = %s", [by_sql.pk])
        assert ID_NUMBER not in str(cursor.fetchone()[0])
    assert abs(sql_row.created_at - orm_row.created_at) < dt.timedelta(minutes=1)
    assert sql_row.updated_at == sql_row.created_at or abs(sql_row.updated_at - sql_row.created_at) < dt.timedelta(seconds=1)
    stored_event = _stored(CaseEvent, sql_event.pk)
    assert stored_event.case_id == by_sql.pk
    for name in EVENT_COMPARED:
        assert getattr(stored_event, name) == getattr(_stored(CaseEvent, orm_event.pk), name), name
    # The objects passed in are now the saved rows.
    assert (by_sql.number, by_sql._state.adding, sql_event.case) == (sql_row.number, False, by_sql)


def test_the_number_is_the_prefix_and_a_serial_of_at_least_six_digits(town, grid_worker):
    # Sequences are not rolled back with the test's transaction: start this one afresh, so
    # the test says the same on a reused database as on a new one.
    with connection.cursor() as cursor:
        cursor.execute("SELECT setval('cases_case_number_seq', 1, false)")
    case, event = _pair(town, grid_worker, key="a")
    insert_case_with_report(case, event, number_prefix="32021320261008")
    assert case.number == "32021320261008000001"
    with connection.cursor() as cursor:
        cursor.execute("SELECT setval('cases_case_number_seq', 1234566)")
    case, event = _pair(town, grid_worker, key="b")
    insert_case_with_report(case, event, number_prefix="32021320261008")
    assert case.number == "320213202610081234567"


def test_a_taken_client_key_writes_nothing(town, grid_worker):
    first, event = _pair(town, grid_worker, key="same")
    insert_case_with_report(first, event, number_prefix="p")
    again, again_event = _pair(town, grid_worker, key="same")
    assert insert_case_with_report(again, again_event, number_prefix="p") is False
    assert (again.pk, again_event.pk) == (None, None)
    assert Case.objects.count() == 1 and CaseEvent.objects.count() == 1


def test_a_replay_inside_a_callers_transaction_leaves_it_usable(town, grid_worker):
    """ON CONFLICT, not an error: the caller's transaction goes on (a web view, an import)."""
    with transaction.atomic():
        first = services.case_report(actor=grid_worker, category=town.category, location=centre_of(0, 0),
                                     description="x", client_key="k")
        again, created = services.case_report_or_replay(actor=grid_worker, category=town.category,
                                                        location=centre_of(0, 0), description="x", client_key="k")
        assert (again.pk, created) == (first.pk, False)
        assert Case.objects.count() == 1  # the transaction still answers


def test_photos_go_in_with_the_case_or_not_at_all(town, grid_worker, monkeypatch):
    def broken(photo):
        raise OSError("disk full")

    # Photos are prepared and stored by cases.attachments.store_photos, which both filing paths call.
    monkeypatch.setattr(attachments, "prepare_photo", broken)
    with pytest.raises(OSError):
        services.case_report(actor=grid_worker, category=town.category, location=centre_of(0, 0), description="x",
                             photos=[jpeg()])
    assert Case.objects.count() == 0 and CaseEvent.objects.count() == 0 and Attachment.objects.count() == 0
