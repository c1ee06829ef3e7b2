"""Who acts where: role assignments, which the scope groups (access.scopes) turn into
django-guardian grants that access.roles reads.

A department-staff assignment names a `cases.DepartmentUnit` by a string reference, not an
import: the organisation (departments and their units) stays with the cases it handles, and
this app reads only the unit's primary key (the guardian grant is on the unit's row). The
dependency is one foreign key at the model level, with no Python import of cases, so
access stays below cases in the layers (docs/architecture.md says why).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from grids.models import Area


class RoleAssignment(models.Model):
    """Who acts where. One person may hold several roles; admins edit these rows and the
    change takes effect on the next request. Grid workers' cells are GridAssignment rows."""

    class Role(models.TextChoices):
        CENTRE_OPERATOR = "centre_operator", _("Centre operator")
        DEPARTMENT_STAFF = "department_staff", _("Department staff")
        SUPERVISOR = "supervisor", _("Supervisor")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    area = models.ForeignKey(Area, verbose_name=_("area"), null=True, blank=True, on_delete=models.CASCADE)
    unit = models.ForeignKey(
        "cases.DepartmentUnit", verbose_name=_("unit"), null=True, blank=True, on_delete=models.CASCADE
    )

    class Meta:
        # The table keeps the name it had in cases (SeparateDatabaseAndState, access 0001).
        db_table = "cases_roleassignment"
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(role="department_staff", unit__isnull=False, area__isnull=True)
                    | (~models.Q(role="department_staff") & models.Q(area__isnull=False, unit__isnull=True))
                ),
                name="role_assignment_scope",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.role} {self.area or self.unit}"
