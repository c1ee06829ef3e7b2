"""The timeline is append-only at the database: not even raw SQL can rewrite history."""

from __future__ import annotations

import pytest
from django.db import ProgrammingError, connection, transaction

from cases import services
from cases.models import Case, CaseEvent


@pytest.fixture
def event(case_at) -> CaseEvent:
    return case_at(Case.Status.REPORTED).events.get()


def test_orm_update_of_a_timeline_row_is_refused(event):
    with pytest.raises(ProgrammingError, match="Cannot update or delete rows from cases_caseevent"), transaction.atomic():
        CaseEvent.objects.filter(pk=event.pk).update(note="rewritten")
    event.refresh_from_db()
    assert event.note == ""


@pytest.mark.parametrize(
    "sql",
    ["UPDATE cases_caseevent SET note = 'rewritten' WHERE id = %s", "DELETE FROM cases_caseevent WHERE id = %s"],
)
def test_raw_sql_update_and_delete_are_refused(event, sql):
    with pytest.raises(ProgrammingError, match="Cannot update or delete rows from cases_caseevent"), transaction.atomic(), connection.cursor() as cur:
        cur.execute(sql, [event.pk])
    assert CaseEvent.objects.filter(pk=event.pk, note="").exists()


def test_new_rows_are_still_appended(event, town, centre_operator):
    services.case_accept(case_id=event.case_id, actor=centre_operator)
    assert CaseEvent.objects.filter(case_id=event.case_id).count() == 2
