from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        # Registers the Celery tasks in every process (web, shell, worker): the services
        # queue them by name (cases.services.notifications) and cannot import them.
        from cases import tasks  # noqa: F401
