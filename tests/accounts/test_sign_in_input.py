"""User names no account can have (longer than any, or holding a NUL) are refused on every
way in like any wrong name, never with a 500, and still count towards the lockout."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.accounts.helpers import basic_client, form_login

LONG = "x" * 300


@pytest.mark.parametrize("username", [LONG, "gw\x00a", "gw_a\x00"])
def test_login_page_refuses_odd_user_names_as_wrong(en_client, grid_worker, username) -> None:
    response = form_login(en_client, username, "wrong-password")
    assert response.status_code == 200
    assert "Wrong user name or password" in response.text or response.context["form"].errors


def test_token_endpoint_refuses_a_long_user_name_as_wrong(town, grid_worker) -> None:
    response = APIClient(HTTP_ACCEPT_LANGUAGE="en").post(
        "/api/auth/token/", {"username": LONG, "password": "wrong"}, format="json"
    )
    assert response.status_code == 400, response.content
    assert response.json() == {"non_field_errors": ["Unable to log in with provided credentials."]}


def test_token_endpoint_refuses_a_nul_in_the_user_name_with_400(town, grid_worker) -> None:
    response = APIClient(HTTP_ACCEPT_LANGUAGE="en").post(
        "/api/auth/token/", {"username": "gw\x00a", "password": "wrong"}, format="json"
    )
    assert response.status_code == 400, response.content
    # The API's JSON parser refuses a NUL anywhere in the body before the view reads it
    # (cases.api.parsers), naming the field, as it does for every endpoint.
    assert response.json() == {
        "code": "invalid", "field": "username",
        "detail": "Text in the request may not contain NUL characters (\\u0000): username.",
    }


@pytest.mark.parametrize("username", [LONG, "gw\x00a", "gw_a\x00"])
def test_basic_auth_refuses_odd_user_names_as_wrong(town, grid_worker, username) -> None:
    response = basic_client(username, "wrong").get("/api/cases/")
    assert response.status_code in (401, 403), response.content
    assert response.json()["detail"] == "Invalid username/password."


def test_long_user_names_lock_out_too(en_client, grid_worker) -> None:
    for _ in range(4):
        assert form_login(en_client, LONG, "wrong").status_code == 200
    assert form_login(en_client, LONG, "wrong").status_code == 403
