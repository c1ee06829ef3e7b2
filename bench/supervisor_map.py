"""Benchmark: the supervisor map in a real browser at full scale (10,000 grid cells).

Times navigation start → every place of the layer painted (the page's JS sets the
performance mark `map-drawn` two animation frames after adding the canvas layer) in Debian's
chromium through Playwright, signed in as the demo city supervisor (password + TOTP), cache
disabled, for:

- city overview: /supervisor/map/ (the seven districts, aggregated in SQL by code prefix)
- district drill-down: ?area=320213 (梁溪区's streets)
- community: ?area=<梁溪区's busiest community> (its grid cells)
- full-city cell layer: ?cells=1 (every grid cell, simplified for the city zoom)

Baseline, measured in the same run and browser: the map as it was before (the verbatim copy
bench/old_supervisor_map.js): every cell from /api/geo/cells/ (2 m simplification, 5
decimals), two L.geoJSON layers with a popup bound per feature, one shown. It is served as a
page Playwright answers itself on the app's origin, so it uses the same session, server and
Leaflet. The aim (issue 6): usable within 2 s.

    .venv/bin/python bench/supervisor_map.py [--scale 2.8] [--cases 2000] [--repeat 5]

Everything runs in a scratch database <name>_bench_map, migrated, loaded with
`manage.py load_demo_city --scale 2.8` (10,018 cells), risk-scored, and dropped at the end
whatever happens. gunicorn (the Procfile's options, DEBUG off) serves it on a free loopback
port; the browser fetches nothing else.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.settings")

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402
from django_otp.oath import TOTP  # noqa: E402

from bench.intake import ISOLATED_BROKER, Server, gunicorn_options, gunicorn_server, scratch_database  # noqa: E402
from demo.people import DEMO_PASSWORD  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
SUPERVISOR = "supervisor_city"
# The bench's own authenticator: a fixed key, so the script can type the code.
TOTP_KEY_HEX = "3132333435363738393031323334353637383930"
DISTRICT = "320213"
AIM_SECONDS = 2.0
OLD_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>old map</title>
<link rel="stylesheet" href="/static/leaflet/leaflet.css"><link rel="stylesheet" href="/static/wangge/css/wangge.css">
</head><body class="full-map"><main>
<script id="map-labels" type="application/json">{labels}</script>
<div id="supervisor-map" class="map" data-cells-url="/api/geo/cells/" data-tiles=""></div>
<p id="map-status" class="map-status">loading</p></main>
<script src="/static/leaflet/leaflet.js"></script><script src="/static/wangge/js/maps.js"></script>
<script>
// The same "data parsed" mark the new page sets, so both split into fetching and drawing.
var fetchJSON = window.wangge.fetchJSON;
window.wangge.fetchJSON = function (url) {{
  return fetchJSON(url).then(function (data) {{ performance.mark("map-data"); return data; }});
}};
</script>
<script src="/bench/old-supervisor-map.js"></script>
<script>
// The old page set data-features once the layer was added: two frames later it is painted.
new MutationObserver(function (changes, observer) {{
  observer.disconnect();
  requestAnimationFrame(function () {{ requestAnimationFrame(function () {{
    performance.mark("map-drawn");
    document.getElementById("supervisor-map").dataset.drawn = "1";
  }}); }});
}}).observe(document.getElementById("supervisor-map"), {{ attributes: true, attributeFilter: ["data-features"] }});
</script></body></html>"""
OLD_LABELS = (
    '{"open_cases": "Open cases", "risk": "Risk level", "no_risk": "Not scored", "score": "Score", '
    '"factors": "Factors", "code": "Code", "loading": "", "failed": "failed", "none": "none", '
    '"levels": {"red": "I", "orange": "II", "yellow": "III", "blue": "IV"}, "factor_names": {}}'
)


