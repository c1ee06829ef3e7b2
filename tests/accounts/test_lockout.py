"""Lockout after AXES_FAILURE_LIMIT failed sign-ins of one name from one address, or
AXES_ADDRESS_FAILURE_LIMIT from one address (django-axes, accounts.lockout), on every way in:
the login page, the admin's, the token endpoint and HTTP Basic; lifted by the cool-off or an
administrator; the same answers whether or not the user name exists."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from tests.accounts.helpers import PASSWORD, basic_client, form_login
from tests.factories import UserFactory

LOCKED = "Too many failed sign-in attempts from this address: signing in here is locked for 30 minutes."


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
    # From the same address with another browser too: the lock is on the name from there.
    same_address = Client(HTTP_ACCEPT_LANGUAGE="en", HTTP_USER_AGENT="phone")
    assert form_login(same_address, "gw_a", PASSWORD).status_code == 403
    # Attempts during the lockout do not extend it (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT).
    assert AccessAttempt.objects.get(username="gw_a").failures_since_start == 5


def test_failures_from_one_address_do_not_lock_the_account_elsewhere(en_client, grid_worker) -> None:
    """Issue 12: by name alone, anyone could lock a known account for the cool-off from one
    address. Now the owner, elsewhere, still signs in."""
    _fail(en_client, "gw_a", 5)
    assert form_login(en_client, "gw_a", PASSWORD).status_code == 403
    owner = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="10.1.2.3", HTTP_USER_AGENT="phone")
    assert form_login(owner, "gw_a", PASSWORD).status_code == 302
    assert _signed_in(owner)
    # The owner's success there leaves the lock from the attacker's address in place.
    assert form_login(Client(HTTP_ACCEPT_LANGUAGE="en"), "gw_a", PASSWORD).status_code == 403


def test_one_address_trying_many_names_is_locked_at_the_address_limit(en_client, grid_worker, centre_operator,
                                                                         settings) -> None:
    """Per address as well: one password tried against many names (spraying) stops at
    AXES_ADDRESS_FAILURE_LIMIT, for every name from that address, known or not."""
    settings.AXES_ADDRESS_FAILURE_LIMIT = 6
    for n in range(5):
        assert form_login(en_client, f"name_{n}", "Spring2026!").status_code == 200
    response = form_login(en_client, "gw_a", "Spring2026!")
    assert response.status_code == 403 and LOCKED in response.text
    assert form_login(en_client, "centre_community", PASSWORD).status_code == 403
    # Other addresses are not affected.
    other = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="10.1.2.3")
    assert form_login(other, "centre_community", PASSWORD).status_code == 302
    # An administrator lifts it with axes_reset_ip.
    call_command("axes_reset_ip", "127.0.0.1")
    assert form_login(en_client, "centre_community", PASSWORD).status_code == 302


def test_a_success_from_the_address_keeps_the_others_failures(en_client, grid_worker, centre_operator,
                                                               settings) -> None:
    """A success clears that name's failures from that address, not everyone's: an account
    of one's own must not reset the address count."""
    settings.AXES_ADDRESS_FAILURE_LIMIT = 6
    for n in range(4):
        form_login(en_client, f"name_{n}", "wrong")
    _fail(en_client, "gw_a", 1)
    assert form_login(en_client, "centre_community", PASSWORD).status_code == 302
    en_client.post(reverse("logout"))
    assert form_login(en_client, "gw_a", PASSWORD).status_code == 302  # gw_a's own failure forgiven
    en_client.post(reverse("logout"))
    assert _fail(en_client, "name_9", 1).status_code == 200  # 4 + 1 of the others' failures
    assert _fail(en_client, "name_9", 1).status_code == 403  # the sixth from the address


def test_address_limit_default_is_higher_than_the_name_limit(settings) -> None:
    # Offices share NAT addresses: five typos across a street office must not lock it.
    assert settings.AXES_ADDRESS_FAILURE_LIMIT > settings.AXES_FAILURE_LIMIT


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
    # The lock is the name's from this address, whichever way in: the login page refuses too.
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


# --- tokens during a lockout ----------------------------------------------------------------


def _token(username: str) -> str:
    response = APIClient(HTTP_ACCEPT_LANGUAGE="en").post("/api/auth/token/", {"username": username, "password": PASSWORD})
    assert response.status_code == 200
    return response.json()["token"]


def test_a_token_issued_before_a_lockout_is_refused_during_it(town, grid_worker) -> None:
    """Issue 12: a token kept working while its account was locked out."""
    key = _token("gw_a")
    phone = APIClient(HTTP_ACCEPT_LANGUAGE="en", HTTP_AUTHORIZATION=f"Token {key}")
    assert phone.get("/api/cases/").status_code == 200
    _fail(Client(), "gw_a", 5)
    response = phone.get("/api/cases/")
    assert response.status_code == 403
    assert response.json() == {"code": "locked_out", "detail": LOCKED + " An administrator can unlock it sooner."}
    # From an address that is not locked the token still works (the lock is the name's from there).
    assert APIClient(HTTP_AUTHORIZATION=f"Token {key}", REMOTE_ADDR="10.1.2.3").get("/api/cases/").status_code == 200
    # The cool-off ends the refusal...
    AccessAttempt.objects.filter(username="gw_a").update(attempt_time=timezone.now() - dt.timedelta(minutes=31))
    assert phone.get("/api/cases/").status_code == 200


def test_a_token_works_again_once_an_administrator_unlocks(town, grid_worker) -> None:
    key = _token("gw_a")
    phone = APIClient(HTTP_ACCEPT_LANGUAGE="en", HTTP_AUTHORIZATION=f"Token {key}")
    _fail(Client(), "gw_a", 5)
    assert phone.get("/api/cases/").json()["code"] == "locked_out"
    call_command("axes_reset_username", "gw_a")
    assert phone.get("/api/cases/").status_code == 200


def test_a_token_is_refused_from_a_locked_address(town, grid_worker, settings) -> None:
    settings.AXES_ADDRESS_FAILURE_LIMIT = 3
    key = _token("gw_a")
    for n in range(3):
        form_login(Client(), f"name_{n}", "wrong")
    response = APIClient(HTTP_ACCEPT_LANGUAGE="en", HTTP_AUTHORIZATION=f"Token {key}").get("/api/cases/")
    assert response.status_code == 403 and response.json()["code"] == "locked_out"


def test_a_token_request_stays_one_statement_for_the_credentials(town, grid_worker, django_assert_max_num_queries) -> None:
    """The lockout check rides in the token's own statement (every API request reads it)."""
    from accounts.authentication import TokenAuthentication

    key = _token("gw_a")
    request = RequestFactory().get("/api/cases/", HTTP_AUTHORIZATION=f"Token {key}")
    with django_assert_max_num_queries(1):
        user, _token_row = TokenAuthentication().authenticate(request)
    assert user.username == "gw_a"
