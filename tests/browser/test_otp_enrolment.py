"""A supervisor's first sign-in in a real browser: password, then the two-step sign-in set
up by scanning (here: reading) the key on the page and typing the authenticator's code,
then the map. Screenshots go to artifacts/screenshots/."""

from __future__ import annotations

import base64
import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from access.models import RoleAssignment
from tests.accounts.helpers import wrong_code
from tests.browser.helpers import CHROMIUM, JS_ERRORS, PASSWORD, shot, totp_code
from tests.factories import UserFactory

sync_api = pytest.importorskip("playwright.sync_api")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed"),
]


def test_supervisor_enrols_totp_and_lands_on_the_map(django_db_setup, live_server, browser, town) -> None:
    # django_db_setup first: the live server starts after the test database exists (see
    # test_thin_flow).
    user = UserFactory(username="supervisor_first")
    RoleAssignment.objects.create(user=user, role=RoleAssignment.Role.SUPERVISOR, area=town.district)
    base = live_server.url
    JS_ERRORS.clear()

    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="en-US", device_scale_factor=1)
    page = context.new_page()
    page.on("pageerror", lambda error: JS_ERRORS.append(str(error)))
    page.on("console", lambda msg: msg.type == "error" and JS_ERRORS.append(msg.text))
    page.set_default_timeout(10_000)
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("User name").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/accounts/otp/"))
    assert page.get_by_role("heading", name="Set up two-step sign-in").is_visible()
    qr = page.locator("svg.otp-qr")
    assert qr.is_visible() and qr.bounding_box()["width"] >= 150
    shot(page, "10-otp-enrol")

    # What a person types into their authenticator app when they cannot scan.
    key = base64.b32decode(page.locator("#otp-secret").inner_text().replace(" ", ""))
    assert key == TOTPDevice.objects.get(user=user, confirmed=False).bin_key
    page.get_by_label("Code from your authenticator app").fill(wrong_code(key))
    page.get_by_role("button", name="Confirm and continue").click()
    page.wait_for_selector("text=Wrong or expired code")
    shot(page, "11-otp-wrong-code")
    # The refused form is a 400 page, which chromium logs; nothing else may be.
    assert [e for e in JS_ERRORS if "status of 400" not in e] == []
    JS_ERRORS.clear()
    TOTPDevice.objects.filter(user=user).update(throttling_failure_timestamp=None, throttling_failure_count=0)

    page.get_by_label("Code from your authenticator app").fill(totp_code(key))
    page.get_by_role("button", name="Confirm and continue").click()
    page.wait_for_url(re.compile(r"/supervisor/map/$"))
    page.wait_for_selector("#supervisor-map[data-features]")
    # The map opens on the district's streets (the town has one).
    assert page.locator("#supervisor-map").get_attribute("data-features") == "1"
    assert page.get_by_text("Your authenticator app is set up.").is_visible()
    shot(page, "12-otp-enrolled-map")
    assert TOTPDevice.objects.get(user=user).confirmed
    context.close()
    assert JS_ERRORS == []


def test_a_given_password_is_changed_before_the_authenticator_is_set_up(django_db_setup, live_server, browser,
                                                                        town) -> None:
    """Issue 12: a demo administrator's first sign-in enrolled TOTP before the forced password
    change, so whoever signed in first with the public password took the secret. Now: the
    password change, with no key on the page, then the enrolment, then the map."""
    from accounts import services

    user = UserFactory(username="supervisor_demo")
    RoleAssignment.objects.create(user=user, role=RoleAssignment.Role.SUPERVISOR, area=town.district)
    services.require_password_change(user)
    base = live_server.url
    JS_ERRORS.clear()

    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="en-US", device_scale_factor=1)
    page = context.new_page()
    page.on("pageerror", lambda error: JS_ERRORS.append(str(error)))
    page.on("console", lambda msg: msg.type == "error" and JS_ERRORS.append(msg.text))
    page.set_default_timeout(10_000)
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("User name").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/accounts/password_change/"))
    assert page.get_by_text("Choose your own password before you go on").is_visible()
    assert page.locator("#otp-secret").count() == 0 and page.locator("svg.otp-qr").count() == 0
    # Going to the enrolment page by hand leads back here, and no device is made.
    page.goto(f"{base}/accounts/otp/")
    page.wait_for_url(re.compile(r"/accounts/password_change/"))
    assert not TOTPDevice.objects.filter(user=user).exists()
    shot(page, "13-password-before-otp")

    page.get_by_label("Old password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill("Wangge-new-2026")
    page.get_by_label("New password confirmation").fill("Wangge-new-2026")
    page.get_by_role("button", name="Change password").click()
    page.wait_for_url(re.compile(r"/accounts/otp/"))
    assert page.get_by_role("heading", name="Set up two-step sign-in").is_visible()
    key = base64.b32decode(page.locator("#otp-secret").inner_text().replace(" ", ""))
    page.get_by_label("Code from your authenticator app").fill(totp_code(key))
    page.get_by_role("button", name="Confirm and continue").click()
    page.wait_for_url(re.compile(r"/supervisor/map/$"))
    assert TOTPDevice.objects.get(user=user).confirmed
    context.close()
    assert JS_ERRORS == []
