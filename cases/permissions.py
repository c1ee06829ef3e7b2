"""Who may file and who handles a case: the case-specific rules over the roles that
access.roles reads (DOMAIN §2). The action registry (cases.workflow) holds the rest."""

from __future__ import annotations

from typing import TYPE_CHECKING

from access.codes import covers
from access.roles import Roles, roles_of
from cases.models import Case

if TYPE_CHECKING:
    from access.roles import AnyUser


def may_file(roles: Roles) -> bool:
    """Who may file reports at all (DOMAIN §2): grid workers, centre operators (who file what
    citizens phone in), administrators, and a signed-in person holding no role, as a
    citizen. Supervisors and department staff read and handle; they do not report."""
    return roles.is_admin or roles.is_grid_worker or roles.is_centre_operator or not roles.names


def filing_role(roles: Roles, *, cell_id: int, cell_code: str) -> str | None:
    """The role in which a reporter files a report in this grid cell, or None where they may
    not: a grid worker in their own cells, a centre operator within their jurisdiction,
    administrators and citizens anywhere in the city. The one rule for web, API and shell."""
    if cell_id in roles.cell_ids:
        return "grid_worker"
    if covers(roles.centre_prefixes, cell_code):
        return "centre_operator"
    if roles.is_admin:
        return "administrator"
    if not roles.names:
        return "citizen"
    return None


def is_handling_centre(roles: Roles, case: Case) -> bool:
    """The case's centre, or one above it (which may act on it too)."""
    return covers(roles.centre_prefixes, case.centre.code)


def reporter_role(user: AnyUser | None) -> str:
    if user is None:
        return "system"
    return "grid_worker" if roles_of(user).is_grid_worker else "citizen"
