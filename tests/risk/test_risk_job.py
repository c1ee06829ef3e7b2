"""The nightly risk job on real PostGIS: the service, its idempotence, the selectors and the
Celery task through a real worker on the real Redis broker."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import pytest
import redis
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import OperationalError, connection
from django.utils import timezone

from cases import services as case_services
from cases.models import Case
from governance.celery import app
from risk.models import RiskScore
from risk.selectors import latest_horizon_start, latest_risk_scores
from risk.services import risk_score_all_cells
from risk.tasks import risk_score_all_cells_task
from tests.factories import centre_of

ROOT = Path(__file__).resolve().parents[2]
SHANGHAI = ZoneInfo("Asia/Shanghai")
AS_OF = dt.date(2026, 3, 10)
# A Redis database of its own and a queue of its own per run: a developer's worker on db 0
# never steals the test's message, and parallel runs never see each other's.
# The configured Redis (make test makes sure one answers there), on database 15 so the
# test's messages never mix with a running worker's.
TEST_BROKER_URL = urlunsplit(urlsplit(settings.CELERY_BROKER_URL)._replace(path="/15"))


def at(days_before: float, day: dt.date = AS_OF) -> dt.datetime:
    """A moment `days_before` days before `day` 00:00 Beijing time."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=SHANGHAI) - dt.timedelta(days=days_before)


def report(town, col: int, row: int, when: dt.datetime) -> Case:
    return case_services.case_report(
        actor=None, category=town.category, location=centre_of(col, row), description="占道经营", at=when
    )


@pytest.fixture
def history(town):
    """cells[0]: five fresh cases; cells[1]: two fresh; cells[2]: two 100 days old;
    cells[3]: one rejected report; cells[4]: one case after the cut-off; cells[5]: none."""
    for days in (0.1, 1, 2, 3, 5):
        report(town, 0, 0, at(days))
    for days in (1, 4):
        report(town, 1, 0, at(days))
    for days in (100, 101):
        report(town, 0, 1, at(days))
    rejected = report(town, 1, 1, at(1))
    Case.objects.filter(pk=rejected.pk).update(status=Case.Status.REJECTED)
    report(town, 2, 0, at(-0.5))  # reported at noon on AS_OF: after the cut-off
    return town


def rows() -> list[tuple]:
    return list(
        RiskScore.objects.order_by("horizon_start", "cell_id").values_list(
            "id", "cell_id", "horizon_start", "horizon_days", "model", "score", "level", "factors"
        )
    )


def by_cell(town, day: dt.date = AS_OF) -> list[RiskScore]:
    scores = {s.cell_id: s for s in RiskScore.objects.filter(horizon_start=day)}
    return [scores[cell.pk] for cell in town.cells]


def test_more_and_fresher_cases_score_higher(history, settings):
    assert risk_score_all_cells(as_of=AS_OF) == 6
    s = by_cell(history)
    assert s[0].score > s[1].score > s[2].score > 0
    assert s[3].score == s[4].score == s[5].score == 0  # rejected, future, none
    assert {r.horizon_days for r in s} == {settings.RISK_HORIZON_DAYS}
    assert {r.model for r in s} == {"recency_v1"}


def test_factors_explain_the_score(history):
    risk_score_all_cells(as_of=AS_OF)
    factors = {f["factor"]: f["value"] for f in by_cell(history)[0].factors}
    assert (factors["cases_7d"], factors["cases_30d"], factors["cases_90d"]) == (5, 5, 5)
    assert factors["top_category"] == "03"  # the top level of 03/0301
    assert factors["top_category_share"] == 1.0
    assert factors["per_1000_households"] > 0  # 300 households per test cell
    old = {f["factor"]: f["value"] for f in by_cell(history)[2].factors}
    assert (old["cases_90d"], old["top_category"]) == (0, "03")


def test_default_levels_fit_a_six_cell_town(history):
    # Three non-zero cells: 2% and 7% of 3 are no cell; 20% of 3 is none either.
    risk_score_all_cells(as_of=AS_OF)
    assert [s.level for s in by_cell(history)] == ["blue"] * 6


def test_levels_follow_configured_shares(history, settings):
    settings.RISK_LEVEL_QUANTILES = {"red": 0.34, "orange": 0.33, "yellow": 0.33}
    risk_score_all_cells(as_of=AS_OF)
    assert [s.level for s in by_cell(history)] == ["red", "orange", "yellow", "blue", "blue", "blue"]


def test_levels_follow_fixed_thresholds(history, settings):
    # Scores here are about 0.76, 0.31 and 0.03 expected cases in the week.
    settings.RISK_LEVEL_THRESHOLDS = {"red": 0.6, "orange": 0.25, "yellow": 0.01}
    risk_score_all_cells(as_of=AS_OF)
    assert [s.level for s in by_cell(history)] == ["red", "orange", "yellow", "blue", "blue", "blue"]


def test_bad_level_settings_fail_before_writing(history, settings):
    settings.RISK_LEVEL_THRESHOLDS = {"red": 1.0, "orange": 2.0, "yellow": 3.0}
    with pytest.raises(ImproperlyConfigured):
        risk_score_all_cells(as_of=AS_OF)
    assert not RiskScore.objects.exists()


def test_running_twice_for_the_same_day_changes_nothing(history):
    risk_score_all_cells(as_of=AS_OF)
    first = rows()
    assert risk_score_all_cells(as_of=AS_OF) == 6
    assert rows() == first  # same ids, same values: updated in place, never duplicated


