"""`manage.py verify_audit` says an intact chain is intact and names the first entry that
was altered, deleted or forged behind the application's back."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from audit.chain import GENESIS, link_hash
from audit.models import AuditEntry
from audit.services import record
from tests.audit.conftest import as_superuser

Kind = AuditEntry.Kind


@pytest.fixture
def chain(db) -> list[AuditEntry]:
    """Ten entries after whatever migrating the test database wrote (guardian's AnonymousUser)."""
    for i in range(10):
        record(Kind.EXPORT, detail={"format": "csv", "rows": i})
    return list(AuditEntry.objects.order_by("id"))


def verify(*args: str) -> str:
    """The command's output in English (it speaks the site language, zh-hans by default)."""
    out = io.StringIO()
    with translation.override("en"):
        call_command("verify_audit", *args, stdout=out)
    return out.getvalue()


def broken(*args: str) -> CommandError:
    with pytest.raises(CommandError) as caught:
        verify(*args)
    assert caught.value.returncode == 1
    return caught.value


def test_intact_chain(chain):
    assert verify().strip() == f"audit trail intact: {len(chain)} entries"


def test_empty_trail_is_intact(db):
    as_superuser("DELETE FROM audit_auditentry")
    assert verify().strip() == "audit trail intact: 0 entries"


def test_row_altered_with_raw_sql_is_named(chain):
    victim = chain[5]
    as_superuser("UPDATE audit_auditentry SET actor_username = 'nobody' WHERE id = %s", [victim.id])
    error = broken()
    assert f"audit trail broken at entry {victim.id} (" in str(error)
    assert "hash mismatch" in str(error)
    assert f"the {victim.id - 1} entries before it hold" in str(error)


def test_altered_time_is_a_mismatch(chain):
    as_superuser("UPDATE audit_auditentry SET time = time - interval '1 microsecond' WHERE id = %s", [chain[3].id])
    assert f"entry {chain[3].id} " in str(broken())


def test_altered_and_rehashed_row_breaks_the_next_link(chain):
    """Rehashing the altered row is not enough: the next entry's prev_hash still points at
    the old hash."""
    victim = chain[4]
    values = victim.hashed_values() | {"detail": {"format": "csv", "rows": 999}}
    as_superuser(
        "UPDATE audit_auditentry SET detail = %s, hash = %s WHERE id = %s",
        [json.dumps(values["detail"]), link_hash(victim.prev_hash, values), victim.id],
    )
    error = str(broken())
    assert f"broken at entry {victim.id + 1} " in error
    assert f"prev_hash does not link to entry {victim.id}" in error


def test_deleted_row_is_a_gap(chain):
    as_superuser("DELETE FROM audit_auditentry WHERE id = %s", [chain[6].id])
    error = str(broken())
    assert f"broken at entry {chain[7].id} " in error
    assert f"gap in ids, expected {chain[6].id}" in error


def test_forged_row_is_named(chain):
    """A row inserted by hand after the last one, linked to it but hashed by guesswork."""
    last = chain[-1]
    forged_id = last.id + 1
    as_superuser(
        "INSERT INTO audit_auditentry (id, time, kind, actor_id, actor_username, target_type, target_id, "
        "target_repr, ip_address, detail, prev_hash, hash) VALUES "
        "(%s, now(), 'login', NULL, 'ghost', '', '', '', '', '{}', %s, %s)",
        [forged_id, last.hash, "f" * 64],
    )
    error = str(broken())
    assert f"broken at entry {forged_id} " in error and "hash mismatch" in error


def test_first_entries_deleted(chain):
    as_superuser("DELETE FROM audit_auditentry WHERE id <= 2")
    assert "gap in ids, expected 1: entries 1 to 2 were deleted" in str(broken())


def test_genesis_link_is_checked(chain):
    first = chain[0]
    assert first.prev_hash == GENESIS
    values = first.hashed_values()
    as_superuser("UPDATE audit_auditentry SET prev_hash = %s, hash = %s WHERE id = %s",
                 ["1" * 64, link_hash("1" * 64, values), first.id])
    assert f"broken at entry {first.id} " in str(broken())


def test_a_break_in_a_later_chunk_is_found(chain):
    as_superuser("UPDATE audit_auditentry SET kind = 'login' WHERE id = %s", [chain[-2].id])
    assert f"broken at entry {chain[-2].id} " in str(broken("--chunk-size", "3"))
    as_superuser("UPDATE audit_auditentry SET kind = 'export' WHERE id = %s", [chain[-2].id])
    assert verify("--chunk-size", "3").strip() == f"audit trail intact: {len(chain)} entries"


def test_detail_survives_jsonb(db):
    """jsonb reorders keys and rewrites numbers: what record() stores must still hash the same."""
    record(Kind.EXPORT, detail={
        "z": 1, "a": [3, 2, {"嵌套": "中文", "b": None}], "float": 0.1, "big": 1e20, "whole": 2.0,
        "when": dt.date(2026, 10, 1), "ids": {3, 1, 2}, "nul": "a\x00b", "bool": True, "long": 2**70,
    })
    entry = AuditEntry.objects.order_by("-id").first()
    assert entry.detail["float"] == "0.1" and entry.detail["whole"] == 2 and entry.detail["ids"] == [1, 2, 3]
    assert verify().startswith("audit trail intact")


def test_head_and_anchor_catch_a_truncated_tail(chain):
    """Deleting the newest entries leaves a chain that holds; the head an operator noted
    before does not."""
    head = verify("--head").strip()
    last = chain[-1]
    assert head.startswith(f"audit trail head: {last.id}:{last.hash} at ")
    anchor = f"{last.id}:{last.hash}"
    assert verify("--anchor", anchor).startswith("audit trail intact")
    as_superuser("DELETE FROM audit_auditentry WHERE id >= %s", [chain[-3].id])
    assert verify().startswith("audit trail intact")  # the chain alone cannot tell
    error = str(broken("--anchor", anchor))
    assert f"broken at entry {last.id} (-): the noted entry is missing, the trail ends at {chain[-4].id}" in error


def test_anchor_catches_a_chain_rewritten_from_the_altered_row_on(chain):
    """The limit of a plain hash chain: someone who can write the table can recompute every
    hash after the row they change. Only a hash noted off-box shows it."""
    anchor = f"{chain[-1].id}:{chain[-1].hash}"
    prev = chain[2].prev_hash
    for i, entry in enumerate(chain[2:]):
        values = entry.hashed_values() | ({"actor_username": "rewritten"} if i == 0 else {})
        new_hash = link_hash(prev, values)
        as_superuser("UPDATE audit_auditentry SET actor_username = %s, prev_hash = %s, hash = %s WHERE id = %s",
                     [values["actor_username"], prev, new_hash, entry.id])
        prev = new_hash
    assert verify().startswith("audit trail intact")
    assert "hash differs from the one noted" in str(broken("--anchor", anchor))


def test_bad_anchor_argument_is_refused(chain):
    with pytest.raises(CommandError, match="anchor"):
        verify("--anchor", "12:nothex")
