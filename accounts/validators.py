"""Password rules (MLPS 2.0 level 3, 身份鉴别: complexity and periodic change).

Configured in AUTH_PASSWORD_VALIDATORS beside Django's own; Django runs `validate` on every
password form (change, reset, admin, createsuperuser) and calls `password_changed` after a
user is saved with a new password.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

if TYPE_CHECKING:
    from django.contrib.auth.models import User

CLASSES = 4  # upper-case letters, lower-case letters, digits, everything else (symbols, CJK, spaces)


def character_classes(password: str) -> int:
    """How many of the four classes the password draws on."""
    upper = any(ch.isupper() for ch in password)
    lower = any(ch.islower() for ch in password)
    digit = any(ch.isdigit() for ch in password)
    other = any(not (ch.isupper() or ch.islower() or ch.isdigit()) for ch in password)
    return sum((upper, lower, digit, other))


class ComplexityValidator:
    """At least `min_length` characters (default PASSWORD_MIN_LENGTH) from at least
    `min_classes` of the four character classes (default 3)."""

    def __init__(self, min_length: int | None = None, min_classes: int = 3) -> None:
        self._min_length = min_length
        if not 1 <= min_classes <= CLASSES:
            raise ValueError(f"min_classes must be 1 to {CLASSES}")
        self.min_classes = min_classes

    @property
    def min_length(self) -> int:
        # Read at each use: Django builds the validators once per process.
        return self._min_length if self._min_length is not None else int(settings.PASSWORD_MIN_LENGTH)

    def validate(self, password: str, user: User | None = None) -> None:
        errors = []
        if len(password) < self.min_length:
            errors.append(ValidationError(
                ngettext(
                    "This password is too short: use at least %(min_length)d character.",
                    "This password is too short: use at least %(min_length)d characters.",
                    self.min_length,
                ),
                code="password_too_short",
                params={"min_length": self.min_length},
            ))
        if character_classes(password) < self.min_classes:
            errors.append(ValidationError(
                _("This password is too simple: mix at least %(min_classes)d of upper-case letters, "
                  "lower-case letters, digits and symbols."),
                code="password_too_simple",
                params={"min_classes": self.min_classes},
            ))
        if errors:
            raise ValidationError(errors)

    def get_help_text(self) -> str:
        return _(
            "Use at least %(min_length)d characters and mix at least %(min_classes)d of upper-case letters, "
            "lower-case letters, digits and symbols."
        ) % {"min_length": self.min_length, "min_classes": self.min_classes}


class PasswordChangeValidator:
    """A new password must differ from the current one (a forced or expired change that
    keeps the old password changes nothing), and each saved change restarts the expiry
    clock and meets any demand to change (`accounts.services.record_password_change`)."""

    def validate(self, password: str, user: User | None = None) -> None:
        current = getattr(user, "password", "") if user is not None else ""
        # hashers.check_password, not user.check_password: the latter may re-hash and save.
        if current and check_password(password, current):
            raise ValidationError(
                _("The new password must differ from the current one."), code="password_unchanged"
            )

    def password_changed(self, password: str, user: User | None = None) -> None:
        if user is None or user.pk is None:
            return
        from accounts.services import record_password_change

        record_password_change(user)

    def get_help_text(self) -> str:
        return _("It must differ from your current password.")



