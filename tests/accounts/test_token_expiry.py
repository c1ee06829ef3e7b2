"""API tokens end API_TOKEN_MAX_AGE_HOURS after they were issued, as a session ends after
SESSION_COOKIE_AGE: an expired token is refused (403 `token_expired`, as every API refusal here), and asking again gives a new key."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.accounts.helpers import PASSWORD


def _token(username: str) -> str:
    response = APIClient(HTTP_ACCEPT_LANGUAGE="en").post("/api/auth/token/", {"username": username, "password": PASSWORD})
    assert response.status_code == 200
    return response.json()["token"]


def _age(key: str, hours: float) -> None:
    Token.objects.filter(key=key).update(created=timezone.now() - dt.timedelta(hours=hours))


def test_a_token_works_until_its_age_then_is_refused_and_a_new_key_issued(town, grid_worker, settings) -> None:
    settings.API_TOKEN_MAX_AGE_HOURS = 8
    key = _token("gw_a")
    phone = APIClient(HTTP_ACCEPT_LANGUAGE="en", HTTP_AUTHORIZATION=f"Token {key}")
    _age(key, 7.9)
    assert phone.get("/api/cases/").status_code == 200
    _age(key, 8.1)
    response = phone.get("/api/cases/")
    assert response.status_code == 403  # DRF answers 403 when its first scheme (session) sends no challenge
    assert response.json()["code"] == "token_expired"
    assert "POST /api/auth/token/" in response.json()["detail"]

    fresh = _token("gw_a")
    assert fresh != key  # a new key, not the old one re-dated: the old one may be what leaked
    assert not Token.objects.filter(key=key).exists()
    assert APIClient(HTTP_AUTHORIZATION=f"Token {fresh}").get("/api/cases/").status_code == 200


def test_asking_again_before_expiry_gives_the_same_token(town, grid_worker) -> None:
    assert _token("gw_a") == _token("gw_a")


def test_the_age_follows_the_setting(town, grid_worker, settings) -> None:
    key = _token("gw_a")
    _age(key, 2)
    settings.API_TOKEN_MAX_AGE_HOURS = 1
    assert APIClient(HTTP_AUTHORIZATION=f"Token {key}").get("/api/cases/").status_code == 403
    settings.API_TOKEN_MAX_AGE_HOURS = 3
    assert APIClient(HTTP_AUTHORIZATION=f"Token {key}").get("/api/cases/").status_code == 200
