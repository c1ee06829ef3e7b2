"""Helpers of the sign-in tests: the real login form, Basic credentials, and TOTP codes
computed from a device's key as an authenticator app does."""

from __future__ import annotations

import base64
import re
import time
from typing import Any

from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from rest_framework.test import APIClient

from tests.browser.helpers import totp_code

PASSWORD = "pw-for-tests-1"  # tests.factories.UserFactory's password
NEW_PASSWORD = "Wangge-new-2026"

__all__ = ["NEW_PASSWORD", "PASSWORD", "basic_client", "form_login", "secret_on_page", "totp_code", "wrong_code"]


def form_login(client: Client, username: str, password: str = PASSWORD, **extra: Any) -> Any:
    return client.post(reverse("login"), {"username": username, "password": password, **extra})


def basic_client(username: str, password: str = PASSWORD) -> APIClient:
    credentials = base64.b64encode(f"{username}:{password}".encode()).decode()
    return APIClient(HTTP_ACCEPT_LANGUAGE="en", HTTP_AUTHORIZATION=f"Basic {credentials}")


def wrong_code(key: bytes) -> str:
    """A code that none of the three time steps the device accepts (now ±1) gives."""
    accepted = set()
    for offset in (-1, 0, 1):
        totp = TOTP(key)
        totp.time = time.time() + 30 * offset
        accepted.add(f"{totp.token():06d}")
    return next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in accepted)


def secret_on_page(html: str) -> bytes:
    """The key the enrolment page writes out for people who cannot scan, as bytes."""
    match = re.search(r'<p class="otp-secret" id="otp-secret">([A-Z2-7 ]+)</p>', html)
    assert match, "no secret on the page"
    return base64.b32decode(match.group(1).replace(" ", ""))
