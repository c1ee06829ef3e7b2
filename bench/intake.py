"""Benchmark: filing reports through the API (POST /api/cases/) under concurrent load.

API: --clients threads POST JSON reports for --seconds to gunicorn started with the Procfile's
options (worker class, workers, threads; --worker-class, --workers and --threads override them),
DEBUG off. Each client is one of the demo grid workers and sends a random leaf category, a random
point inside a random comprehensive cell and a unique client_key; every answer must be 201 and
name the cell the point was drawn in. --auth token (the default) gets a DRF token once through
POST /api/auth/token/ and sends it with every report, as phones and integrations do; --auth
session signs in once through the login form and sends the session cookie and CSRF token;
--auth basic sends HTTP Basic credentials, so the password is hashed for every report. Several
(--auth token,session,basic) run one after another against the same baseline. A client keeps
its connection open where the server allows: gthread workers keep it alive, sync workers close
it after every response.

Baseline, measured in the same run: as many threads doing the same writes straight into
PostgreSQL with psycopg 3, one transaction per report: the cell by one ST_Covers query, the
case (its number from nextval), its `report` event. That is the ceiling for this machine and
database; the ratio is API ÷ raw reports/s. The intake issue's aim: API ≥ 25 % of raw and an
API p95 latency under 50 ms.

    .venv/bin/python bench/intake.py [--clients 8] [--seconds 20] [--auth token] [--workers N] [--threads N]

Everything runs in a scratch database <name>_bench_intake, migrated and loaded with
`manage.py load_demo_city --cases 0`, and dropped at the end whatever happens: the dev
database is never touched. HTTP is loopback only; gunicorn is started and stopped here, with
Celery's in-memory broker so no notification task reaches the shared broker's workers.
CPU per report is read from /proc for the gunicorn workers, the scratch database's
PostgreSQL backends and this process, so a run says where the time goes.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import functools
import http.client
import http.cookiejar
import json
import os
import platform
import random
import secrets
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any, Protocol

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.settings")

import django  # noqa: E402

django.setup()

import gunicorn  # noqa: E402
import psycopg  # noqa: E402
import rest_framework  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth.hashers import get_hasher  # noqa: E402
from psycopg import sql  # noqa: E402
from psycopg.conninfo import make_conninfo  # noqa: E402

from cases.models import Case, CaseEvent  # noqa: E402
from demo.people import DEMO_PASSWORD as PASSWORD  # noqa: E402
from grids.models import GridCell  # noqa: E402

POINTS_PER_CELL = 500  # the point pool: this many random points inside each of a grid worker's cells
TIMEOUT = 30.0  # seconds: a socket or setup step taking longer fails the run instead of hanging it
MAX_REPORTS_PER_CLIENT = 1_000_000  # a hard bound on every client loop besides --seconds
# Every report queues a notification task after commit. On the shared broker a dev worker would
# run it against the dev database with this scratch database's event ids; kombu's in-memory
# transport keeps the messages inside each gunicorn worker (publishing still costs its share).
ISOLATED_BROKER = "memory://"
AUTH_MODES = ("token", "session", "basic")
AIM_RATIO = 0.25
AIM_P95 = 0.050
TICK = os.sysconf("SC_CLK_TCK")

# The raw baseline: what case_report writes for a grid worker's API report, as three statements
# in one transaction. Values the app takes from enums are parameters, never bare strings.
CELL_SQL = (
    "SELECT id, code, community_id FROM grids_gridcell"
    " WHERE kind = %s AND ST_Covers(geom, ST_SetSRID(ST_MakePoint(%s, %s), 4326)) ORDER BY code LIMIT 1"
)
CASE_SQL = """
INSERT INTO cases_case (
    number, category_id, status, source, description, location, address, grid_cell_id, cell_code,
    centre_id, reporter_id, client_key, self_resolved, sign_for_hours, handle_days, reported_at,
    reject_kind, rework_count, created_at, updated_at
)
SELECT
    -- as cases.services.filing_sql writes it: district prefix, local date, serial (at least 6 digits)
    left(%(code)s, 6) || to_char(now() AT TIME ZONE %(tz)s, 'YYYYMMDD') || lpad(s.n::text, greatest(6, length(s.n::text)), '0'),
    %(category)s, %(status)s, %(source)s, %(description)s, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326), '',
    %(cell)s, %(code)s, %(centre)s, %(reporter)s, %(key)s, false, %(sign_for_hours)s, %(handle_days)s, now(),
    '', 0, now(), now()
