"""Password complexity, expiry and forced change (MLPS 2.0 level 3, 身份鉴别)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.test import APIClient

from accounts import services
from accounts.models import PasswordState
from accounts.selectors import EXPIRED, MUST_CHANGE, password_verdict
from accounts.validators import ComplexityValidator, character_classes
from demo.load import LoadReport
from demo.people import DEMO_PASSWORD, DEMO_USERNAMES, reset_passwords, write_named_accounts
from tests.accounts.helpers import NEW_PASSWORD, PASSWORD, basic_client, form_login
from tests.factories import UserFactory


def _messages(password: str, user=None) -> list[str]:
    with translation.override("en"):
        with pytest.raises(ValidationError) as refused:
            validate_password(password, user)
        return refused.value.messages


# --- complexity ---------------------------------------------------------------------------


@pytest.mark.parametrize("password", ["Wangge-2026x", "wangge-2026-grid", "WANGGE2026grid", "网格管理Grid2026", "Ab3!Ab3!Ab"])
def test_passwords_of_three_classes_and_ten_characters_are_accepted(db, password) -> None:
    validate_password(password, UserFactory(username="zhangsan"))


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Ab3!x", "This password is too short: use at least 10 characters."),
        ("wanggegridzz", "This password is too simple: mix at least 3 of upper-case letters, lower-case letters, "
                         "digits and symbols."),
        ("wanggegrid2026", "This password is too simple: mix at least 3 of upper-case letters, lower-case letters, "
                           "digits and symbols."),
        ("WANGGE-GRID-", "This password is too simple: mix at least 3 of upper-case letters, lower-case letters, "
                         "digits and symbols."),
    ],
)
def test_short_or_simple_passwords_are_refused_with_their_message(db, password, message) -> None:
    assert message in _messages(password)


def test_short_and_simple_gives_both_messages_and_django_validators_still_run(db) -> None:
    messages = _messages("abc")
    assert any("too short" in m for m in messages) and any("too simple" in m for m in messages)
    # Django's own validators stay: common passwords, all digits, like the user name.
    assert any("too common" in m for m in _messages("Password123"))
    assert any("entirely numeric" in m for m in _messages("12345678901234"))
    user = UserFactory(username="liangxi_admin")
    assert any("too similar" in m for m in _messages("Liangxi_admin1", user))


def test_messages_are_translated_to_chinese(db) -> None:
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        validate_password("abc")
    text = " ".join(refused.value.messages)
    assert "密码太短" in text and "至少" in text and "10" in text


def test_min_length_and_classes_follow_settings(db, settings) -> None:
    settings.PASSWORD_MIN_LENGTH = 14
    assert any("at least 14 characters" in m for m in _messages("Wangge-2026x"))
    assert character_classes("aA1-") == 4 and character_classes("网格") == 1
    validator = ComplexityValidator(min_length=4, min_classes=4)
    with pytest.raises(ValidationError):
        validator.validate("aA1b")
    validator.validate("aA1-")


def test_a_new_password_must_differ_from_the_current_one(db) -> None:
    user = UserFactory(username="wangwu")
    user.set_password(NEW_PASSWORD)
    user.save()
    assert "The new password must differ from the current one." in _messages(NEW_PASSWORD, user)


# --- changes are recorded -----------------------------------------------------------------


def test_saving_a_new_password_stamps_the_change_and_clears_the_demand(db) -> None:
    user = UserFactory(username="lisi")
    services.require_password_change(user)
    PasswordState.objects.filter(user=user).update(changed_at=timezone.now() - dt.timedelta(days=400))
    user.set_password(NEW_PASSWORD)
    user.save()
    state = PasswordState.objects.get(user=user)
    assert not state.must_change
    assert timezone.now() - state.changed_at < dt.timedelta(minutes=1)


def test_a_new_account_counts_from_its_creation(db) -> None:
    # create_user hashes without set_password: no row, the age counts from date_joined.
    user = get_user_model().objects.create_user("zhaoliu", password=NEW_PASSWORD)
    verdict = password_verdict(get_user_model().objects.get(pk=user.pk))
    assert verdict.reason is None
    assert verdict.expires_at == user.date_joined + dt.timedelta(days=90)


def test_age_counts_from_date_joined_without_a_recorded_change(db, settings) -> None:
    user = UserFactory(username="old_timer", date_joined=timezone.now() - dt.timedelta(days=91))
    assert password_verdict(user).reason == EXPIRED
    settings.PASSWORD_MAX_AGE_DAYS = 0  # no expiry
    assert password_verdict(get_user_model().objects.get(pk=user.pk)).reason is None


# --- expiry -------------------------------------------------------------------------------


def _expired(user, days: int = 91) -> None:
    PasswordState.objects.update_or_create(
        user=user, defaults={"changed_at": timezone.now() - dt.timedelta(days=days), "must_change": False}
    )


def test_expired_password_sends_every_page_to_the_change_page(en_client, grid_worker) -> None:
    _expired(grid_worker)
    assert form_login(en_client, "gw_a").status_code == 302
    for url in (reverse("home"), reverse("my-reports"), reverse("case-report")):
        response = en_client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("password_change") + "?next=")
    page = en_client.get(reverse("password_change"))
    assert page.status_code == 200
    assert "Your password is more than 90 days old" in page.text


def test_expired_password_api_session_is_403_json(en_client, grid_worker) -> None:
    _expired(grid_worker)
    form_login(en_client, "gw_a")
    response = en_client.get("/api/cases/")
    assert response.status_code == 403
    assert response.json()["code"] == "password_change_required"
    assert "Change it in the browser" in response.json()["detail"]


def test_password_not_yet_expired_is_fine(en_client, grid_worker, settings) -> None:
    _expired(grid_worker, days=89)
    form_login(en_client, "gw_a")
    assert en_client.get(reverse("my-reports")).status_code == 200
    settings.PASSWORD_MAX_AGE_DAYS = 30
    other = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    form_login(other, "gw_a")
    assert other.get(reverse("my-reports")).status_code == 302


def test_expired_password_refused_for_basic_and_token_and_token_endpoint(town, grid_worker) -> None:
    anonymous = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    token = anonymous.post("/api/auth/token/", {"username": "gw_a", "password": PASSWORD}).json()["token"]
    _expired(grid_worker)
    for client in (basic_client("gw_a"), APIClient(HTTP_ACCEPT_LANGUAGE="en", HTTP_AUTHORIZATION=f"Token {token}")):
        response = client.get("/api/cases/")
        assert response.status_code == 403 and response.json()["code"] == "password_change_required"
    response = anonymous.post("/api/auth/token/", {"username": "gw_a", "password": PASSWORD})
    assert response.status_code == 403 and response.json()["code"] == "password_change_required"


def test_token_auth_reads_the_password_state_with_the_token(town, grid_worker, django_assert_max_num_queries) -> None:
    anonymous = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    token = anonymous.post("/api/auth/token/", {"username": "gw_a", "password": PASSWORD}).json()["token"]
    phone = APIClient(HTTP_ACCEPT_LANGUAGE="en", HTTP_AUTHORIZATION=f"Token {token}")
    phone.get("/api/categories/")
    # Token with its user and password state in one query, then the categories (a page of them).
    with django_assert_max_num_queries(3) as captured:
        assert phone.get("/api/categories/").status_code == 200
    assert not any("accounts_passwordstate" in q["sql"] and "authtoken" not in q["sql"]
                   for q in captured.captured_queries)


def test_changing_the_password_frees_the_user(en_client, grid_worker) -> None:
    _expired(grid_worker)
    form_login(en_client, "gw_a")
    response = en_client.post(reverse("password_change") + "?next=/cases/mine/", {
        "old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD,
        "next": "/cases/mine/",
    })
    assert response.status_code == 302 and response["Location"] == "/cases/mine/"
    # Still signed in (the session follows the new password) and free to go anywhere.
    assert en_client.get(reverse("my-reports")).status_code == 200
    assert en_client.get("/api/cases/").status_code == 200
    assert PasswordState.objects.get(user=grid_worker).must_change is False


def test_bad_new_password_is_400_with_the_rule(en_client, grid_worker) -> None:
    services.require_password_change(grid_worker)
    form_login(en_client, "gw_a")
    response = en_client.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": "simplepassword", "new_password2": "simplepassword",
    })
    assert response.status_code == 400
    assert "This password is too simple" in response.text
    # Keeping the old password changes nothing: refused too.
    response = en_client.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": PASSWORD, "new_password2": PASSWORD,
    })
    assert response.status_code == 400 and "must differ from the current one" in response.text
    assert en_client.get(reverse("my-reports")).status_code == 302


def test_logout_and_language_stay_open_while_forced(en_client, grid_worker) -> None:
    services.require_password_change(grid_worker)
    form_login(en_client, "gw_a")
    response = en_client.post(reverse("set_language"), {"language": "zh-hans", "next": reverse("password_change")})
    assert response.status_code == 302 and response["Location"] == reverse("password_change")
    assert en_client.post(reverse("logout")).status_code == 302
    assert "_auth_user_id" not in en_client.session


# --- forced change: demo, imported, administrator-set ------------------------------------------


def test_demo_account_must_change_its_password_at_first_sign_in(en_client, db) -> None:
    write_named_accounts(LoadReport())
    assert PasswordState.objects.filter(user__username__in=DEMO_USERNAMES, must_change=True).count() == len(
        DEMO_USERNAMES
    )
    response = form_login(en_client, "citizen", DEMO_PASSWORD)
    assert response.status_code == 302
    response = en_client.get(response["Location"], follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("password_change"))
    assert "Choose your own password before you go on" in response.text
    assert en_client.get("/api/categories/").json()["code"] == "password_change_required"
    response = en_client.post(reverse("password_change"), {
        "old_password": DEMO_PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD,
    })
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert en_client.get(reverse("home")).status_code == 200  # the citizen's start page
    assert en_client.get("/api/categories/").status_code == 200
    # A second sign-in with the new password goes straight in.
    other = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    form_login(other, "citizen", NEW_PASSWORD)
    assert other.get(reverse("home")).status_code == 200


def test_demo_reset_asks_for_a_change_again(db) -> None:
    users = write_named_accounts(LoadReport())
    services.waive_password_change(users["gw_liangxi"])
    assert password_verdict(get_user_model().objects.get(username="gw_liangxi")).reason is None
    assert reset_passwords() == len(DEMO_USERNAMES)
    assert password_verdict(get_user_model().objects.get(username="gw_liangxi")).reason == MUST_CHANGE


def test_imported_account_through_the_service(en_client, grid_worker) -> None:
    services.require_password_change(grid_worker)
    form_login(en_client, "gw_a")
    assert en_client.get(reverse("my-reports"))["Location"].startswith(reverse("password_change"))
    assert basic_client("gw_a").get("/api/cases/").json()["code"] == "password_change_required"


def test_password_set_by_an_administrator_must_be_changed_by_its_owner(town, grid_worker, verify_otp) -> None:
    admin = UserFactory(username="root_admin", is_staff=True, is_superuser=True)
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(admin)
    verify_otp(client, admin)
    response = client.post(reverse("admin:auth_user_password_change", args=[grid_worker.pk]), {
        "password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true",
    })
    assert response.status_code == 302
    assert PasswordState.objects.get(user=grid_worker).must_change
    response = client.post(reverse("admin:auth_user_add"), {
        "username": "new_clerk", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true",
    })
    assert response.status_code == 302
    assert PasswordState.objects.get(user__username="new_clerk").must_change
    # The administrator's own password change does not force them.
    response = client.post(reverse("admin:auth_user_password_change", args=[admin.pk]), {
        "password1": "Another-pass-2026", "password2": "Another-pass-2026", "usable_password": "true",
    })
    assert response.status_code == 302
    assert not PasswordState.objects.get(user=admin).must_change


def test_changing_a_password_revokes_the_users_api_tokens(db) -> None:
    from rest_framework.authtoken.models import Token

    user = UserFactory(username="token_holder")
    token = Token.objects.create(user=user)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get("/api/categories/").status_code == 200
    user.set_password(NEW_PASSWORD)
    user.save()
    assert not Token.objects.filter(user=user).exists()
    assert api.get("/api/categories/").status_code in (401, 403)
