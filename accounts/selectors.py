"""Reads: may this user go on with their password, and must they prove a second factor?"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import timezone

from access.roles import roles_of
from accounts.models import PasswordState

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    AnyUser = User | AnonymousUser

MUST_CHANGE = "must_change"
EXPIRED = "expired"


@dataclass(frozen=True)
class PasswordVerdict:
    """`reason` is MUST_CHANGE, EXPIRED or None (fine); `expires_at` is when a fine password
    stops being fine (None: PASSWORD_MAX_AGE_DAYS is 0, passwords do not expire)."""

    reason: str | None
    expires_at: dt.datetime | None


def password_verdict(user: User, *, now: dt.datetime | None = None) -> PasswordVerdict:
    """One read of the user's PasswordState (none if `user.password_state` was selected with
    the user). Without a row, the password's age counts from `date_joined`."""
    now = now or timezone.now()
    try:
        state: PasswordState | None = user.password_state
    except PasswordState.DoesNotExist:
        state = None
    if state is not None and state.must_change:
        return PasswordVerdict(MUST_CHANGE, None)
    max_age = settings.PASSWORD_MAX_AGE_DAYS
    if max_age <= 0:
        return PasswordVerdict(None, None)
    changed_at = state.changed_at if state is not None else getattr(user, "date_joined", None) or now
    expires_at = changed_at + dt.timedelta(days=max_age)
    return PasswordVerdict(EXPIRED if expires_at <= now else None, expires_at)


def otp_required(user: AnyUser) -> bool:
    """Administrators (staff, superusers) and supervisors sign in with a TOTP token too: they
    see everything in their jurisdiction (MLPS 2.0 level 3 asks two factors of privileged
    users). The role rows are read once per request (roles_of caches them on the user)."""
    if not user.is_authenticated:
        return False
    if getattr(user, "is_staff", False) or getattr(user, "is_superuser", False):
        return True
    return roles_of(user).is_supervisor


def otp_verified(user: AnyUser) -> bool:
    """True once django-otp's middleware found a confirmed device of this user in the session."""
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())
