"""When each user last set their password, and whether they must set a new one."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PasswordState(models.Model):
    """One row per user whose password change has been recorded or demanded.

    A user without a row (an account written without `set_password`, or made before this
    table existed and missed by its migration) counts the password's age from
    `date_joined`. `changed_at` is stamped by `accounts.validators.PasswordHistoryValidator`,
    whose `password_changed` hook Django calls whenever a user saves a new password.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="password_state", verbose_name=_("user")
    )
    changed_at = models.DateTimeField(_("password changed at"))
    must_change = models.BooleanField(
        _("must change at next sign-in"),
        default=False,
        help_text=_("Demo, imported and administrator-set passwords must be replaced by their owner."),
    )

    class Meta:
        verbose_name = _("password state")
        verbose_name_plural = _("password states")

    def __str__(self) -> str:
        return str(self.user)
