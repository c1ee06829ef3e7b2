"""Takes the README's screenshots from a running wangge with the demo city loaded.

    .venv/bin/python scripts/readme_screenshots.py [--base http://127.0.0.1:8000]

Drives Debian's chromium through Playwright; writes docs/screenshots/*.png. Run it with the
server's environment (DATABASE_URL): the demo accounts it signs in as must change their
public demo password at the first sign-in, and this script waives that for the three it
uses (accounts.services.waive_password_change) in that database. supervisor_city signs in
with a TOTP code: the script sets up the authenticator on the enrolment page the first time
and computes the codes from the device's key, as a phone would.
"""

from __future__ import annotations

import argparse
import base64
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.settings")
# Playwright's sync API runs an event loop in this thread; the ORM reads below are plain
# blocking reads between page steps.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django_otp.oath import TOTP  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402
from playwright.sync_api import Page, sync_playwright  # noqa: E402

from accounts.services import waive_password_change  # noqa: E402
from demo.people import DEMO_PASSWORD  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
PASSWORD = DEMO_PASSWORD
ACCOUNTS = ("supervisor_city", "centre_district", "gw_liangxi")


def code(key: bytes, step_offset: int = 0) -> str:
    totp = TOTP(key)
    totp.time = time.time() + 30 * step_offset
    return f"{totp.token():06d}"


def second_factor(page: Page, username: str) -> None:
    """Enrols (reading the key written on the page) or verifies, as the person would."""
    secret = page.locator("#otp-secret")
    if secret.count():
        key = base64.b32decode(secret.inner_text().replace(" ", ""))
    else:
        key = TOTPDevice.objects.get(user__username=username, confirmed=True).bin_key
    # A code is accepted once per 30-second step: a second run within the step uses the next.
    for step_offset in (0, 1):
        page.fill("input[name=otp_token]", code(key, step_offset))
        page.press("input[name=otp_token]", "Enter")
        page.wait_for_load_state("networkidle")
        if "/accounts/otp/" not in page.url:
            return
    raise SystemExit(f"{username}: the TOTP code was refused")


def login(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_load_state("networkidle")
    if "/accounts/otp/" in page.url:
        second_factor(page, username)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    args = parser.parse_args()
    for user in get_user_model().objects.filter(username__in=ACCOUNTS):
        waive_password_change(user)
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        desktop = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
        page = desktop.new_page()
        login(page, args.base, "supervisor_city")
        page.goto(f"{args.base}/supervisor/map/")
        page.wait_for_timeout(2500)
        page.screenshot(path=OUT / "supervisor-map.png")
        page.goto(f"{args.base}/supervisor/dashboard/?date_from=2026-01-01&date_to=2026-12-31")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=OUT / "supervisor-dashboard.png")
        desktop.close()

        centre = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
        page = centre.new_page()
        login(page, args.base, "centre_district")
        page.goto(f"{args.base}/centre/queue/")
        page.screenshot(path=OUT / "centre-queue.png")
        centre.close()

        phone = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN", device_scale_factor=2)
        page = phone.new_page()
        login(page, args.base, "gw_liangxi")
        page.goto(f"{args.base}/worker/today/")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=OUT / "grid-worker-today.png")
        page.goto(f"{args.base}/cases/report/")
        page.wait_for_timeout(1500)
        page.screenshot(path=OUT / "grid-worker-report.png")
        phone.close()
        browser.close()


if __name__ == "__main__":
    main()
