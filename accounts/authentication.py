"""DRF authentication with the sign-in rules of accounts.middleware, for API calls that
carry no session: HTTP Basic (a password on every request) and tokens.

- A locked-out account (django-axes) is refused with 403 and a JSON message. axes marks the
  request it was given; DRF passes its own Request to `authenticate`, so AxesMiddleware
  (which looks at Django's request) never sees the mark and the check is here.
- Accounts that need a second factor may not use Basic auth (a password alone): they get a
  token from POST /api/auth/token/ with username, password and otp_token.
- An expired password, or one the user must change, is refused until it is changed.
- A token ends API_TOKEN_MAX_AGE_HOURS after it was issued (403 `token_expired`), as a
  session ends SESSION_COOKIE_AGE after sign-in: a token copied off a phone or out of a log
  stops working by itself, and asking for a new one goes through the lockout and the second
  factor again.
- While sign-ins of the token's user from the request's address are locked out
  (accounts.lockout), the token is refused too (403 `locked_out`): a lockout must not leave
  a token made before it working.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from axes.helpers import get_client_ip_address
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from accounts.lockout import locked
from accounts.models import PasswordState
from accounts.selectors import otp_required, password_verdict

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def refusal(code: str, detail: str) -> exceptions.PermissionDenied:
    """A 403 whose body is {"code", "detail"}, as the API's other refusals."""
    return exceptions.PermissionDenied({"code": code, "detail": detail})


def locked_out_refusal() -> exceptions.PermissionDenied:
    from accounts.views import lockout_message

    return refusal("locked_out", lockout_message())


def password_refusal() -> exceptions.PermissionDenied:
    return refusal("password_change_required", _(
        "Your password has expired or must be changed. Change it in the browser (Change password), then try again."
    ))


def token_expired(token: Token, now: dt.datetime | None = None) -> bool:
    age = (now or timezone.now()) - token.created
    return age > dt.timedelta(hours=settings.API_TOKEN_MAX_AGE_HOURS)


def check_password_state(user: User) -> None:
    if password_verdict(user).reason is not None:
        raise password_refusal()


class BasicAuthentication(authentication.BasicAuthentication):
    def authenticate_credentials(self, userid: str, password: str, request: Any = None) -> tuple[Any, None]:
        try:
            user, auth = super().authenticate_credentials(userid, password, request)
        except exceptions.AuthenticationFailed:
            if getattr(request, "axes_locked_out", False):
                raise locked_out_refusal() from None
            raise
        if otp_required(user):
            raise refusal("token_required", _(
                "This account signs in with a second factor, so it cannot use Basic auth: get a token from "
                "POST /api/auth/token/ (username, password, otp_token) and send Authorization: Token …"
            ))
        check_password_state(user)
        return user, auth


# Every API request reads its token, the user and the password state: one plain statement,
# rows turned into models with Model.from_db (a queryset cost ~1 ms a request to compile;
# bench/intake.py). Columns in the models' field order, which from_db expects.
_UserModel = get_user_model()
_USER_FIELDS = tuple(f.attname for f in _UserModel._meta.concrete_fields)
_STATE_FIELDS = tuple(f.attname for f in PasswordState._meta.concrete_fields)
# The lockout counts (accounts.lockout) of the user's name from the request's address and of
# the address ride in the same statement: a token is refused while a sign-in from there
# would be.
_TOKEN_SQL = (
    f"SELECT t.created, f.name_failures, f.address_failures,"  # noqa: S608
    f" {', '.join('u.' + f for f in _USER_FIELDS)}, {', '.join('s.' + f for f in _STATE_FIELDS)}"
    f" FROM {Token._meta.db_table} t JOIN {_UserModel._meta.db_table} u ON u.id = t.user_id"
    f" LEFT JOIN {PasswordState._meta.db_table} s ON s.user_id = u.id"
    f" CROSS JOIN LATERAL (SELECT coalesce(sum(a.failures_since_start) FILTER (WHERE a.username = u.username), 0),"
    f" coalesce(sum(a.failures_since_start), 0) FROM {AccessAttempt._meta.db_table} a"
    f" WHERE a.ip_address = %s AND a.attempt_time >= %s) f(name_failures, address_failures)"
    f" WHERE t.key = %s"
)


def token_with_user(key: str, *, address: str | None = None) -> tuple[Token, bool] | None:
    """The token with this key, its user and the user's password state (cached on the user,
    None when there is no row), and whether sign-ins of the user from `address` are locked
    out; or None."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    with connection.cursor() as cursor:
        cursor.execute(_TOKEN_SQL, [address, since, key])
        row = cursor.fetchone()
    if row is None:
        return None
    is_locked = locked(row[1], row[2])
    row = (row[0], *row[3:])
    users = len(_USER_FIELDS)
    user = _UserModel.from_db(connection.alias, _USER_FIELDS, row[1:1 + users])
    state_row = row[1 + users:]
    state = None if state_row[0] is None else PasswordState.from_db(connection.alias, _STATE_FIELDS, state_row)
    _UserModel.password_state.related.set_cached_value(user, state)
    token = Token(key=key, user_id=user.pk, created=row[0])
    token._state.adding = False
    token._state.db = connection.alias
    token.user = user
    return token, is_locked


class TokenAuthentication(authentication.TokenAuthentication):
    # DRF makes new authenticators for every request, so the address may wait here for
    # authenticate_credentials, which DRF calls with the key alone.
    address: str | None = None

    def authenticate(self, request: Any) -> tuple[Any, Any] | None:
        self.address = get_client_ip_address(request)
        return super().authenticate(request)

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        # PostgreSQL refuses NUL in text; no key holds one.
        found = None if "\x00" in key else token_with_user(key, address=self.address)
        if found is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        token, is_locked = found
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        if token_expired(token):
            raise exceptions.AuthenticationFailed({"code": "token_expired", "detail": _(
                "This token has expired: ask POST /api/auth/token/ for a new one."
            )})
        if is_locked:
            # A lockout stops the account's tokens as well as its sign-ins, until the
            # cool-off ends or an administrator unlocks.
            raise locked_out_refusal()
        check_password_state(token.user)
        return token.user, token
