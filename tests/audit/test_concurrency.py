"""Appends from two real connections at once still make one linear chain, and the command
run as its own process exits non-zero on a broken one."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction

from audit.models import AuditEntry
from audit.services import record
from tests.audit.conftest import as_superuser

ROOT = Path(__file__).resolve().parents[2]


def append_from_threads(threads: int, each: int) -> list[BaseException]:
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            barrier.wait()
            for i in range(each):
                # Two entries per transaction: the lock must hold to the end of it.
                with transaction.atomic():
                    record(AuditEntry.Kind.EXPORT, detail={"thread": n, "i": i, "part": 1})
                    record(AuditEntry.Kind.EXPORT, detail={"thread": n, "i": i, "part": 2})
        except BaseException as exc:  # noqa: BLE001 - the test inspects what went wrong
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join(timeout=60)
    return errors


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_make_one_linear_chain():
    before = AuditEntry.objects.count()
    assert append_from_threads(threads=2, each=25) == []
    rows = list(AuditEntry.objects.order_by("id").values_list("id", "prev_hash", "hash", "time", "detail"))
    assert len(rows) == before + 100
    assert [r[0] for r in rows] == list(range(1, len(rows) + 1))
    for prev, row in zip(rows, rows[1:], strict=False):
        assert row[1] == prev[2]
        assert row[3] >= prev[3]  # the database's clock, read under the lock: never backwards
    # Each transaction's two entries sit next to each other: the lock was held between them.
    ours = [r[4] for r in rows if "thread" in r[4]]
    assert all(a["part"] == 1 and b["part"] == 2 and a["thread"] == b["thread"] for a, b in zip(ours[::2], ours[1::2], strict=True))
    assert run_verify_audit().returncode == 0


def test_rolled_back_append_leaves_no_gap(db):
    with pytest.raises(RuntimeError), transaction.atomic():
        record(AuditEntry.Kind.EXPORT)
        raise RuntimeError("the export failed")
    entry = record(AuditEntry.Kind.EXPORT)
    assert entry.id == AuditEntry.objects.count()


def run_verify_audit(*args: str) -> subprocess.CompletedProcess[str]:
    db = settings.DATABASES["default"]
    url = f"postgis://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "manage.py", "verify_audit", *args], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=120, check=False,
    )


@pytest.mark.django_db(transaction=True)
def test_the_command_exits_non_zero_on_a_broken_chain():
    for i in range(3):
        record(AuditEntry.Kind.EXPORT, detail={"rows": i})
    last = AuditEntry.objects.order_by("-id").first()
    # In the site's language, zh-hans unless settings say otherwise.
    ok = run_verify_audit()
    assert (ok.returncode, ok.stdout.strip()) == (0, f"审计日志完整：共 {last.id} 条")
    as_superuser("UPDATE audit_auditentry SET ip_address = '10.9.9.9' WHERE id = %s", [last.id])
    bad = run_verify_audit()
    assert bad.returncode == 1
    assert f"审计日志在第 {last.id} 条（" in bad.stderr and "哈希不符" in bad.stderr