FROM (SELECT nextval('cases_case_number_seq') AS n) AS s
RETURNING id
"""
EVENT_SQL = """
INSERT INTO cases_caseevent (case_id, actor_id, role, action, from_status, to_status, unit_id, note, created_at)
VALUES (%s, %s, 'grid_worker', %s, '', %s, NULL, '', now())
"""


@dataclass(frozen=True)
class Category:
    id: int
    code: str
    sign_for_hours: int
    handle_days: int


@dataclass(frozen=True)
class Worker:
    id: int
    username: str
    # Where this worker reports: lon, lat and code of the cell (one of theirs) it was drawn in.
    points: tuple[tuple[float, float, str], ...] = ()


@dataclass(frozen=True)
class City:
    categories: list[Category]
    workers: list[Worker]

    @property
    def points(self) -> list[tuple[float, float, str]]:
        return [point for worker in self.workers for point in worker.points]


class Client(Protocol):
    def report(self) -> str | None:
        """Files one report; None on success, else what went wrong."""

    def close(self) -> None: ...


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients, for the API and the baseline")
    parser.add_argument("--seconds", type=float, default=20.0, help="duration of each measured phase")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: as the Procfile says)")
    parser.add_argument("--threads", type=int, help="threads per gthread worker (default: as the Procfile says)")
    parser.add_argument("--worker-class", help="gunicorn worker class, sync or gthread (default: the Procfile's)")
    parser.add_argument("--auth", default="token", help="token, session or basic, or several: token,basic")
    parser.add_argument("--warmup", type=int, default=2, help="untimed reports per client before each API phase")
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args()
    modes = [m.strip() for m in args.auth.split(",") if m.strip()]
    if not modes or not set(modes) <= set(AUTH_MODES):
        parser.error(f"--auth is one or more of {', '.join(AUTH_MODES)}, separated by commas")
    if not 1 <= args.clients <= 64 or not 1 <= args.seconds <= 600:
        parser.error("1 ≤ --clients ≤ 64, 1 ≤ --seconds ≤ 600")
    if not 1 <= (args.workers or 1) <= 32 or not 1 <= (args.threads or 1) <= 64:
        parser.error("1 ≤ --workers ≤ 32, 1 ≤ --threads ≤ 64")
    web = gunicorn_options(args)

    db = settings.DATABASES["default"]
    server = Server(
        host=db.get("HOST") or "127.0.0.1", port=int(db.get("PORT") or 5432),
        user=db.get("USER") or "postgres", password=db.get("PASSWORD") or "",
    )
    name = f"{db['NAME']}_bench_intake"
    print(machine(server))
    with scratch_database(server, name), TemporaryDirectory(prefix="bench-intake-") as tmp:
        load_city(server.url(name))
        city = read_city(server.conninfo(name), seed=args.seed)
        print(
            f"inputs: {len(city.points):,} points ({POINTS_PER_CELL} random inside each of the grid workers' own cells), "
            f"{len(city.categories)} leaf categories, grid workers {', '.join(w.username for w in city.workers)}; "
            f"{args.clients} clients × {args.seconds:g} s per phase"
        )
        results: list[Phase] = []
        with gunicorn_server(server.url(name), web, log=Path(tmp) / "gunicorn.log") as (port, pid):
            for mode in modes:
                label = f"API ({mode} auth, gunicorn {web.describe()})"
                make_api: Callable[[int], Client] = functools.partial(api_client, port, city, mode, args)
                results.append(run_phase(label, make_api, args, conninfo=server.conninfo(name), gunicorn_pid=pid))
                print(results[-1].describe())
        raw = run_phase("raw (psycopg, one transaction per report)",
                        lambda i: RawClient(server.conninfo(name), city, i, args.seed), args,
                        conninfo=server.conninfo(name), gunicorn_pid=None)
        print(raw.describe())
        for api in results:
            ratio = api.rate / raw.rate if raw.rate else 0.0
            p95 = api.quantile(95)
            print(
                f"ratio: {api.label} ÷ raw = {api.rate:,.1f} ÷ {raw.rate:,.1f} reports/s = {ratio:.1%} "
                f"(aim ≥ {AIM_RATIO:.0%}: {'met' if ratio >= AIM_RATIO else 'NOT met'}); "
                f"p95 {p95 * 1000:,.1f} ms (aim < {AIM_P95 * 1000:.0f} ms: {'met' if p95 < AIM_P95 else 'NOT met'})"
            )
        failed = [p for p in [*results, raw] if p.errors]
        if failed:
            raise SystemExit("FAIL: " + "; ".join(f"{p.label}: {sum(p.errors.values())} errors" for p in failed))


# --- the scratch database -------------------------------------------------------------------


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    user: str
    password: str

    def conninfo(self, dbname: str) -> str:
        return make_conninfo(host=self.host, port=self.port, user=self.user, password=self.password or None,
                             dbname=dbname, connect_timeout=10)

    def url(self, dbname: str) -> str:
        auth = urllib.parse.quote(self.user, safe="")
        if self.password:
            auth += ":" + urllib.parse.quote(self.password, safe="")
        return f"postgis://{auth}@{self.host}:{self.port}/{dbname}"


@contextlib.contextmanager
def scratch_database(server: Server, name: str) -> Iterator[None]:
    """An empty database beside the dev one, dropped afterwards whatever happens. Not a
    TEMPLATE copy of the dev database: that fails while anyone is connected to it."""
    ident = sql.Identifier(name)
    with psycopg.connect(server.conninfo("postgres"), autocommit=True) as admin:
        # A leftover of a run killed with SIGKILL has this script's own name: safe to drop.
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(ident))
    try:
        yield
    finally:
        # FORCE: a client thread still connected after Ctrl-C must not keep the database alive.
        with psycopg.connect(server.conninfo("postgres"), autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))
        print(f"scratch database {name} dropped")


def load_city(url: str) -> None:
    """Migrates and loads the demo city without cases, through manage.py as a deploy would."""
    env = {**os.environ, "DATABASE_URL": url, "CELERY_BROKER_URL": ISOLATED_BROKER}
    started = time.perf_counter()
    # The demo accounts must choose a new password at their first sign-in (accounts); the
    # bench's phones sign in with the printed one, so that demand is waived here, as
    # scripts/readme_screenshots.py does, in the scratch database only.
    waive = ("from django.contrib.auth import get_user_model\nfrom accounts.services import waive_password_change\n"
             "from demo.people import DEMO_USERNAMES\n"
             "for u in get_user_model().objects.filter(username__in=DEMO_USERNAMES):\n    waive_password_change(u)")
    for command in (["migrate", "--verbosity", "0"], ["load_demo_city", "--cases", "0"], ["shell", "-c", waive]):
        done = subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=300, check=False)
        if done.returncode:
            raise SystemExit(f"manage.py {' '.join(command)} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    name = url.rsplit("/", 1)[1]
    print(f"scratch database {name}: migrated and demo city loaded in {time.perf_counter() - started:.1f} s")


def read_city(conninfo: str, *, seed: int) -> City:
    with psycopg.connect(conninfo) as conn:
        categories = [Category(*row) for row in conn.execute(
            "SELECT id, code, sign_for_hours, handle_days FROM cases_category"
            " WHERE active AND parent_id IS NOT NULL ORDER BY code"
        )]
        # Demo grid workers who can sign in; the background accounts' passwords are unusable ('!').
        accounts = conn.execute(
            "SELECT DISTINCT u.id, u.username FROM auth_user u JOIN grids_gridassignment a ON a.worker_id = u.id"
            " WHERE u.is_active AND u.password NOT LIKE '!%%' ORDER BY u.username"
        ).fetchall()
        workers = []
        for user_id, username in accounts:
            # A grid worker reports in their own cells (the API refuses a point elsewhere).
            # ST_GeneratePoints draws inside the polygon, so every point has exactly one cell
            # (a point on a shared edge has probability zero); seeded, so runs draw the same.
            points = conn.execute(
                "SELECT ST_X(p.geom), ST_Y(p.geom), c.code FROM grids_gridassignment a"
                " JOIN grids_gridcell c ON c.id = a.cell_id, LATERAL ST_Dump(ST_GeneratePoints(c.geom, %s, %s)) p"
                " WHERE a.worker_id = %s AND c.kind = %s ORDER BY c.code, p.path",
                [POINTS_PER_CELL, seed, user_id, GridCell.Kind.COMPREHENSIVE.value],
            ).fetchall()
            workers.append(Worker(user_id, username, tuple((float(x), float(y), str(c)) for x, y, c in points)))
    if not categories or not workers or not all(w.points for w in workers):
        raise SystemExit(f"the demo city lacks categories ({len(categories)}) or grid workers with cells "
                         f"({', '.join(f'{w.username}: {len(w.points)} points' for w in workers) or 'none'})")
    return City(categories=categories, workers=workers)


# --- gunicorn -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Gunicorn:
    app: str
    options: list[str]  # the Procfile's, those given on the command line replacing its own

    def setting(self, *names: str) -> str | None:
        value = None
        for i, word in enumerate(self.options):
            for name in names:
                if word == name and i + 1 < len(self.options):
                    value = self.options[i + 1]
                elif word.startswith(name + "="):
                    value = word.split("=", 1)[1]
        return value

    def describe(self) -> str:
        kind = self.setting("--worker-class", "-k") or "sync"
        workers = self.setting("--workers", "-w") or "1"
        if kind == "gthread":
            return f"gthread, {workers} workers × {self.setting('--threads') or '1'} threads"
        return f"{kind}, {workers} workers"


def gunicorn_options(args: argparse.Namespace) -> Gunicorn:
    """The Procfile's web command, without where it listens and logs, so the bench serves as
    production does; --workers, --threads and --worker-class override it."""
    line = next(x for x in (ROOT / "Procfile").read_text().splitlines() if x.startswith("web:"))
    words = shlex.split(line.split(":", 1)[1])
    if not words or Path(words[0]).name != "gunicorn" or len(words) < 2:
        raise SystemExit(f"the Procfile's web process is not gunicorn: {line}")
    overrides = {"--worker-class": args.worker_class, "--workers": args.workers, "--threads": args.threads}
    aliases = {"-k": "--worker-class", "-w": "--workers"}
    dropped = {"--bind", "-b", "--access-logfile"} | {k for k, v in overrides.items() if v is not None}
    if args.worker_class not in (None, "gthread"):
        dropped.add("--threads")  # with threads > 1, gunicorn would run gthread workers anyway
    options: list[str] = []
    rest = iter(words[2:])
    for word in rest:
        name = word.split("=", 1)[0]
        if aliases.get(name, name) in dropped:
            if "=" not in word:
                next(rest, None)  # its value
        else:
            options.append(word)
    for flag, value in overrides.items():
        if value is not None:
            options += [flag, str(value)]
    return Gunicorn(app=words[1], options=options)


@contextlib.contextmanager
def gunicorn_server(url: str, web: Gunicorn, *, log: Path) -> Iterator[tuple[int, int]]:
    """gunicorn as the Procfile starts it (no access log), on a free loopback port, answering
    before this yields; stopped afterwards whatever happens."""
    port = free_port()
    env = {
        **os.environ, "DATABASE_URL": url, "DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1", "LOG_LEVEL": "WARNING", "CELERY_BROKER_URL": ISOLATED_BROKER,
        "FIELD_ENCRYPTION_SALT": secrets.token_urlsafe(16),
        # Production mode, but plain HTTP on loopback: no redirect to https, and cookies the
        # client may send back over http (TLS is the proxy's in a deployment).
        "SECURE_SSL_REDIRECT": "false", "SESSION_COOKIE_SECURE": "false", "CSRF_COOKIE_SECURE": "false",
    }
    command = [str(Path(sys.executable).parent / "gunicorn"), web.app, *web.options, "--bind", f"127.0.0.1:{port}"]
    with log.open("wb") as out:
        # Its own session: a Ctrl-C here reaches only this script, whose `finally` stops it.
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        started = time.perf_counter()
        wait_until_answering(proc, port, log)
        print(f"gunicorn: {' '.join(command[1:])} (pid {proc.pid}) answering after {time.perf_counter() - started:.1f} s")
        yield port, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the group this script created: master and workers
            proc.wait(timeout=5)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_answering(proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            conn.request("GET", "/accounts/login/")
            if conn.getresponse().status < 500:
                return
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer within {TIMEOUT:.0f} s:\n{log.read_text(errors='replace')[-3000:]}")


# --- clients --------------------------------------------------------------------------------


def api_client(port: int, city: City, auth: str, args: argparse.Namespace, index: int) -> ApiClient:
    return ApiClient(port, city, index, auth, args)


class ApiClient:
    """One phone: keeps its connection when the server allows (gunicorn's sync workers close
    it after every response, so each report also pays a TCP connect, as in production)."""

    def __init__(self, port: int, city: City, index: int, auth: str, args: argparse.Namespace) -> None:
        self.city = city
        self.rng = random.Random(args.seed * 1000 + index)
        self.worker = worker = city.workers[index % len(city.workers)]
        self.port = port
        self.headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if auth == "basic":
            credentials = base64.b64encode(f"{worker.username}:{PASSWORD}".encode()).decode()
            self.headers["Authorization"] = f"Basic {credentials}"
        elif auth == "token":
            self.headers["Authorization"] = f"Token {api_token(port, worker.username)}"
        else:
            self.headers.update(session_headers(port, worker.username))
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
        for _ in range(args.warmup):  # imports, URL resolver and DB connection of the worker that answers
            error = self.report()
            if error:
                raise RuntimeError(f"warm-up report as {worker.username} failed: {error}")
        # Waiting for the other clients may outlast the server's keep-alive (gthread workers
        # close an idle connection after 2 s), and a request sent on a connection the server
        # has just closed fails: start the phase on a new one, as a phone waking up would.
        self.conn.close()

    def report(self) -> str | None:
        lon, lat, code = self.rng.choice(self.worker.points)
        body = json.dumps({
            "category": self.rng.choice(self.city.categories).code,
            "description": "基准测试上报：路面破损",  # a pothole, the commonest report
            "lon": lon, "lat": lat, "coord_system": "wgs84", "client_key": uuid.uuid4().hex,
        }).encode()
        try:
            self.conn.request("POST", "/api/cases/", body=body, headers=self.headers)
            response = self.conn.getresponse()
            status, payload = response.status, response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.conn.close()
            return f"connection: {exc!r}"
        if status != 201:
            return f"HTTP {status}: {payload[:300].decode(errors='replace')}"
        cell = json.loads(payload).get("grid_cell")
        return None if cell == code else f"wrong cell: {cell} for a point drawn in {code}"

    def close(self) -> None:
        self.conn.close()


def api_token(port: int, username: str) -> str:
    """What a phone does once: POST the password to /api/auth/token/ and keep the token."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        body = json.dumps({"username": username, "password": PASSWORD})
        conn.request("POST", "/api/auth/token/", body=body, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        payload = response.read()
    finally:
        conn.close()
    if response.status != 200:
        raise RuntimeError(f"no token for {username}: HTTP {response.status} {payload[:200]!r}")
    return str(json.loads(payload)["token"])


def session_headers(port: int, username: str) -> dict[str, str]:
    """Signs in through the login form once; the API then takes the session cookie and, as
    DRF's SessionAuthentication requires for a POST, the CSRF token in X-CSRFToken."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(jar))
    login = f"http://127.0.0.1:{port}/accounts/login/"
    opener.open(login, timeout=TIMEOUT).read()
    form = {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": _cookie(jar, "csrftoken"),
            "next": "/api/categories/"}  # a small JSON page to land on
    opener.open(login, data=urllib.parse.urlencode(form).encode(), timeout=TIMEOUT).read()
    session, csrf = _cookie(jar, "sessionid"), _cookie(jar, "csrftoken")  # the token rotates at sign-in
    return {"Cookie": f"sessionid={session}; csrftoken={csrf}", "X-CSRFToken": csrf}


def _cookie(jar: http.cookiejar.CookieJar, name: str) -> str:
    for cookie in jar:
        if cookie.name == name and cookie.value:
            return cookie.value
    raise RuntimeError(f"no {name} cookie: the sign-in failed")


class RawClient:
    """The ceiling: the same rows written by hand, one transaction and three statements per
    report (psycopg prepares them server-side after a few runs)."""

    def __init__(self, conninfo: str, city: City, index: int, seed: int) -> None:
        self.city = city
        self.rng = random.Random(seed * 1000 + index)
        self.worker = city.workers[index % len(city.workers)]
        self.conn = psycopg.connect(conninfo, autocommit=True)

    def report(self) -> str | None:
        lon, lat, code = self.rng.choice(self.worker.points)
        category = self.rng.choice(self.city.categories)
        try:
            with self.conn.transaction():
                row = self.conn.execute(CELL_SQL, [GridCell.Kind.COMPREHENSIVE.value, lon, lat]).fetchone()
                if row is None or row[1] != code:
                    return f"wrong cell: {row and row[1]} for a point drawn in {code}"
                cell, cell_code, centre = row
                case = self.conn.execute(CASE_SQL, {
                    "code": cell_code, "tz": settings.TIME_ZONE, "category": category.id,
                    "status": Case.Status.REPORTED.value, "source": Case.Source.API.value,
                    "description": "基准测试上报：路面破损", "lon": lon, "lat": lat, "cell": cell, "centre": centre,
                    "reporter": self.worker.id, "key": uuid.uuid4().hex, "sign_for_hours": category.sign_for_hours,
                    "handle_days": category.handle_days,
                }).fetchone()
                assert case is not None
                self.conn.execute(EVENT_SQL, [case[0], self.worker.id, CaseEvent.Action.REPORT.value,
                                              Case.Status.REPORTED.value])
        except psycopg.Error as exc:
            return f"{type(exc).__name__}: {exc}"
        return None

    def close(self) -> None:
        self.conn.close()


# --- a measured phase -------------------------------------------------------------------------


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)  # seconds, successful reports only
    errors: Counter[str] = field(default_factory=Counter)
    first_error: str = ""
    setup_error: str = ""
    finished: float = 0.0


@dataclass
class Phase:
    label: str
    clients: int
    elapsed: float
    latencies: list[float]
    errors: Counter[str]
    first_error: str
    cpu: dict[str, float]  # seconds over the phase, by component
    busy: float  # machine CPU busy, in cores

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def quantile(self, q: int) -> float:
        if len(self.latencies) < 2:
            return self.latencies[0] if self.latencies else float("nan")
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[q - 1]

    def describe(self) -> str:
        n = len(self.latencies)
        errors = sum(self.errors.values())
        lines = [
            f"{self.label}, {self.clients} clients: {n:,} reports in {self.elapsed:.1f} s → {self.rate:,.1f} reports/s; "
            f"latency p50 {self.quantile(50) * 1000:,.1f} ms, p95 {self.quantile(95) * 1000:,.1f} ms, "
            f"p99 {self.quantile(99) * 1000:,.1f} ms; errors {errors}"
        ]
        if errors:
            kinds = ", ".join(f"{k} ×{v}" for k, v in self.errors.most_common())
            lines.append(f"  errors: {kinds}; first: {self.first_error}")
        if n:
            ours = sum(self.cpu.values())
            per = ", ".join(f"{k} {v / n * 1000:,.2f} ms" for k, v in self.cpu.items())
            lines.append(
                f"  CPU per report: {per}; machine busy {self.busy:.2f} of {os.cpu_count()} cores "
                f"({ours / self.elapsed:.2f} ours, {max(0.0, self.busy - ours / self.elapsed):.2f} other processes)"
            )
        return "\n".join(lines)


def run_phase(
    label: str, make: Callable[[int], Client], args: argparse.Namespace, *, conninfo: str, gunicorn_pid: int | None
) -> Phase:
    """--clients threads each make their client (sign-in, warm-up), meet at a barrier, then
    report until --seconds have passed. CPU counters are read when all are ready and after
    all have stopped, before the clients' connections close."""
    tallies = [Tally() for _ in range(args.clients)]
    clients: list[Client | None] = [None] * args.clients
    probe = Probe(conninfo, gunicorn_pid)
    clock: dict[str, float] = {}

    def go() -> None:  # run by the last thread to reach the barrier, before any is released
        probe.before = probe.snapshot()
        clock["start"] = time.perf_counter()
        clock["deadline"] = clock["start"] + args.seconds

    gate = threading.Barrier(args.clients, action=go, timeout=120)

    def drive(i: int) -> None:
        tally = tallies[i]
        try:
            clients[i] = client = make(i)
        except Exception as exc:  # any failure to start is reported by the main thread
            tally.setup_error = f"{type(exc).__name__}: {exc}"
            gate.abort()
            return
        try:
            gate.wait()
        except threading.BrokenBarrierError:
            return
        deadline = clock["deadline"]
        for _ in range(MAX_REPORTS_PER_CLIENT):
            started = time.perf_counter()
            if started >= deadline or stop.is_set():
                break
            error = client.report()
            if error is None:
                tally.latencies.append(time.perf_counter() - started)
            else:
                tally.errors[error.split(":", 1)[0]] += 1
                tally.first_error = tally.first_error or error
        tally.finished = time.perf_counter()

    stop = threading.Event()
    threads = [threading.Thread(target=drive, args=(i,), name=f"client-{i}", daemon=True) for i in range(args.clients)]
    try:
        for t in threads:
            t.start()
        limit = time.monotonic() + 120 + args.seconds + TIMEOUT + 10  # setup + phase + one slow request
        for t in threads:
            while t.is_alive() and time.monotonic() < limit:
                t.join(timeout=0.5)
        if any(t.is_alive() for t in threads):
            raise SystemExit(f"{label}: clients still running after the time limit")
        setup = [t.setup_error for t in tallies if t.setup_error]
        if setup or "start" not in clock:
            raise SystemExit(f"{label}: a client could not start: {setup[0] if setup else 'barrier broken'}")
        after = probe.snapshot()
    finally:
        stop.set()
        for client in clients:
            if client is not None:
                with contextlib.suppress(Exception):
                    client.close()
        probe.close()
    assert probe.before is not None  # set by go() before the clients started
    elapsed = max(tally.finished for tally in tallies) - clock["start"]
    errors: Counter[str] = Counter()
    for tally in tallies:
        errors.update(tally.errors)
    return Phase(
        label=label, clients=args.clients, elapsed=elapsed,
        latencies=[x for t in tallies for x in t.latencies], errors=errors,
        first_error=next((tally.first_error for tally in tallies if tally.first_error), ""),
        cpu=after.cpu_since(probe.before), busy=after.busy_since(probe.before),
    )


# --- where the CPU goes -------------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    at: float
    machine_busy: float  # seconds, all cores
    bench: float
    gunicorn: dict[int, float]
    postgres: dict[int, float]

    def cpu_since(self, before: Snapshot) -> dict[str, float]:
        # A process that started during the phase (a backend opened by a new connection)
        # counts from zero; one that ended during it is lost, which the clients avoid.
        def delta(now: dict[int, float], then: dict[int, float]) -> float:
            return sum(v - then.get(pid, 0.0) for pid, v in now.items())

        out = {"gunicorn": delta(self.gunicorn, before.gunicorn)} if self.gunicorn else {}
        out["PostgreSQL"] = delta(self.postgres, before.postgres)
        out["bench clients"] = self.bench - before.bench
        return out

    def busy_since(self, before: Snapshot) -> float:
        return (self.machine_busy - before.machine_busy) / (self.at - before.at)


class Probe:
    def __init__(self, conninfo: str, gunicorn_pid: int | None) -> None:
        self.conn = psycopg.connect(conninfo, autocommit=True)
        self.gunicorn_pid = gunicorn_pid
        self.before: Snapshot | None = None

    def snapshot(self) -> Snapshot:
        backends = [pid for (pid,) in self.conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
        )]
        gunicorn_pids = [self.gunicorn_pid, *_children(self.gunicorn_pid)] if self.gunicorn_pid else []
        return Snapshot(
            at=time.monotonic(), machine_busy=_machine_busy(), bench=time.process_time(),
            gunicorn={pid: _cpu(pid) for pid in gunicorn_pids}, postgres={pid: _cpu(pid) for pid in backends},
        )

    def close(self) -> None:
        self.conn.close()


