"""The lockout rule (django-axes, MLPS 2.0 身份鉴别: handling of failed sign-ins).

Failures count twice: per (user name, address) and per address. AXES_FAILURE_LIMIT failures
for one name from one address lock that name there; AXES_ADDRESS_FAILURE_LIMIT failures
from one address, whatever the names, lock every sign-in from it. Counting per name alone
let anyone lock a known account for the whole cool-off from one address; per address alone
would lock a street office behind one NAT address out for one person's typos, hence the
higher address limit. Both end AXES_COOLOFF after the last counted failure, and an
administrator lifts them sooner (admin "Access attempts", `axes_reset_username`,
`axes_reset_ip`). A locked sign-in also locks the user's API tokens from there
(accounts.authentication.TokenAuthentication).
"""

from __future__ import annotations

from typing import Any

from axes.conf import settings as axes_settings
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Q, Sum

# The longest user name (auth.User: 150), within axes' and the audit trail's columns.
USERNAME_MAX = 150
# PostgreSQL text cannot hold NUL; no user name can contain this replacement character.
_NUL_STAND_IN = "\ufffd"


def lockout_username(request: Any, credentials: dict[str, Any] | None = None) -> str | None:
    """AXES_USERNAME_CALLABLE: the name axes counts and stores. A name no account can have
    (over USERNAME_MAX characters, or holding a NUL, as a prober sends) is cut and has its
    NULs replaced, so storing or looking it up cannot fail: before, axes' varchar(255)
    and PostgreSQL's refusal of NUL turned such a sign-in into a 500."""
    if credentials:
        raw = credentials.get(axes_settings.AXES_USERNAME_FORM_FIELD)
    else:
        data = getattr(request, "data", None) or getattr(request, "POST", {})
        raw = data.get(axes_settings.AXES_USERNAME_FORM_FIELD)
    if raw is None:
        return None
    return storable_username(str(raw))


def storable_username(name: str) -> str:
    return name[:USERNAME_MAX].replace("\x00", _NUL_STAND_IN)


def is_possible_username(name: str) -> bool:
    """False for a name no account can have; the sign-in backends then check nothing."""
    return len(name) <= USERNAME_MAX and "\x00" not in name


def locked(name_failures: int, address_failures: int) -> bool:
    """The rule, from the two counts within the cool-off."""
    return name_failures >= settings.AXES_FAILURE_LIMIT or address_failures >= settings.AXES_ADDRESS_FAILURE_LIMIT


class LockoutHandler(AxesDatabaseHandler):
    """axes' database handler with the two counts of `locked` (axes compares one count with
    one limit: for an address over its own limit this answers AXES_FAILURE_LIMIT)."""

    def get_failures(self, request: Any, credentials: dict[str, Any] | None = None) -> int:
        name = get_client_username(request, credentials)
        address = request.axes_ip_address
        since = request.axes_attempt_time - settings.AXES_COOLOFF_TIME
        counts = _failures(name, address, since)
        if locked(*counts):
            return max(counts[0], settings.AXES_FAILURE_LIMIT)
        return counts[0]

    def reset_user_attempts(self, request: Any, credentials: dict[str, Any] | None = None) -> int:
        """A successful sign-in clears the failures of that name from that address only: a
        colleague's (or an attacker's own account's) success must not wipe the address's
        count of everyone else's failures."""
        name = get_client_username(request, credentials)
        count, _deleted = AccessAttempt.objects.filter(username=name, ip_address=request.axes_ip_address).delete()
        return count


def _failures(name: str | None, address: str | None, since: Any) -> tuple[int, int]:
    """(failures of this name from this address, failures from this address) since `since`,
    in one statement."""
    # An address axes could not tell is stored NULL and counts as one address.
    sums = AccessAttempt.objects.filter(ip_address=address, attempt_time__gte=since).aggregate(
        name=Sum("failures_since_start", filter=Q(username=name)), address=Sum("failures_since_start"))
    return sums["name"] or 0, sums["address"] or 0
