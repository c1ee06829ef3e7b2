"""TOTP second factor (django-otp) for administrators and supervisors: enrol with a QR code,
verify at every sign-in, nothing else until then; the token endpoint wants otp_token and
Basic auth is refused to them."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from tests.accounts.helpers import (
    NEW_PASSWORD,
    PASSWORD,
    basic_client,
    form_login,
    secret_on_page,
    totp_code,
    wrong_code,
)
from tests.factories import UserFactory

OTP_URL = reverse("accounts-otp")


def _enrol(client: Client) -> bytes:
    page = client.get(OTP_URL)
    key = secret_on_page(page.text)
    response = client.post(OTP_URL, {"otp_token": totp_code(key), "next": "/"})
    assert response.status_code == 302, response.text
    return key


def test_supervisor_without_device_is_sent_to_enrol(en_client, new_supervisor) -> None:
    response = form_login(en_client, "supervisor_new")
    assert response.status_code == 302
    response = en_client.get(response["Location"])
    assert response.status_code == 302 and response["Location"] == OTP_URL + "?next=/"
    page = en_client.get(response["Location"])
    assert page.status_code == 200
    assert "Set up two-step sign-in" in page.text
    assert '<svg class="otp-qr"' in page.text and "<script" not in page.text.split("</main>")[0].split("<main")[1]
    # The key written out is the unconfirmed device's, and a reload shows the same one.
    device = TOTPDevice.objects.get(user=new_supervisor)
    assert not device.confirmed and secret_on_page(page.text) == device.bin_key
    assert secret_on_page(en_client.get(OTP_URL).text) == device.bin_key


def test_enrol_with_a_real_code_then_the_map(en_client, new_supervisor) -> None:
    form_login(en_client, "supervisor_new")
    page = en_client.get(OTP_URL + "?next=/")
    key = secret_on_page(page.text)
    response = en_client.post(OTP_URL, {"otp_token": totp_code(key), "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert en_client.get("/")["Location"] == reverse("supervisor-map")
    assert en_client.get(reverse("supervisor-map")).status_code == 200
    assert en_client.get("/api/geo/cells/").status_code == 200
    device = TOTPDevice.objects.get(user=new_supervisor)
    assert device.confirmed and en_client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id


def test_next_sign_in_asks_for_a_code_not_enrolment(en_client, new_supervisor) -> None:
    form_login(en_client, "supervisor_new")
    key = _enrol(en_client)
    en_client.post(reverse("logout"))
    again = Client(HTTP_ACCEPT_LANGUAGE="en")
    form_login(again, "supervisor_new")
    assert again.get(reverse("supervisor-map"))["Location"].startswith(OTP_URL)
    page = again.get(OTP_URL)
    assert "Two-step sign-in" in page.text and "otp-secret" not in page.text and "<svg" not in page.text
    # The code of this time step was spent on the enrolment: the authenticator's next one.
    response = again.post(OTP_URL, {"otp_token": totp_code(key, step_offset=1), "next": reverse("supervisor-map")})
    assert response.status_code == 302 and response["Location"] == reverse("supervisor-map")
    assert again.get(reverse("supervisor-map")).status_code == 200


def test_a_code_is_accepted_once(en_client, new_supervisor) -> None:
    form_login(en_client, "supervisor_new")
    key = _enrol(en_client)
    replay = Client(HTTP_ACCEPT_LANGUAGE="en")
    form_login(replay, "supervisor_new")
    response = replay.post(OTP_URL, {"otp_token": totp_code(key)})
    assert response.status_code == 400 and "Wrong or expired code" in response.text


def test_wrong_code_is_refused_then_throttled(en_client, supervisor) -> None:
    device = TOTPDevice.objects.get(user=supervisor)
    form_login(en_client, "supervisor_district")
    response = en_client.post(OTP_URL, {"otp_token": wrong_code(device.bin_key)})
    assert response.status_code == 400
    assert "Wrong or expired code" in response.text
    assert DEVICE_ID_SESSION_KEY not in en_client.session
    assert en_client.get(reverse("supervisor-map")).status_code == 302
    # Right after a failure even the right code waits (django-otp's throttle, doubling).
    response = en_client.post(OTP_URL, {"otp_token": totp_code(device.bin_key)})
    assert response.status_code == 400 and "Too many wrong codes. Wait" in response.text
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - dt.timedelta(seconds=10)
    )
    response = en_client.post(OTP_URL, {"otp_token": totp_code(device.bin_key)})
    assert response.status_code == 302


def test_empty_code_is_a_form_error(en_client, supervisor) -> None:
    form_login(en_client, "supervisor_district")
    response = en_client.post(OTP_URL, {"otp_token": ""})
    assert response.status_code == 400 and "This field is required." in response.text


def test_unverified_supervisor_api_session_is_403_json(en_client, supervisor) -> None:
    form_login(en_client, "supervisor_district")
    response = en_client.get("/api/geo/cells/")
    assert response.status_code == 403 and response.json()["code"] == "otp_required"


def test_admin_pages_wait_for_the_second_factor(town, verify_otp) -> None:
    admin = UserFactory(username="root_admin", is_staff=True, is_superuser=True)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(admin)
    for url in (reverse("admin:index"), reverse("admin:auth_user_changelist"), reverse("home")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == f"{OTP_URL}?next={url}", url
    # Password change too: the second factor comes first.
    assert client.get(reverse("password_change"))["Location"].startswith(OTP_URL)
    assert client.post(reverse("admin:logout")).status_code in (200, 302)
    client.force_login(admin)
    verify_otp(client, admin)
    assert client.get(reverse("admin:index")).status_code == 200


def test_staff_need_it_and_others_do_not(en_client, grid_worker) -> None:
    UserFactory(username="staffer", is_staff=True)
    staff = Client(HTTP_ACCEPT_LANGUAGE="en")
    form_login(staff, "staffer")
    assert staff.get(reverse("home"))["Location"].startswith(OTP_URL)
    form_login(en_client, "gw_a")
    assert en_client.get(reverse("home"))["Location"] == reverse("worker-today")
    # A grid worker sent to the page goes on: nothing to enrol.
    assert en_client.get(OTP_URL + "?next=/cases/mine/")["Location"] == "/cases/mine/"
    assert not TOTPDevice.objects.filter(user=grid_worker).exists()


def test_next_must_stay_on_this_site(en_client, supervisor) -> None:
    device = TOTPDevice.objects.get(user=supervisor)
    form_login(en_client, "supervisor_district")
    response = en_client.post(OTP_URL, {"otp_token": totp_code(device.bin_key), "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == reverse("home")


def test_verifying_gives_a_new_session_key(en_client, supervisor) -> None:
    device = TOTPDevice.objects.get(user=supervisor)
    form_login(en_client, "supervisor_district")
    before = en_client.session.session_key
    en_client.post(OTP_URL, {"otp_token": totp_code(device.bin_key)})
    assert en_client.session.session_key != before
    assert en_client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id


# --- the API ------------------------------------------------------------------------------


def test_token_endpoint_wants_otp_token_from_a_supervisor(town, supervisor) -> None:
    device = TOTPDevice.objects.get(user=supervisor)
    anonymous = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    credentials = {"username": "supervisor_district", "password": PASSWORD}
    response = anonymous.post("/api/auth/token/", credentials)
    assert response.status_code == 400
    assert "send the current code of your authenticator app as otp_token" in response.json()["otp_token"][0]
    response = anonymous.post("/api/auth/token/", {**credentials, "otp_token": wrong_code(device.bin_key)})
    assert response.status_code == 400 and "Wrong or expired code" in response.json()["otp_token"][0]
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=None, throttling_failure_count=0)
    response = anonymous.post("/api/auth/token/", {**credentials, "otp_token": totp_code(device.bin_key)})
    assert response.status_code == 200
    phone = APIClient(HTTP_ACCEPT_LANGUAGE="en", HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert phone.get("/api/geo/cells/").status_code == 200


def test_token_endpoint_needs_no_code_from_a_grid_worker(town, grid_worker) -> None:
    response = APIClient().post("/api/auth/token/", {"username": "gw_a", "password": PASSWORD})
    assert response.status_code == 200 and response.json()["token"]


def test_supervisor_without_device_cannot_get_a_token(town, new_supervisor) -> None:
    response = APIClient(HTTP_ACCEPT_LANGUAGE="en").post(
        "/api/auth/token/", {"username": "supervisor_new", "password": PASSWORD, "otp_token": "123456"}
    )
    assert response.status_code == 400
    assert "Set up your authenticator app on the web first" in response.json()["otp_token"][0]


def test_basic_auth_is_refused_to_a_supervisor(town, supervisor) -> None:
    response = basic_client("supervisor_district").get("/api/geo/cells/")
    assert response.status_code == 403
    assert response.json()["code"] == "token_required"
    assert "get a token from POST /api/auth/token/" in response.json()["detail"]
    # A grid worker may still use it.
    UserFactory(username="gw_basic")
    assert basic_client("gw_basic").get("/api/categories/").status_code == 200


# --- a given password is changed before enrolment (issue 12) --------------------------------


def _forced(user) -> None:
    from accounts import services

    services.require_password_change(user)


def test_a_given_password_is_changed_before_enrolment(en_client, new_supervisor) -> None:
    """Issue 12: the first sign-in with a public demo password enrolled TOTP before the forced
    password change, so whoever signed in first took the TOTP secret. The password comes
    first; the enrolment page shows no secret until it is changed."""
    _forced(new_supervisor)
    form_login(en_client, "supervisor_new")
    response = en_client.get("/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("password_change"))
    # Typing the enrolment address leads to the password change too, and makes no device.
    response = en_client.get(OTP_URL)
    assert response.status_code == 302 and response["Location"].startswith(reverse("password_change"))
    assert not TOTPDevice.objects.filter(user=new_supervisor).exists()
    assert en_client.get("/api/cases/").json()["code"] == "password_change_required"
    page = en_client.get(reverse("password_change"))
    assert page.status_code == 200 and "otp-secret" not in page.text
    response = en_client.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD, "next": "/",
    })
    assert response.status_code == 302
    # Now the enrolment, then everything.
    response = en_client.get("/")
    assert response.status_code == 302 and response["Location"] == OTP_URL + "?next=/"
    _enrol(en_client)
    assert en_client.get(reverse("supervisor-map")).status_code == 200


def test_with_a_device_the_code_still_comes_before_the_password_change(en_client, new_supervisor) -> None:
    """An enrolled account proves its second factor first, expired or forced password or not."""
    form_login(en_client, "supervisor_new")
    _enrol(en_client)
    en_client.post(reverse("logout"))
    _forced(new_supervisor)
    form_login(en_client, "supervisor_new")
    assert en_client.get("/")["Location"].startswith(OTP_URL)
    assert en_client.get(reverse("password_change"))["Location"].startswith(OTP_URL)
    page = en_client.get(OTP_URL + "?next=/")
    assert page.status_code == 200 and "otp-secret" not in page.text  # a code, not an enrolment
    device = TOTPDevice.objects.get(user=new_supervisor)
    response = en_client.post(OTP_URL, {"otp_token": totp_code(device.bin_key, step_offset=1), "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert en_client.get("/")["Location"].startswith(reverse("password_change"))