def _stat(pid: int) -> list[str]:
    # Fields after the command name, which may itself contain spaces and parentheses.
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def _cpu(pid: int) -> float:
    try:
        fields = _stat(pid)
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError):
                if int(_stat(int(entry.name))[1]) == pid:
                    out.append(int(entry.name))
    return out


def _machine_busy() -> float:
    with contextlib.suppress(OSError):
        ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
        return (sum(ticks) - ticks[3] - ticks[4]) / TICK  # all but idle and iowait
    return 0.0


def machine(server: Server) -> str:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 2**20:.0f} GiB RAM"
    load = ""
    with contextlib.suppress(OSError):
        load = f"; load average {' '.join(Path('/proc/loadavg').read_text().split()[:3])} at start"
    with psycopg.connect(server.conninfo("postgres")) as conn:
        row = conn.execute(
            "SELECT split_part(version(), ' ', 2), current_setting('synchronous_commit'),"
            " current_setting('shared_buffers')"
        ).fetchone()
    assert row is not None
    pg, sync, buffers = row
    hasher: Any = get_hasher()
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                          check=False).stdout.strip() or "unknown"
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                           text=True, check=False).stdout.splitlines()
    return (
        f"machine: {cpu}, {os.cpu_count()} cores{memory}; {platform.system()} {platform.release()}{load}\n"
        f"software: Python {platform.python_version()}, Django {django.get_version()}, DRF {rest_framework.VERSION}, "
        f"gunicorn {gunicorn.__version__}, psycopg {psycopg.__version__}; PostgreSQL {pg} "
        f"(synchronous_commit {sync}, shared_buffers {buffers}) on the same machine\n"
        f"passwords: {hasher.algorithm}, {getattr(hasher, 'iterations', '?'):,} iterations "
        f"(Basic auth checks the password on every request)\n"
        f"code: commit {head}" + (f" with {len(dirty)} modified tracked files" if dirty else " (clean)")
    )


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        # The context managers' `finally` blocks have already run while this unwound.
        raise SystemExit("interrupted: gunicorn stopped, scratch database dropped") from None
