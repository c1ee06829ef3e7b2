"""One check for "does this person's role open this page": `role_required` on a view,
`require_role` where a decorator does not fit (an API view's method, a helper two views
share). Both raise PermissionDenied (403); what lies in a person's jurisdiction is the
selectors' business (404 for what is out of scope)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _

from access.roles import Roles, roles_of

if TYPE_CHECKING:
    from access.roles import AnyUser

# A role by its name in Roles (is_<name>), or a rule over the roles (cases.permissions.may_file).
Allowed = str | Callable[[Roles], bool]
View = TypeVar("View", bound=Callable[..., Any])

_ROLE_NAMES = {
    "admin": "is_admin",
    "grid_worker": "is_grid_worker",
    "centre_operator": "is_centre_operator",
    "department_staff": "is_department_staff",
    "supervisor": "is_supervisor",
}


def _check(allowed: tuple[Allowed, ...]) -> tuple[Allowed, ...]:
    if not allowed:
        raise TypeError("role_required needs at least one role")
    unknown = [a for a in allowed if isinstance(a, str) and a not in _ROLE_NAMES]
    if unknown:
        # Caught at import, not at the first request: a typo would refuse everyone.
        raise ValueError(f"unknown roles: {unknown}")
    return allowed


def _holds(roles: Roles, allowed: Allowed) -> bool:
    if isinstance(allowed, str):
        return bool(getattr(roles, _ROLE_NAMES[allowed]))
    return allowed(roles)


def require_role(user: AnyUser | None, *allowed: Allowed) -> Roles:
    """The user's roles, if any one of `allowed` holds; PermissionDenied otherwise."""
    roles = roles_of(user)
    if not any(_holds(roles, a) for a in _check(allowed)):
        raise PermissionDenied(_("Your role does not give access to this page."))
    return roles


def role_required(*allowed: Allowed) -> Callable[[View], View]:
    """A view opens to a person holding any one of `allowed`. Put it under login_required
    (a signed-out visitor is sent to sign in, not refused) and the method checks."""
    checked = _check(allowed)

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            require_role(request.user, *checked)
            return view(request, *args, **kwargs)

        return cast(View, wrapped)

    return decorator
