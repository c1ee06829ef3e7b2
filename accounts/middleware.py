"""Sign-in policy on every request of a signed-in session (MLPS 2.0 身份鉴别):

1. session clocks: signed out after SESSION_IDLE_MINUTES without a request, and
   SESSION_COOKIE_AGE seconds after sign-in however busy;
2. second factor: administrators and supervisors verify a TOTP token (django-otp) before
   anything else; one who has no authenticator yet and must replace a given password (a
   demo's, an administrator's) changes it first and enrols after;
3. password: an expired password, or one the user must replace, leads to the change page.

Pages get a redirect, the API (/api/…) a 403 with a JSON message. API calls with a token or
Basic auth carry no session; accounts.authentication applies the same rules to them.

Placed after django-otp's OTPMiddleware (which tells whether the session is verified) and
MessageMiddleware (the signed-out message), before AxesMiddleware (last, as axes asks).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from access.roles import person
from accounts import services
from accounts.selectors import otp_required, otp_verified, password_verdict

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.contrib.sessions.backends.base import SessionBase

API_PREFIX = "/api/"
# Session keys. Times are Unix seconds (the JSON session serializer stores numbers).
AUTH_AT = "accounts_auth_at"  # sign-in: the absolute limit counts from here
SEEN_AT = "accounts_seen_at"  # last recorded activity: the idle limit counts from here
# The password needs no change before this time; None: ever.
PASSWORD_OK_UNTIL = "accounts_password_ok_until"  # noqa: S105 -- a session key, not a password
# The activity stamp is written at most this often, so an ordinary request does not write
# the session row (intake speed). Idle sign-out can therefore come up to this much early,
# never late.
ACTIVITY_WRITE_SECONDS = 60


def _cache_password_verdict(session: SessionBase, user: User) -> bool:
    """Reads the user's password state and caches until when it needs no look. True if the
    password must be changed now. Writes the session only when the cached value changes."""
    verdict = password_verdict(user)
    ok_until: float | None
    if verdict.reason is not None:
        ok_until = 0
    elif verdict.expires_at is None:
        ok_until = None
    else:
        ok_until = verdict.expires_at.timestamp()
    if session.get(PASSWORD_OK_UNTIL, 0) != ok_until or PASSWORD_OK_UNTIL not in session:
        session[PASSWORD_OK_UNTIL] = ok_until
    return verdict.reason is not None


def start_session_clock(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    """user_logged_in receiver: the sign-in writes the session anyway, so the clocks and the
    password verdict go in with it and the next requests need neither a write nor a read."""
    session = getattr(request, "session", None)
    if session is None:
        return
    now = time.time()
    session[AUTH_AT] = now
    session[SEEN_AT] = now
    _cache_password_verdict(session, user)


def password_before_enrolment(session: SessionBase, user: User) -> bool:
    """True for an account without a confirmed authenticator whose password must be changed
    now: it changes the password first and enrols after. A given password (the demo's is
    public, an administrator's is known to them) must not be enough to take the TOTP secret;
    an enrolled account proves its device first, then changes the password."""
    ok_until = session.get(PASSWORD_OK_UNTIL, 0)
    if ok_until is None or time.time() < ok_until:
        return False
    return _cache_password_verdict(session, user) and services.otp_confirmed_device(user) is None


def refresh_password_verdict(request: HttpRequest) -> None:
    """After a password change in this session."""
    _cache_password_verdict(request.session, person(request.user))


def _json(code: str, detail: str, status: int = 403) -> JsonResponse:
    return JsonResponse({"code": code, "detail": detail}, status=status)


class AccountPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    @cached_property
    def _otp_open(self) -> frozenset[str]:
        """Pages a signed-in user may open before the second factor."""
        return frozenset({
            reverse("accounts-otp"), reverse("logout"), reverse("login"), reverse("set_language"),
            reverse("admin:logout"),
        })

    @cached_property
    def _password_open(self) -> frozenset[str]:
        """Pages a user who must change their password may open."""
        return self._otp_open | {reverse("password_change"), reverse("password_change_done")}

    @cached_property
    def _password_open_before_enrolment(self) -> frozenset[str]:
        return self._password_open - {reverse("accounts-otp")}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return self.get_response(request)
        path = request.path_info
        if path.startswith(settings.STATIC_URL):
            return self.get_response(request)
        session = request.session
        now = time.time()

        expired = self._session_expired(session, now)
        if expired is not None:
            logout(request)
            if path.startswith(API_PREFIX):
                return _json("session_expired", expired)
            messages.info(request, expired)
            return redirect_to_login(request.get_full_path())
        if now - session.get(SEEN_AT, 0) >= ACTIVITY_WRITE_SECONDS:
            session[SEEN_AT] = now

        second_factor_due = not otp_verified(user) and otp_required(user)
        # No authenticator yet and a given password to replace: the password step below comes
        # first, and the enrolment page waits for it with everything else.
        enrol_later = second_factor_due and password_before_enrolment(session, user)
        if second_factor_due and not enrol_later and path not in self._otp_open:
            if path.startswith(API_PREFIX):
                return _json("otp_required", _(
                    "This account signs in with a second factor: verify your authenticator code in the "
                    "browser first, or use a token from POST /api/auth/token/ with otp_token."
                ))
            return redirect_to_login(request.get_full_path(), login_url=reverse("accounts-otp"))

        ok_until = session.get(PASSWORD_OK_UNTIL, 0)
        password_open = self._password_open_before_enrolment if enrol_later else self._password_open
        if ok_until is not None and now >= ok_until and path not in password_open:
            if _cache_password_verdict(session, user):
                if path.startswith(API_PREFIX):
                    return _json("password_change_required", _(
                        "Your password has expired or must be changed. Change it in the browser "
                        "(Change password), then try again."
                    ))
                return redirect_to_login(request.get_full_path(), login_url=reverse("password_change"))
        return self.get_response(request)

    @staticmethod
    def _session_expired(session: SessionBase, now: float) -> str | None:
        """Why the session is over, or None. A session from before these clocks (no stamp)
        starts them now."""
        if AUTH_AT not in session:
            session[AUTH_AT] = now
            session[SEEN_AT] = now
            return None
        idle_limit = settings.SESSION_IDLE_MINUTES * 60
        if now - session.get(SEEN_AT, 0) > idle_limit:
            return _("You were signed out after %(minutes)d minutes without activity. Sign in again.") % {
                "minutes": settings.SESSION_IDLE_MINUTES
            }
        if now - session[AUTH_AT] > settings.SESSION_COOKIE_AGE:
            return _("You were signed out: a session lasts at most %(hours)s hours. Sign in again.") % {
                "hours": f"{settings.SESSION_COOKIE_AGE / 3600:g}"
            }
        return None
