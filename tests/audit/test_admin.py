"""The trail in the admin: readable and searchable, never added to, changed or deleted,
not even by a superuser."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from audit.services import record
from tests.factories import UserFactory

Kind = AuditEntry.Kind


@pytest.fixture
def superuser(db):
    return UserFactory(username="root_admin", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(superuser, verify_otp) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(superuser)  # writes a login entry by root_admin
    return verify_otp(client, superuser)  # administrators pass their second factor


@pytest.fixture
def export(db, superuser) -> AuditEntry:
    other = UserFactory(username="auditor_li")
    return record(Kind.EXPORT, actor=other, detail={"format": "csv"})


def changelist(client: Client, **params: str) -> str:
    response = client.get(reverse("admin:audit_auditentry_changelist"), params)
    assert response.status_code == 200
    return response.content.decode()


def test_changelist_filters_by_kind_actor_and_time_and_searches(admin_client, export):
    assert "auditor_li" in changelist(admin_client)
    assert "auditor_li" in changelist(admin_client, kind="export")
    assert "auditor_li" not in changelist(admin_client, kind="login")
    page = changelist(admin_client, actor_id=str(export.actor_id))
    assert f'href="?actor_id={export.actor_id}"' in page and "root_admin" not in page.split("result_list")[1]
    assert f'href="?actor_id={export.actor_id}"' not in changelist(admin_client, actor_id="none")
    assert "auditor_li" in changelist(admin_client, q="auditor_li")
    # the "Today" link of the time filter
    today = timezone.localtime(export.time).replace(hour=0, minute=0, second=0, microsecond=0)
    assert "auditor_li" in changelist(admin_client, time__gte=str(today), time__lt=str(today + dt.timedelta(days=1)))


def test_entry_page_is_read_only(admin_client, export):
    url = reverse("admin:audit_auditentry_change", args=[export.pk])
    response = admin_client.get(url)
    assert response.status_code == 200
    assert b'name="_save"' not in response.content
    admin_client.post(url, {"actor_username": "someone_else", "kind": "login"})
    export.refresh_from_db()
    assert (export.actor_username, export.kind) == ("auditor_li", Kind.EXPORT)


def test_no_add_or_delete_even_for_a_superuser(admin_client, export):
    assert admin_client.get(reverse("admin:audit_auditentry_add")).status_code == 403
    delete = reverse("admin:audit_auditentry_delete", args=[export.pk])
    assert admin_client.get(delete).status_code == 403
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    response = admin_client.post(
        reverse("admin:audit_auditentry_changelist"),
        {"action": "delete_selected", "_selected_action": [export.pk], "post": "yes"},
    )
    assert response.status_code in (200, 302)
    assert AuditEntry.objects.filter(pk=export.pk).exists()


def test_staff_need_the_view_permission(db, export, verify_otp):
    staff = UserFactory(username="ops_staff", is_staff=True)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(staff)
    verify_otp(client, staff)
    url = reverse("admin:audit_auditentry_changelist")
    assert client.get(url).status_code == 403
    staff.user_permissions.add(Permission.objects.get(codename="view_auditentry"))
    assert client.get(url).status_code == 200
