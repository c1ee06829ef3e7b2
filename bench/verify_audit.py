"""Benchmark: how fast `manage.py verify_audit` walks the audit trail, and how fast record()
appends to it.

    .venv/bin/python bench/verify_audit.py [--rows 1000000] [--appends 2000]

Runs in a scratch database (<name>_bench_audit), migrated, filled with --rows entries of a
valid chain through COPY (details shaped like real role changes and exports), then:
verify_audit's walk (keyset pages of 5,000 rows, every hash recomputed) against the
baseline of only reading the same rows, and --appends calls of record() on one connection.
The scratch database is dropped at the end: the dev database is never written.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import sys
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

from audit.chain import GENESIS, HASHED_FIELDS, link_hash  # noqa: E402
from audit.models import AuditEntry  # noqa: E402
from audit.selectors import audit_chain_verdict, audit_rows_in_order  # noqa: E402
from audit.services import record  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--appends", type=int, default=2_000)
    args = parser.parse_args()
    with scratch_database() as name:
        print(machine())
        print(f"scratch database {name}")
        started = time.perf_counter()
        fill(args.rows)
        spent = time.perf_counter() - started
        with connection.cursor() as cur:
            cur.execute("SELECT pg_size_pretty(pg_total_relation_size('audit_auditentry'))")
            size = cur.fetchone()[0]
        print(f"fill: {args.rows:,} chained entries (hash + COPY) in {spent:.1f} s; table with indexes {size}")

        started = time.perf_counter()
        read = sum(1 for _ in audit_rows_in_order())
        baseline = time.perf_counter() - started
        print(f"read only (same keyset pages, no hashing): {baseline:.1f} s → {read / baseline:,.0f} rows/s")

        started = time.perf_counter()
        verdict = audit_chain_verdict()
        spent = time.perf_counter() - started
        assert verdict.intact and verdict.checked == args.rows, verdict
        print(f"verify_audit walk: {spent:.1f} s → {args.rows / spent:,.0f} rows/s "
              f"({spent / baseline:.1f}× the read alone); 1M rows ≈ {1_000_000 / (args.rows / spent):.0f} s")

        started = time.perf_counter()
        for i in range(args.appends):
            record(AuditEntry.Kind.EXPORT, detail={"format": "csv", "rows": i})
        spent = time.perf_counter() - started
        print(f"record(): {args.appends:,} appends in {spent:.2f} s → {args.appends / spent:,.0f} appends/s "
              "(one connection, autocommit: lock, head, insert, commit each)")
        assert audit_chain_verdict().intact


def fill(rows: int) -> None:
    """A valid chain of `rows` entries, hashed as record() hashes and written with COPY."""
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    prev = GENESIS
    columns = (*HASHED_FIELDS, "prev_hash", "hash")
    connection.ensure_connection()
    raw = connection.connection
    with raw.cursor() as cur, cur.copy(f"COPY audit_auditentry ({', '.join(columns)}) FROM STDIN") as copy:
        for i in range(1, rows + 1):
            role = i % 3 == 0
            values = {
                "id": i,
                "time": start + dt.timedelta(milliseconds=37 * i),
                "kind": "role_change" if role else "export",
                "actor_id": 1000 + i % 500,
                "actor_username": f"centre_{i % 500:04d}",
                "target_type": "auth.user" if role else "grids.area",
                "target_id": str(i % 10_000),
                "target_repr": f"gw_{i % 10_000:05d}" if role else "县前社区",
                "ip_address": f"10.{i % 256}.{i // 256 % 256}.{i % 7}",
                "detail": (
                    {"change": "added", "assignment": f"grids.gridassignment:{i}", "user": f"gw_{i % 10_000:05d}",
                     "role": "grid_worker", "cell": f"320213001001{i % 999:03d}"}
                    if role else {"format": "csv", "rows": i % 5000, "filters": {"status": "closed", "overdue": True}}
                ),
            }
            digest = link_hash(prev, values)
            copy.write_row([*(json.dumps(values["detail"], ensure_ascii=False) if c == "detail" else values[c]
                              for c in HASHED_FIELDS), prev, digest])
            prev = digest
    raw.commit()
    with connection.cursor() as cur:
        cur.execute("ANALYZE audit_auditentry")


def machine() -> str:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with connection.cursor() as cur:
        cur.execute("SELECT split_part(version(), ' ', 2)")
        pg = cur.fetchone()[0]
    return (f"machine: {cpu}, {os.cpu_count()} cores; {platform.system()} {platform.release()}; "
            f"Python {platform.python_version()}, PostgreSQL {pg}")


@contextlib.contextmanager
def scratch_database() -> Iterator[str]:
    """A migrated empty database beside the dev one, dropped afterwards whatever happens."""
    db = settings.DATABASES["default"]
    db.setdefault("TEST", {})["NAME"] = f"{db['NAME']}_bench_audit"
    old_name = db["NAME"]
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    # Migrating wrote an entry (guardian's AnonymousUser): start the bench from an empty trail.
    with connection.cursor() as cur:
        cur.execute("TRUNCATE audit_auditentry")
    try:
        yield name
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        print(f"scratch database {name} dropped")


if __name__ == "__main__":
    main()
