from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccessConfig(AppConfig):
    name = "access"
    verbose_name = _("Access")

    def ready(self) -> None:
        from access import receivers  # noqa: F401 - connects the signal handlers
