"""A lockout by django-axes after repeated failed sign-ins is recorded.

Until the account-security work puts axes in INSTALLED_APPS, this test switches it on for
itself (its cache handler: no tables needed) and off again, leaving no axes receivers
behind; once axes is installed, the project's own axes configuration is used."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.core.cache import cache
from django.core.signals import setting_changed
from django.test.utils import override_settings
from django.urls import reverse

from audit.models import AuditEntry
from tests.audit.conftest import entries
from tests.factories import UserFactory


@pytest.fixture
def axes_on() -> Iterator[int]:
    """Yields the failure limit after which axes locks an account out."""
    if apps.is_installed("axes"):
        with override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=3):
            yield 3
        return
    cache.clear()  # the cache handler counts failures there
    with override_settings(
        INSTALLED_APPS=[*settings.INSTALLED_APPS, "axes"],
        AXES_HANDLER="axes.handlers.cache.AxesCacheHandler",
        AXES_ENABLED=True,
        AXES_FAILURE_LIMIT=3,
        AXES_VERBOSE=False,
    ):
        # populate() ran ready() again with axes installed: audit connected its receiver.
        from axes import signals as axes_signals
        from axes.handlers.proxy import AxesProxyHandler

        # axes connects its own receivers once per process, on first import; make sure they are there.
        user_login_failed.connect(axes_signals.handle_user_login_failed)
        user_logged_in.connect(axes_signals.handle_user_logged_in)
        user_logged_out.connect(axes_signals.handle_user_logged_out)
        AxesProxyHandler.get_implementation(force=True)
        try:
            yield 3
        finally:
            # Before the settings go back: later tests run without axes or its settings.
            user_login_failed.disconnect(axes_signals.handle_user_login_failed)
            user_logged_in.disconnect(axes_signals.handle_user_logged_in)
            user_logged_out.disconnect(axes_signals.handle_user_logged_out)
            setting_changed.disconnect(axes_signals.handle_setting_changed)
            axes_signals.user_locked_out.disconnect(dispatch_uid="audit.locked_out")
            AxesProxyHandler.implementation = None


def test_lockout_after_repeated_failures_is_recorded(client, db, axes_on):
    user = UserFactory(username="zhao_liu")
    for _ in range(axes_on):
        client.post(reverse("login"), {"username": "zhao_liu", "password": "guess"})
    [entry] = entries(AuditEntry.Kind.LOCKOUT)
    assert (entry.target_type, entry.target_id, entry.target_repr) == ("auth.user", str(user.pk), "zhao_liu")
    assert entry.detail == {"username": "zhao_liu"}
    assert entry.ip_address == "127.0.0.1"
    assert len(entries(AuditEntry.Kind.LOGIN_FAILED)) == axes_on