def manage(url: str, *command: str, timeout: int = 900) -> str:
    env = {**os.environ, "DATABASE_URL": url, "CELERY_BROKER_URL": ISOLATED_BROKER}
    done = subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)
    if done.returncode:
        raise SystemExit(f"manage.py {' '.join(command)} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return done.stdout


def prepare(url: str, *, scale: float, cases: int, load: bool = True) -> None:
    """Migrates, loads the city, scores risk and gives the supervisor a known TOTP device."""
    started = time.perf_counter()
    if load:
        manage(url, "migrate", "--verbosity", "0")
        out = manage(url, "load_demo_city", "--scale", str(scale), "--cases", str(cases))
        print(out.strip().splitlines()[-2])
        manage(url, "score_risk")
    account = (
        "from django.contrib.auth import get_user_model\n"
        "from django_otp.plugins.otp_totp.models import TOTPDevice\n"
        "from accounts.services import waive_password_change\n"
        f"u = get_user_model().objects.get(username={SUPERVISOR!r})\n"
        "waive_password_change(u)\n"
        "TOTPDevice.objects.filter(user=u).delete()\n"
        f"TOTPDevice.objects.create(user=u, name='bench', confirmed=True, key={TOTP_KEY_HEX!r})\n"
    )
    manage(url, "shell", "-c", account)
    manage(url, "collectstatic", "--noinput", "--verbosity", "0")
    print(f"scratch database prepared in {time.perf_counter() - started:.1f} s")


def busiest_community(conninfo: str) -> str:
    with psycopg.connect(conninfo) as conn:
        row = conn.execute(
            "SELECT left(cell_code, 12) FROM cases_case WHERE cell_code LIKE %s AND status <> 'closed' "
            "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1", [DISTRICT + "%"],
        ).fetchone()
        cells = conn.execute("SELECT count(*) FROM grids_gridcell").fetchone()
    print(f"grid cells: {cells[0]:,}", flush=True)
    return str(row[0]) if row else DISTRICT + "001001"


def sign_in(browser: Any, base: str) -> Any:
    context = browser.new_context(viewport={"width": 1366, "height": 800}, locale="zh-CN", device_scale_factor=1)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(f"{base}/accounts/login/")
    page.locator("#id_username").fill(SUPERVISOR)
    page.locator("#id_password").fill(DEMO_PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()
    if "/accounts/otp/" in page.url:
        totp = TOTP(bytes.fromhex(TOTP_KEY_HEX))
        page.locator("input[name=otp_token], input[autocomplete=one-time-code]").first.fill(f"{totp.token():06d}")
        page.locator("main form button[type=submit]").first.click()
        page.wait_for_load_state()
    if "/accounts/" in page.url:
        raise SystemExit(f"could not sign in as {SUPERVISOR}: still on {page.url}")
    return page


def timed(page: Any, url: str) -> dict[str, float]:
    """Navigation start → the map-drawn mark, with what the layer cost on the wire."""
    page.goto(url, wait_until="commit")
    page.wait_for_selector("#supervisor-map[data-drawn], #supervisor-map[data-features=error]", state="attached",
                           timeout=60_000)
    if page.locator("#supervisor-map").get_attribute("data-features") == "error":
        raise SystemExit(f"the map could not load its layer: {url}")
    return page.evaluate(
        """() => {
            const mark = performance.getEntriesByName("map-drawn")[0];
            const data = performance.getEntriesByName("map-data")[0];
            const layer = performance.getEntriesByType("resource").filter(
                (e) => e.name.includes("/api/geo/"))[0] || {};
            const drawn = Number(document.getElementById("supervisor-map").dataset.features);
            return {seconds: mark.startTime / 1000, draw: data ? (mark.startTime - data.startTime) / 1000 : 0,
                    transfer: layer.transferSize || 0,
                    body: layer.decodedBodySize || 0, server: (layer.responseStart - layer.requestStart) / 1000 || 0,
                    features: drawn};
        }"""
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=2.8, help="demo city cell multiplier (2.8: 10,018 cells)")
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--use-database", metavar="NAME",
                        help="a database already loaded this way (kept; only the supervisor's device is set)")
    args = parser.parse_args()
    if not 1 <= args.repeat <= 20:
        parser.error("1 ≤ --repeat ≤ 20")
    from playwright.sync_api import sync_playwright

    web = gunicorn_options(argparse.Namespace(worker_class=None, workers=None, threads=None))
    db = settings.DATABASES["default"]
    server = Server(host=db.get("HOST") or "127.0.0.1", port=int(db.get("PORT") or 5432),
                    user=db.get("USER") or "postgres", password=db.get("PASSWORD") or "")
    name = f"{db['NAME']}_bench_map"
    chromium = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, check=False).stdout.strip()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; Python {platform.python_version()}; {chromium}",
          flush=True)
    old_js = (ROOT / "bench" / "old_supervisor_map.js").read_text()
    database = contextlib.nullcontext() if args.use_database else scratch_database(server, name)
    name = args.use_database or name
    with database, TemporaryDirectory(prefix="bench-map-") as tmp:
        prepare(server.url(name), scale=args.scale, cases=args.cases, load=not args.use_database)
        community = busiest_community(server.conninfo(name))
        with gunicorn_server(server.url(name), web, log=Path(tmp) / "gunicorn.log") as (port, _pid), \
                sync_playwright() as playwright:
            base = f"http://127.0.0.1:{port}"
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            try:
                page = sign_in(browser, base)
                page.route(f"{base}/bench/old-map/", lambda route: route.fulfill(
                    status=200, content_type="text/html; charset=utf-8", body=OLD_PAGE.format(labels=OLD_LABELS)))
                page.route(f"{base}/bench/old-supervisor-map.js", lambda route: route.fulfill(
                    status=200, content_type="text/javascript", body=old_js))
                # Every visit cold: no layer or script from the HTTP cache.
                cdp = page.context.new_cdp_session(page)
                cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
                scenarios = [
                    ("baseline: old map, every cell, /api/geo/cells/", f"{base}/bench/old-map/"),
                    ("city overview (districts)", f"{base}/supervisor/map/"),
                    (f"district drill-down ({DISTRICT}: streets)", f"{base}/supervisor/map/?area={DISTRICT}"),
                    (f"community ({community}: grid cells)", f"{base}/supervisor/map/?area={community}"),
                    ("full-city cell layer (?cells=1)", f"{base}/supervisor/map/?cells=1"),
                ]
                for _label, url in scenarios:  # warm-up: server plans, browser compile caches
                    timed(page, url)
                results: dict[str, list[dict[str, float]]] = {label: [] for label, _url in scenarios}
                for _ in range(args.repeat):  # interleaved, so drift hits every scenario alike
                    for label, url in scenarios:
                        results[label].append(timed(page, url))
            finally:
                browser.close()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"navigation start → layer painted, cache disabled, median (best) of {args.repeat}; load average {load}:")
    base_median = statistics.median(r["seconds"] for r in results[scenarios[0][0]])
    for label, _url in scenarios:
        runs = results[label]
        median = statistics.median(r["seconds"] for r in runs)
        best = min(r["seconds"] for r in runs)
        last = runs[-1]
        ratio = "" if label.startswith("baseline") else f"; {base_median / median:.1f}x faster than the baseline"
        verdict = "within" if median <= AIM_SECONDS else "OVER"
        print(f"  {label}: {median:.2f} s ({best:.2f}) {verdict} {AIM_SECONDS:g} s; {int(last['features']):,} features, "
              f"layer {last['body'] / 1e6:.2f} MB ({last['transfer'] / 1e6:.2f} MB gzip), "
              f"server {statistics.median(r['server'] for r in runs):.2f} s, parsed → painted "
              f"{statistics.median(r['draw'] for r in runs):.2f} s{ratio}")


if __name__ == "__main__":
    main()
