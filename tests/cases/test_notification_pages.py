"""The notifications page behind the header's badge: the badge counts the person's unread
notifications, opening one marks it read and goes to its case, another person's is a 404."""

from __future__ import annotations

import re

import pytest

from cases import services
from cases.models import Notification

pytestmark = pytest.mark.usefixtures("media_in_tmp")


def _notify(case, user) -> Notification:
    event = case.events.get()
    services.notify_next_actors(event_id=event.pk)
    return Notification.objects.get(recipient=user, case=case)


def _badge(html: str) -> int | None:
    found = re.search(r'data-unread="(\d+)"', html)
    return int(found.group(1)) if found else None


def test_badge_list_open_and_read_all(login, file_case, centre_operator):
    first, second = file_case(), file_case()
    note = _notify(first, centre_operator)
    _notify(second, centre_operator)
    client = login(centre_operator)

    page = client.get("/notifications/")
    assert page.status_code == 200
    html = page.content.decode()
    assert _badge(html) == 2
    assert first.number in html and second.number in html
    assert "Mark all read" in html

    opened = client.post(f"/notifications/{note.pk}/open/")
    assert opened.status_code == 302 and opened["Location"] == f"/cases/{first.pk}/"
    note.refresh_from_db()
    assert note.read_at is not None
    assert _badge(client.get("/notifications/").content.decode()) == 1
    unread = client.get("/notifications/?unread=1").content.decode()
    assert second.number in unread and first.number not in unread

    done = client.post("/notifications/read-all/", follow=True)
    assert "1 notification marked read." in done.content.decode()
    assert _badge(done.content.decode()) is None  # no badge once everything is read
    assert not Notification.objects.filter(recipient=centre_operator, read_at__isnull=True).exists()


def test_someone_elses_notification_is_404_and_stays_unread(login, file_case, centre_operator, grid_worker):
    note = _notify(file_case(), centre_operator)
    client = login(grid_worker)
    assert client.post(f"/notifications/{note.pk}/open/").status_code == 404
    assert client.post("/notifications/999999/open/").status_code == 404
    note.refresh_from_db()
    assert note.read_at is None
    # Opening is a POST: a prefetching browser cannot mark anything read.
    assert login(centre_operator).get(f"/notifications/{note.pk}/open/").status_code == 405


def test_header_shows_the_badge_on_every_page(login, file_case, centre_operator):
    _notify(file_case(), centre_operator)
    html = login(centre_operator).get("/centre/queue/").content.decode()
    assert _badge(html) == 1
    assert 'href="/accounts/password_change/"' in html
