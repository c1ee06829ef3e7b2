"""The trail is append-only at the database: not the ORM, not raw SQL may rewrite a row."""

from __future__ import annotations

import pytest
from django.db import ProgrammingError, connection, transaction

from audit.models import AuditEntry
from audit.services import record

REFUSED = "Cannot update or delete rows from audit_auditentry"


@pytest.fixture
def entry(db) -> AuditEntry:
    return record(AuditEntry.Kind.EXPORT, detail={"format": "csv"})


def test_orm_update_and_delete_are_refused(entry):
    with pytest.raises(ProgrammingError, match=REFUSED), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(actor_username="someone_else")
    with pytest.raises(ProgrammingError, match=REFUSED), transaction.atomic():
        entry.delete()
    entry.refresh_from_db()
    assert entry.actor_username == ""


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditentry SET detail = '{}' WHERE id = %s",
        "DELETE FROM audit_auditentry WHERE id = %s",
    ],
)
def test_raw_sql_update_and_delete_are_refused(entry, sql):
    with pytest.raises(ProgrammingError, match=REFUSED), transaction.atomic(), connection.cursor() as cur:
        cur.execute(sql, [entry.pk])
    assert AuditEntry.objects.filter(pk=entry.pk, detail={"format": "csv"}).exists()


def test_appending_still_works_and_links(entry):
    second = record(AuditEntry.Kind.EXPORT, detail={"format": "xlsx"})
    assert (second.id, second.prev_hash) == (entry.id + 1, entry.hash)
    assert second.time >= entry.time
