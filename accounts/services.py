"""Writes: password changes demanded and recorded, TOTP devices enrolled and tokens checked."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import devices_for_user, verify_token
from django_otp.models import VerifyNotAllowed
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from accounts.models import PasswordState

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django_otp.models import Device

# The name shown in authenticator apps and in admin's device list.
DEVICE_NAME = "wangge"


def require_password_change(user: User) -> PasswordState:
    """The user must replace their password at their next sign-in: demo accounts (whose
    password is printed), imported ones and passwords an administrator set. Until they do,
    every page leads to the password change page and the API answers 403."""
    state, _created = PasswordState.objects.update_or_create(
        user=user, defaults={"must_change": True}, create_defaults={"must_change": True, "changed_at": timezone.now()}
    )
    return state


def record_password_change(user: User) -> PasswordState:
    """Called from the validator's `password_changed` hook, after the user row is saved with
    the new password: the expiry clock restarts and any demand to change is met. The user's
    API tokens are revoked: a password changed because it leaked must not leave a token
    made with it working (phones sign in again and get a new one)."""
    state, _created = PasswordState.objects.update_or_create(
        user=user, defaults={"changed_at": timezone.now(), "must_change": False}
    )
    Token.objects.filter(user=user).delete()
    return state


def waive_password_change(user: User) -> PasswordState:
    """For scripts that sign in as demo users in a demo or scratch database (README
    screenshots, benchmarks): the current password counts as freshly chosen. Never for
    real accounts: their owners choose their own passwords."""
    return record_password_change(user)


class OTPRefused(Exception):
    """A token that does not verify; the message says why, for the form or the API."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def otp_enrolment_device(user: User) -> TOTPDevice:
    """The unconfirmed TOTP device the enrolment page shows, the same one on every visit
    until a first token confirms it (a reload must not change the QR code)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def otp_confirmed_device(user: User) -> Device | None:
    return next(devices_for_user(user, confirmed=True), None)


def _check(user: User, device: Device, token: str) -> Device:
    token = "".join(token.split())
    if not token:
        raise OTPRefused(_("Enter the 6-digit code from your authenticator app."))
    allowed, extra = device.verify_is_allowed()
    if not allowed:
        if extra and extra.get("reason") == VerifyNotAllowed.N_FAILED_ATTEMPTS:
            seconds = max(1, int((extra["locked_until"] - timezone.now()).total_seconds()) + 1)
            raise OTPRefused(_("Too many wrong codes. Wait %(seconds)d seconds, then try again.") % {"seconds": seconds})
        raise OTPRefused(_("Codes cannot be checked right now. Try again later."))
    # django_otp.verify_token locks the device row, so one code cannot be used twice at once,
    # and counts failures for the device's throttle.
    verified = verify_token(user, device.persistent_id, token)
    if verified is None:
        raise OTPRefused(_("Wrong or expired code. Check the time on your phone and enter the current code."))
    return verified


def otp_verify(*, user: User, token: str) -> Device:
    """Checks a token against the user's confirmed device; raises OTPRefused."""
    device = otp_confirmed_device(user)
    if device is None:
        raise OTPRefused(_("Set up your authenticator app on the web first (sign in with a browser)."))
    return _check(user, device, token)


def otp_confirm_enrolment(*, user: User, token: str) -> Device:
    """The first token from the new authenticator confirms the device; raises OTPRefused.
    Not one transaction with the check: a wrong token's failure count (the throttle) must be
    committed, not rolled back with the refusal."""
    device = otp_enrolment_device(user)
    verified = _check(user, device, token)
    with transaction.atomic():
        TOTPDevice.objects.filter(pk=verified.pk).update(confirmed=True)
        verified.confirmed = True
        # Other unconfirmed devices of the user (abandoned enrolments) go.
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return verified
