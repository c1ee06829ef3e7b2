"""Prints shell assignments for the database and broker addresses, for scripts/services.sh."""

from __future__ import annotations

import shlex
import sys
from urllib.parse import urlsplit

db, broker = urlsplit(sys.argv[1]), urlsplit(sys.argv[2])
values = {
    "PGHOST": db.hostname or "127.0.0.1",
    "PGPORT": str(db.port or 5432),
    "PGUSER": db.username or "postgres",
    "PGDATABASE": (db.path or "/wangge").lstrip("/") or "wangge",
    "REDISHOST": broker.hostname or "127.0.0.1",
    "REDISPORT": str(broker.port or 6379),
}
for key, value in values.items():
    print(f"{key}={shlex.quote(value)}")
