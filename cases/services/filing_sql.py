"""A new case and its `report` event written in one statement.

Filing is the one write every phone makes, many times an hour (bench/intake.py). Through the
ORM it took two compiled inserts, a `nextval` for the number and a transaction around them:
five round trips and ~2 ms of Python a report. Here one `INSERT … RETURNING` per table,
chained in a single statement, does the same: PostgreSQL runs a statement atomically, so
no transaction needs to be opened for it (an enclosing one is used when there is one).

The statement is built from the models' own fields each time (`Field.pre_save` and
`get_db_prep_save`, as Django's insert does), so auto_now stamps, defaults and the
encrypted personal-data fields are written exactly as `Model.save` writes them, and a field
added to either model needs no change here. tests/cases/test_filing.py holds the rows to
what the ORM writes.
"""

from __future__ import annotations

from typing import Any, cast

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model

from cases.models import Case, CaseEvent

# The number: the prefix (district code and local date) from Python, the serial from the
# sequence, at least 6 digits (cases.services.filing._number_prefix makes the prefix).
_NUMBER_SQL = "%s || lpad(s.n::text, greatest(6, length(s.n::text)), '0')"


def _insert_parts(
    obj: Model, conn: BaseDatabaseWrapper, *, skip: tuple[str, ...] = ()
) -> tuple[list[str], list[str], list[Any]]:
    """Columns, placeholders and values of an INSERT of `obj`, as Django's SQLInsertCompiler
    makes them (without compiling a query): generated primary keys left out."""
    columns: list[str] = []
    marks: list[str] = []
    values: list[Any] = []
    for field in obj._meta.local_concrete_fields:
        if field.primary_key or field.attname in skip:
            continue
        value = field.get_db_prep_save(field.pre_save(obj, add=True), conn)
        columns.append(conn.ops.quote_name(cast(str, field.column)))
        # Geometry fields wrap the value (a transform when SRIDs differ); others are %s.
        placeholder = getattr(field, "get_placeholder", None)
        marks.append(placeholder(value, None, conn) if placeholder else "%s")
        values.append(value)
    return columns, marks, values


def insert_case_with_report(case: Case, event: CaseEvent, *, number_prefix: str) -> bool:
    """Writes `case` (unsaved; its number is `number_prefix` + the next serial) and `event`,
    its first timeline row, in one statement, setting their ids and the case's number.

    Returns False, writing nothing, when the case's client_key is already taken (ON
    CONFLICT): the caller returns the case filed first."""
    conn = connections[DEFAULT_DB_ALIAS]  # the wrapper itself, not the per-attribute proxy
    case_columns, case_marks, case_values = _insert_parts(case, conn, skip=("number",))
    event_columns, event_marks, event_values = _insert_parts(event, conn, skip=("case_id",))
    quote = conn.ops.quote_name
    sql = (
        "WITH s AS (SELECT nextval('cases_case_number_seq') AS n),"  # noqa: S608 - names from the models
        f" c AS (INSERT INTO {quote(Case._meta.db_table)} ({quote('number')}, {', '.join(case_columns)})"
        f" SELECT {_NUMBER_SQL}, {', '.join(case_marks)} FROM s ON CONFLICT DO NOTHING RETURNING id, number),"
        f" e AS (INSERT INTO {quote(CaseEvent._meta.db_table)} ({quote('case_id')}, {', '.join(event_columns)})"
        f" SELECT c.id, {', '.join(event_marks)} FROM c RETURNING id)"
        " SELECT c.id, c.number, e.id FROM c, e"
    )
    with conn.cursor() as cursor:
        cursor.execute(sql, [number_prefix, *case_values, *event_values])
        row = cursor.fetchone()
    if row is None:
        return False
    case.pk, case.number, event.pk = row
    event.case = case
    for obj in (case, event):
        obj._state.adding = False
        obj._state.db = conn.alias
    return True
