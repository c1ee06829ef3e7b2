"""Helpers for the audit tests: the entries of one kind, and a row rewritten the way a
database superuser would, with the append-only triggers switched off for one statement."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection

from audit.models import AuditEntry

PASSWORD = "pw-for-tests-1"  # tests/factories.UserFactory's password


def entries(kind: AuditEntry.Kind) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(kind=kind).order_by("id"))


def as_superuser(sql: str, params: Sequence[Any] = ()) -> None:
    """Runs `sql` on the audit table with its triggers disabled, as a database superuser
    (or the table's owner) can; the triggers are enabled again afterwards."""
    with connection.cursor() as cur:
        cur.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER ALL")
        try:
            cur.execute(sql, params)
        finally:
            cur.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER ALL")


