from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and sign-in")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        import accounts.schema  # noqa: F401 -- registers the OpenAPI extension
        from accounts.middleware import start_session_clock

        # Every sign-in (the login form, the admin's, a test's force_login) starts the
        # session's absolute and idle clocks and caches the password verdict.
        user_logged_in.connect(start_session_clock, dispatch_uid="accounts.start_session_clock")
