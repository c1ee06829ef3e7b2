"""Session timeouts: idle (SESSION_IDLE_MINUTES) and absolute (SESSION_COOKIE_AGE), and an
ordinary request does not write the session (the activity stamp at most once a minute)."""

from __future__ import annotations

import time

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.middleware import ACTIVITY_WRITE_SECONDS, AUTH_AT, SEEN_AT
from tests.accounts.helpers import form_login


def _set(client, **values: float) -> None:
    session = client.session
    for key, value in values.items():
        session[{"auth_at": AUTH_AT, "seen_at": SEEN_AT}[key]] = value
    session.save()


def _session_writes(captured: CaptureQueriesContext) -> int:
    return sum(
        q["sql"].startswith(('UPDATE "django_session"', 'INSERT INTO "django_session"'))
        for q in captured.captured_queries
    )


def test_sign_in_starts_both_clocks(en_client, grid_worker) -> None:
    before = time.time()
    form_login(en_client, "gw_a")
    session = en_client.session
    assert before <= session[AUTH_AT] <= time.time()
    assert session[SEEN_AT] == session[AUTH_AT]


def test_idle_session_is_signed_out_with_a_message(en_client, grid_worker, settings) -> None:
    form_login(en_client, "gw_a")
    assert en_client.get(reverse("my-reports")).status_code == 200
    _set(en_client, seen_at=time.time() - 30 * 60 - 5)
    response = en_client.get(reverse("my-reports"))
    assert response.status_code == 302
    assert response["Location"] == reverse("login") + "?next=" + reverse("my-reports")
    assert "_auth_user_id" not in en_client.session
    page = en_client.get(response["Location"])
    assert "You were signed out after 30 minutes without activity." in page.text


def test_idle_limit_follows_the_setting(en_client, grid_worker, settings) -> None:
    settings.SESSION_IDLE_MINUTES = 5
    form_login(en_client, "gw_a")
    _set(en_client, seen_at=time.time() - 4 * 60)
    assert en_client.get(reverse("my-reports")).status_code == 200
    _set(en_client, seen_at=time.time() - 5 * 60 - 5)
    assert en_client.get(reverse("my-reports")).status_code == 302


def test_idle_api_session_is_403_json(en_client, grid_worker) -> None:
    form_login(en_client, "gw_a")
    assert en_client.get("/api/cases/").status_code == 200
    _set(en_client, seen_at=time.time() - 31 * 60)
    response = en_client.get("/api/cases/")
    assert response.status_code == 403
    assert response.json()["code"] == "session_expired"
    assert "without activity" in response.json()["detail"]
    assert en_client.get("/api/cases/").status_code == 403  # signed out for good


def test_busy_session_still_ends_after_eight_hours(en_client, grid_worker) -> None:
    form_login(en_client, "gw_a")
    now = time.time()
    _set(en_client, auth_at=now - 8 * 3600 + 60, seen_at=now)
    assert en_client.get(reverse("my-reports")).status_code == 200
    _set(en_client, auth_at=now - 8 * 3600 - 1, seen_at=now)
    response = en_client.get(reverse("my-reports"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    page = en_client.get(response["Location"])
    assert "a session lasts at most 8 hours" in page.text


def test_ordinary_requests_do_not_write_the_session(en_client, grid_worker) -> None:
    form_login(en_client, "gw_a")
    en_client.get(reverse("my-reports"))
    with CaptureQueriesContext(connection) as captured:
        for _ in range(5):
            assert en_client.get(reverse("my-reports")).status_code == 200
            assert en_client.get("/api/cases/").status_code == 200
    assert _session_writes(captured) == 0


def test_activity_is_stamped_once_a_minute(en_client, grid_worker) -> None:
    form_login(en_client, "gw_a")
    stale = time.time() - ACTIVITY_WRITE_SECONDS - 1
    _set(en_client, seen_at=stale)
    with CaptureQueriesContext(connection) as captured:
        for _ in range(3):
            assert en_client.get(reverse("my-reports")).status_code == 200
    assert _session_writes(captured) == 1
    assert en_client.session[SEEN_AT] > stale + ACTIVITY_WRITE_SECONDS


def test_sessions_end_when_the_browser_closes(settings) -> None:
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert settings.SESSION_COOKIE_AGE == 8 * 3600
