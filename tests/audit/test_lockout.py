"""A lockout by django-axes after repeated failed sign-ins is recorded.

The failed sign-ins run in a process of their own with axes installed
(tests/audit/axes_settings.py), through the real login view; this test then reads what that
process committed. It holds before and after axes joins INSTALLED_APPS."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from audit.models import AuditEntry
from tests.audit.conftest import entries
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]
SIGN_IN_WRONG_THREE_TIMES = """
from django.test import Client
from django.urls import reverse
client = Client()
for _ in range(3):
    client.post(reverse("login"), {"username": "zhao_liu", "password": "guess"})
"""


@pytest.mark.django_db(transaction=True)
def test_lockout_after_repeated_failures_is_recorded():
    user = UserFactory(username="zhao_liu")
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.audit.axes_settings",
        "DATABASE_URL": f"postgis://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
    }
    run = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SIGN_IN_WRONG_THREE_TIMES],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert run.returncode == 0, run.stderr
    [entry] = entries(AuditEntry.Kind.LOCKOUT)
    assert (entry.target_type, entry.target_id, entry.target_repr) == ("auth.user", str(user.pk), "zhao_liu")
    assert entry.detail == {"username": "zhao_liu"}
    assert entry.ip_address == "127.0.0.1"
    assert len(entries(AuditEntry.Kind.LOGIN_FAILED)) == 3