def test_rerun_after_late_cases_updates_in_place(history):
    risk_score_all_cells(as_of=AS_OF)
    before = {r.cell_id: (r.pk, r.score) for r in by_cell(history)}
    report(history, 3, 0, at(2))  # a late-filed case in cells[5]
    risk_score_all_cells(as_of=AS_OF)
    after = {r.cell_id: (r.pk, r.score) for r in by_cell(history)}
    assert RiskScore.objects.count() == 6
    assert {cell: pk for cell, (pk, _) in after.items()} == {cell: pk for cell, (pk, _) in before.items()}
    assert after[history.cells[5].pk][1] > 0 == before[history.cells[5].pk][1]


def test_another_day_adds_a_new_set_and_selectors_read_the_latest(history, django_assert_num_queries):
    next_day = AS_OF + dt.timedelta(days=1)
    risk_score_all_cells(as_of=AS_OF)
    risk_score_all_cells(as_of=next_day)
    assert RiskScore.objects.count() == 12
    assert RiskScore.objects.filter(horizon_start=next_day).count() == 6
    # The case reported at noon on AS_OF counts from the next day on.
    assert by_cell(history, next_day)[4].score > 0
    assert latest_horizon_start() == next_day
    with django_assert_num_queries(1):
        latest = latest_risk_scores()
    assert latest == {s.cell_id: (s.score, s.level) for s in by_cell(history, next_day)}
    assert latest_risk_scores(model="other") == {}
    assert latest_horizon_start(model="other") is None


def test_no_cells_scores_nothing(db):
    assert risk_score_all_cells(as_of=AS_OF) == 0
    assert not RiskScore.objects.exists()


def test_unknown_model_is_refused(db):
    with pytest.raises(ValueError, match="unknown risk model"):
        risk_score_all_cells(as_of=AS_OF, model="nope")


def test_another_horizon_for_the_same_day_overwrites_and_scales(history):
    risk_score_all_cells(as_of=AS_OF)
    week = {s.cell_id: s.score for s in by_cell(history)}
    risk_score_all_cells(as_of=AS_OF, horizon_days=14)
    s = by_cell(history)
    assert RiskScore.objects.count() == 6
    assert {r.horizon_days for r in s} == {14}
    assert {r.cell_id: r.score for r in s} == pytest.approx({cell: 2 * score for cell, score in week.items()})


def test_task_body_parses_the_date_and_defaults_to_today(monkeypatch):
    seen: list[dt.date] = []
    monkeypatch.setattr("risk.tasks.risk_score_all_cells", lambda *, as_of: seen.append(as_of) or 6)
    assert risk_score_all_cells_task("2026-03-10") == 6
    risk_score_all_cells_task()
    assert seen == [AS_OF, timezone.localdate()]


def test_task_retries_on_operational_error():
    assert OperationalError in risk_score_all_cells_task.autoretry_for
    assert risk_score_all_cells_task.retry_backoff


# --- the real worker ---------------------------------------------------------------------


def _redis_answers() -> bool:
    try:
        return bool(redis.Redis.from_url(TEST_BROKER_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def _database_url(db: dict) -> str:
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    return f"postgis://{user}{password}@{host}/{quote(db['NAME'], safe='')}"


@pytest.fixture
def worker_queue(django_db_setup):
    """A `celery -A governance worker` subprocess on its own Redis database and queue, using
    the test database (hence django_db_setup: its name is known only once it exists).
    Yields the queue name and the worker's log; stops the worker by its pid afterwards."""
    if not _redis_answers():
        pytest.skip(f"no Redis at {TEST_BROKER_URL}; `make services` starts one")
    queue = f"test-risk-{uuid.uuid4().hex[:12]}"
    db = connection.settings_dict
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "governance.settings",
        "CELERY_BROKER_URL": TEST_BROKER_URL,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        # The worker must see what the test committed: the test database, not the dev one.
        "DATABASE_URL": _database_url(db),
        "DB_CONN_MAX_AGE": "0",
    }
    log = tempfile.NamedTemporaryFile(prefix="celery-worker-", suffix=".log", delete=False)
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "governance", "worker", "--pool=solo", "-Q", queue,
         "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "info",
         "-n", f"{queue}@%h"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        yield queue, Path(log.name)
    finally:
        proc.terminate()  # warm shutdown: finishes the task in hand, then exits
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        log.close()
        os.unlink(log.name)
        # Only this run's keys: other runs may share database 15.
        redis.Redis.from_url(TEST_BROKER_URL).delete(
            queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}"
        )


@pytest.mark.django_db(transaction=True)
def test_task_runs_in_a_real_worker(history, worker_queue):
    queue, log = worker_queue
    with app.connection_for_write(TEST_BROKER_URL) as conn:
        # .delay() with an explicit broker connection and queue: the same message .delay()
        # sends, routed to this test's worker only.
        risk_score_all_cells_task.apply_async(kwargs={"as_of": AS_OF.isoformat()}, queue=queue, connection=conn)
    deadline = time.monotonic() + 25
    while RiskScore.objects.filter(horizon_start=AS_OF).count() < 6:
        if time.monotonic() > deadline:
            pytest.fail("the worker wrote no scores within 25 s; its log:\n" + log.read_text(errors="replace"))
        time.sleep(0.2)
    s = by_cell(history)
    assert s[0].score > s[1].score > s[2].score > 0
    assert "risk_score_all_cells_task" in log.read_text(errors="replace")


def test_score_risk_command_scores_every_cell_once_per_day(town):
    import io

    from django.core.management import call_command
    from django.core.management.base import CommandError

    out = io.StringIO()
    call_command("score_risk", "--date", "2026-11-24", stdout=out)
    call_command("score_risk", "--date", "2026-11-24", stdout=out)
    assert RiskScore.objects.filter(horizon_start="2026-11-24").count() == len(town.cells)
    assert "Scored 6 grid cells" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("score_risk", "--date", "24/11/2026")
