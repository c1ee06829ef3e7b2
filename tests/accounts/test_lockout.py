"""Lockout after AXES_FAILURE_LIMIT failed sign-ins (django-axes), on every way in: the login
page, the admin's, the token endpoint and HTTP Basic; lifted by the cool-off or an
administrator; the same answers whether or not the user name exists."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from tests.accounts.helpers import PASSWORD, basic_client, form_login
from tests.factories import UserFactory

LOCKED = "Too many failed sign-in attempts: this account is locked for 30 minutes."


def _fail(client: Client, username: str, times: int):
    response = None
    for _ in range(times):
        response = form_login(client, username, "wrong-password")
    return response


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_login_page_locks_after_five_failures(en_client, grid_worker) -> None:
    response = _fail(en_client, "gw_a", 4)
    assert response.status_code == 200 and "Wrong user name or password" in response.text
    response = _fail(en_client, "gw_a", 1)
    assert response.status_code == 403
    assert LOCKED in response.text and "An administrator can unlock it sooner." in response.text


def test_correct_password_during_lockout_is_refused(en_client, grid_worker) -> None:
    _fail(en_client, "gw_a", 5)
    response = form_login(en_client, "gw_a", PASSWORD)
    assert response.status_code == 403 and LOCKED in response.text
    assert not _signed_in(en_client)
    # From another browser (another address, another agent) too: the lock is on the account.
    other = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="10.1.2.3", HTTP_USER_AGENT="phone")
    assert form_login(other, "gw_a", PASSWORD).status_code == 403
    # Attempts during the lockout do not extend it (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT).
    assert AccessAttempt.objects.get(username="gw_a").failures_since_start == 5


def test_other_accounts_are_not_locked(en_client, grid_worker, centre_operator) -> None:
    _fail(en_client, "gw_a", 5)
    assert form_login(en_client, "centre_community", PASSWORD).status_code == 302
    assert _signed_in(en_client)


def test_unknown_user_names_get_the_same_answers(en_client, grid_worker) -> None:
    known, unknown = _fail(en_client, "gw_a", 4), _fail(en_client, "nobody_here", 4)
    assert (known.status_code, unknown.status_code) == (200, 200)
    assert known.context["form"].errors == unknown.context["form"].errors
    known, unknown = _fail(en_client, "gw_a", 1), _fail(en_client, "nobody_here", 1)
    assert (known.status_code, unknown.status_code) == (403, 403)
    # The same page but for the language form's CSRF token.
    strip = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    assert strip.sub("", known.text) == strip.sub("", unknown.text)


def test_a_success_clears_the_count(en_client, grid_worker) -> None:
    _fail(en_client, "gw_a", 4)
    assert form_login(en_client, "gw_a", PASSWORD).status_code == 302
    en_client.post(reverse("logout"))
    assert _fail(en_client, "gw_a", 4).status_code == 200  # four again, not locked
    assert form_login(en_client, "gw_a", PASSWORD).status_code == 302


def test_lockout_ends_after_the_cool_off(en_client, grid_worker, settings) -> None:
    _fail(en_client, "gw_a", 5)
    assert form_login(en_client, "gw_a", PASSWORD).status_code == 403
    AccessAttempt.objects.filter(username="gw_a").update(attempt_time=timezone.now() - dt.timedelta(minutes=29))
    assert form_login(en_client, "gw_a", PASSWORD).status_code == 403
    AccessAttempt.objects.filter(username="gw_a").update(attempt_time=timezone.now() - dt.timedelta(minutes=31))
    assert form_login(en_client, "gw_a", PASSWORD).status_code == 302
    assert _signed_in(en_client)


def test_limit_and_cool_off_follow_settings(en_client, grid_worker, settings) -> None:
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_MINUTES = 5
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=5)
    assert _fail(en_client, "gw_a", 1).status_code == 200
    response = _fail(en_client, "gw_a", 1)
    assert response.status_code == 403 and "locked for 5 minutes" in response.text


def test_administrator_unlocks_with_axes_reset_username(en_client, grid_worker) -> None:
    _fail(en_client, "gw_a", 5)
    call_command("axes_reset_username", "gw_a")
    assert form_login(en_client, "gw_a", PASSWORD).status_code == 302


def test_administrator_unlocks_in_admin(en_client, grid_worker, verify_otp) -> None:
    _fail(en_client, "gw_a", 5)
    admin = UserFactory(username="root_admin", is_staff=True, is_superuser=True)
    staff = Client(HTTP_ACCEPT_LANGUAGE="en")
    staff.force_login(admin)
    verify_otp(staff, admin)
    changelist = reverse("admin:axes_accessattempt_changelist")
    page = staff.get(changelist)
    assert page.status_code == 200 and "gw_a" in page.text
    attempt = AccessAttempt.objects.get(username="gw_a")
    response = staff.post(changelist, {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"})
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    assert form_login(en_client, "gw_a", PASSWORD).status_code == 302


def test_admin_login_page_locks_too(grid_worker) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    admin = UserFactory(username="root_admin", is_staff=True, is_superuser=True)
    for _ in range(4):
        response = client.post(reverse("admin:login"), {"username": admin.username, "password": "nope"})
        assert response.status_code == 200
    response = client.post(reverse("admin:login"), {"username": admin.username, "password": "nope"})
    assert response.status_code == 403 and LOCKED in response.text
    # The web login page shares the count: same account.
    assert form_login(client, admin.username, PASSWORD).status_code == 403


# --- the API ------------------------------------------------------------------------------


def test_token_endpoint_locks_and_answers_json(town, grid_worker) -> None:
    anonymous = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    for _ in range(4):
        response = anonymous.post("/api/auth/token/", {"username": "gw_a", "password": "wrong"})
        assert response.status_code == 400
        assert response.json() == {"non_field_errors": ["Unable to log in with provided credentials."]}
    response = anonymous.post("/api/auth/token/", {"username": "gw_a", "password": "wrong"})
    assert response.status_code == 403
    assert response.json()["code"] == "locked_out" and LOCKED in response.json()["detail"]
    response = anonymous.post("/api/auth/token/", {"username": "gw_a", "password": PASSWORD})
    assert response.status_code == 403 and response.json()["code"] == "locked_out"
    # The lock is the account's, whichever way in: the login page refuses too.
    assert form_login(Client(), "gw_a", PASSWORD).status_code == 403


def test_token_endpoint_same_answers_for_unknown_names(town, grid_worker) -> None:
    anonymous = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    for _ in range(5):
        known = anonymous.post("/api/auth/token/", {"username": "gw_a", "password": "wrong"})
        unknown = anonymous.post("/api/auth/token/", {"username": "nobody_here", "password": "wrong"})
        assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())


def test_basic_auth_locks_and_answers_json(town, grid_worker) -> None:
    for _ in range(4):
        response = basic_client("gw_a", "wrong").get("/api/cases/")
        assert response.status_code in (401, 403) and response.json()["detail"] == "Invalid username/password."
    response = basic_client("gw_a", "wrong").get("/api/cases/")
    assert response.status_code == 403 and response.json()["code"] == "locked_out"
    response = basic_client("gw_a").get("/api/cases/")
    assert response.status_code == 403 and response.json()["code"] == "locked_out"
    AccessAttempt.objects.filter(username="gw_a").update(attempt_time=timezone.now() - dt.timedelta(minutes=31))
    assert basic_client("gw_a").get("/api/cases/").status_code == 200


@pytest.mark.parametrize("way", ["login", "token", "basic"])
def test_every_way_in_counts_towards_one_lock(town, grid_worker, way) -> None:
    """Failures add up across the login page, the token endpoint and Basic auth."""
    for attempt in range(5):
        kind = ["login", "token", "basic"][(attempt + ["login", "token", "basic"].index(way)) % 3]
        if kind == "login":
            form_login(Client(), "gw_a", "wrong")
        elif kind == "token":
            APIClient().post("/api/auth/token/", {"username": "gw_a", "password": "wrong"})
        else:
            basic_client("gw_a", "wrong").get("/api/cases/")
    assert basic_client("gw_a").get("/api/cases/").json()["code"] == "locked_out"
