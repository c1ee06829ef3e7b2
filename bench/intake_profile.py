"""Where one report's time goes, in process: no HTTP, no gunicorn, no other clients.

Files reports through Django's test client (the whole middleware stack, DRF, the view, the
service, the notification published after commit) as one demo grid worker with a DRF token,
DEBUG off, and prints: Python CPU and PostgreSQL CPU per report (this process and the
backend's /proc counters; best of 3 rounds of --reports, the least disturbed by other work),
the statements one report sends, the Python time by stage (cProfile, so shares, not absolute
times), and two floors under any request on this stack: a view that only returns 201 behind
the same middleware, and a DRF view that authenticates the token, parses the JSON and
answers 201.

    .venv/bin/python bench/intake_profile.py [--reports 500]

Runs in a scratch database <name>_bench_profile, created, loaded with the demo city and
dropped like bench/intake.py's; notifications go to Celery's in-memory broker.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import random
import secrets
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

# As gunicorn runs the app in bench/intake.py; set before Django starts (in `intake`).
os.environ.update(DEBUG="false", SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="testserver",
                  LOG_LEVEL="WARNING", CELERY_BROKER_URL="memory://", FIELD_ENCRYPTION_SALT=secrets.token_urlsafe(16),
                  # The test client speaks plain HTTP, as gunicorn on loopback does in bench/intake.py.
                  SECURE_SSL_REDIRECT="false", SESSION_COOKIE_SECURE="false", CSRF_COOKIE_SECURE="false")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import intake  # noqa: E402  (sets Django up; the scratch database helpers)
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import path  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402
from rest_framework.request import Request  # noqa: E402
from rest_framework.response import Response  # noqa: E402
from rest_framework.views import APIView  # noqa: E402

USERNAME = "gw_liangxi"
# Stages of a report, by the function that starts each (cumulative time, so nested ones are
# inside their parents: the inserts and the publish are part of the service).
STAGES = [
    ("authentication (token, user and password state: one statement)", "accounts/authentication.py",
     "authenticate_credentials"),
    ("input validation (incl. the category query)", "rest_framework/serializers.py", "is_valid"),
    ("service case_report_or_replay", "cases/services/filing.py", "case_report_or_replay"),
    ("  the case and its report event, one statement (cases.services.filing_sql)", "cases/services/filing_sql.py", "insert_case_with_report"),
    ("  the notification published to Celery after the write", "cases/services/notifications.py", "_queue_notifications"),
    ("  grid cell, centre, roles (plain SQL) and the checks", "", ""),
    ("response (CaseDetailSerializer, JSON)", "cases/api/views.py", "_detail"),
]


def empty(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"{}", status=201, content_type="application/json")


class EmptyApi(APIView):
    def post(self, request: Request) -> Response:
        return Response({"user": request.user.pk, "keys": len(request.data)}, status=201)


urlpatterns = [path("floor/django/", empty), path("floor/drf/", EmptyApi.as_view())]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=500)
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args()
    db = settings.DATABASES["default"]
    server = intake.Server(host=db.get("HOST") or "127.0.0.1", port=int(db.get("PORT") or 5432),
                           user=db.get("USER") or "postgres", password=db.get("PASSWORD") or "")
    name = f"{db['NAME']}_bench_profile"
    print(intake.machine(server))
    with intake.scratch_database(server, name):
        intake.load_city(server.url(name))
        city = intake.read_city(server.conninfo(name), seed=args.seed)
        connection.settings_dict["NAME"] = name  # nothing has connected yet
        try:
            run(city, args)
        finally:
            connection.close()  # before the database is dropped


def run(city: intake.City, args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    user = get_user_model().objects.get(username=USERNAME)
    token, _ = Token.objects.get_or_create(user=user)
    client = Client(HTTP_AUTHORIZATION=f"Token {token.key}", HTTP_ACCEPT="application/json")

    def report() -> None:
        lon, lat, code = rng.choice(next(w for w in city.workers if w.username == USERNAME).points)
        body = {"category": rng.choice(city.categories).code, "description": "基准测试上报：路面破损",
                "lon": lon, "lat": lat, "coord_system": "wgs84", "client_key": uuid.uuid4().hex}
        response = client.post("/api/cases/", json.dumps(body), content_type="application/json")
        if response.status_code != 201 or response.json()["grid_cell"] != code:
            raise SystemExit(f"report failed: {response.status_code} {response.content[:300]!r}")

    for _ in range(20):  # imports, URL resolver, connection, first-use reads
        report()
    with CaptureQueriesContext(connection) as captured:
        report()
    statements = [" ".join(query["sql"].split()) for query in captured.captured_queries]  # before the next request
    python, postgres = measure(report, args.reports)
    print(f"in process, best of 3 rounds of {args.reports} reports as {USERNAME} with a token: "
          f"Python {python:.2f} ms/report, PostgreSQL {postgres:.2f} ms/report, {len(statements)} statements:")
    for statement in statements:
        print(f"  {statement[:110]}")

    def reports() -> None:
        for _ in range(args.reports):
            report()

    profile = cProfile.Profile(time.process_time)
    profile.runcall(reports)
    stats = pstats.Stats(profile)
    total = stats.total_tt  # type: ignore[attr-defined]
    shares = {label: cumulative(stats, where, function) / total for label, where, function in STAGES if where}
    service = shares["service case_report_or_replay"]
    plain = service - sum(v for k, v in shares.items() if k.startswith("  "))
    shares["  grid cell, centre, roles (plain SQL) and the checks"] = plain
    print("Python time by stage (cProfile, share of the whole request):")
    for label, *_ in STAGES:
        print(f"  {shares[label]:6.1%}  {label}")
    framework = 1 - sum(v for k, v in shares.items() if not k.startswith("  "))
    print(f"  {framework:6.1%}  the rest: test client, middleware, URL routing, DRF dispatch, parsing, rendering")

    with override_settings(ROOT_URLCONF=__name__):
        body = json.dumps({"category": "0101", "lon": 120.3, "lat": 31.57})
        django_only, _ = measure(lambda: client.post("/floor/django/", body, content_type="application/json"),
                                 args.reports)
        drf, _ = measure(lambda: client.post("/floor/drf/", body, content_type="application/json"), args.reports)
    print(f"floors (best of 3 rounds): a view returning 201 behind the middleware {django_only:.2f} ms/request; "
          f"a DRF view with token auth and a JSON body {drf:.2f} ms/request (Python)")


def measure(call: Callable[[], object], n: int, rounds: int = 3) -> tuple[float, float]:
    """Python CPU of this process and CPU of this connection's PostgreSQL backend, ms per call:
    the best of `rounds` rounds of n calls (the least disturbed by other work on the machine)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (backend,) = cursor.fetchone()
    best: tuple[float, float] | None = None
    for _ in range(rounds):
        python, postgres = time.process_time(), intake._cpu(backend)
        for _ in range(n):
            call()
        result = ((time.process_time() - python) / n * 1000, (intake._cpu(backend) - postgres) / n * 1000)
        best = result if best is None or result[0] < best[0] else best
    assert best is not None
    return best


def cumulative(stats: pstats.Stats, where: str, function: str) -> float:
    return sum(
        row[3] for (file, _line, name), row in stats.stats.items()  # type: ignore[attr-defined]
        if name == function and file.endswith(where)
    )


if __name__ == "__main__":
    main()
