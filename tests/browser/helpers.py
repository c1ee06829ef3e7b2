"""Helpers of the browser tests: signing in through the real forms (password, then the
TOTP code for administrators and supervisors) and screenshots for people to look at."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
PASSWORD = "pw-for-tests-1"  # tests.factories.UserFactory's password

# JavaScript errors on any page fail the test: a broken map would otherwise pass silently.
JS_ERRORS: list[str] = []


def shot(page: Any, step: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{step}.png"), full_page=True)


def totp_code(key: bytes, *, step_offset: int = 0) -> str:
    """The code an authenticator app shows for `key` now (or `step_offset` 30-second steps
    later: a device accepts each time step once, and one step ahead by its tolerance)."""
    totp = TOTP(key)
    totp.time = time.time() + 30 * step_offset
    return f"{totp.token():06d}"


def type_otp_code(page: Any, username: str) -> None:
    """On /accounts/otp/, types the code of the user's enrolled device, as they would from
    their phone."""
    device = TOTPDevice.objects.get(user__username=username, confirmed=True)
    page.get_by_label("Code from your authenticator app").fill(totp_code(device.bin_key))
    page.get_by_role("button", name="Check the code").click()
    page.wait_for_load_state()


def sign_in(browser: Any, base: str, username: str, *, phone: bool = False) -> Any:
    viewport = {"width": 360, "height": 740} if phone else {"width": 1280, "height": 860}
    context = browser.new_context(viewport=viewport, locale="en-US", is_mobile=phone, has_touch=phone,
                                  device_scale_factor=1)
    page = context.new_page()
    page.on("pageerror", lambda error: JS_ERRORS.append(f"{username}: {error}"))
    page.on("console", lambda msg: msg.type == "error" and JS_ERRORS.append(f"{username}: {msg.text}"))
    page.set_default_timeout(10_000)
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    if "/accounts/otp/" in page.url:  # administrators and supervisors: the second factor
        type_otp_code(page, username)
    return page


# WCAG 2.1 A and AA: the level public-sector sites are held to (GB/T 37668 follows WCAG 2.0 AA).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(page: Any) -> list[str]:
    """axe-core's WCAG A/AA violations on the page as it is now, one line per rule with the
    first offending elements; axe-playwright-python ships axe-core, so this runs offline."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]})
    found = []
    for violation in results.response["violations"]:
        targets = [" ".join(map(str, node["target"])) for node in violation["nodes"][:3]]
        found.append(f"{violation['id']} ({violation['impact']}): {violation['help']} at {targets}")
    return found
