"""scripts/services.sh starts its own PostgreSQL (with PostGIS) and Redis where nothing
answers at the configured addresses, and stop_services.sh stops exactly those, leaving the
machine's own services alone."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def answers(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_services_script_starts_and_stops_its_own_when_nothing_answers():
    pg_port, redis_port = free_port(), free_port()
    env = os.environ | {
        "DATABASE_URL": f"postgis://postgres@127.0.0.1:{pg_port}/wangge_scratch",
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{redis_port}/0",
    }
    db_port_before = answers(5432)
    try:
        started = subprocess.run(["bash", "scripts/services.sh"], cwd=ROOT, env=env, capture_output=True, text=True,
                                 timeout=120)
        assert started.returncode == 0, started.stderr
        assert "starting a project PostgreSQL" in started.stdout
        assert "starting a project Redis" in started.stdout
        version = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-p", str(pg_port), "-U", "postgres", "-d", "wangge_scratch", "-tAc",
             "SELECT postgis_version()"], capture_output=True, text=True, timeout=30,
        )
        assert version.stdout.startswith("3."), version.stderr
        pong = subprocess.run(["redis-cli", "-p", str(redis_port), "ping"], capture_output=True, text=True, timeout=10)
        assert pong.stdout.strip() == "PONG"
        again = subprocess.run(["bash", "scripts/services.sh"], cwd=ROOT, env=env, capture_output=True, text=True,
                               timeout=60)
        assert again.returncode == 0 and "starting" not in again.stdout  # idempotent: uses what now runs
    finally:
        stopped = subprocess.run(["bash", "scripts/stop_services.sh"], cwd=ROOT, env=env, capture_output=True,
                                 text=True, timeout=60)
        for scratch in (ROOT / "var" / f"pg-{pg_port}", ROOT / "var" / f"redis-{redis_port}"):
            shutil.rmtree(scratch, ignore_errors=True)
    assert stopped.returncode == 0, stopped.stderr
    assert not answers(pg_port) and not answers(redis_port)
    assert answers(5432) == db_port_before


def test_services_script_uses_running_services_and_starts_nothing():
    # make test ran services.sh before pytest, so the configured addresses answer now.
    env = dict(os.environ)
    result = subprocess.run(["bash", "scripts/services.sh"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert "starting" not in result.stdout
