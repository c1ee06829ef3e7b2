"""The work: departments and their units, the category taxonomy, cases and their timeline.

Departments and categories are data, not code (DOMAIN §2): a city adds, renames or merges
them without a deploy.
"""

from __future__ import annotations

import pgtrigger
from django.conf import settings
from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _
from encrypted_fields.fields import EncryptedCharField

from grids.models import Area, GridCell


class Department(models.Model):
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=50)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class DepartmentUnit(models.Model):
    """A department's office in one area (usually a district): who actually handles cases."""

    department = models.ForeignKey(Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="units")
    area = models.ForeignKey(Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="department_units")
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("department unit")
        verbose_name_plural = _("department units")
        ordering = ["area__code", "department__code"]
        permissions = [("handle_cases", _("Can handle the cases dispatched to this unit"))]
        constraints = [models.UniqueConstraint(fields=["department", "area"], name="department_unit_unique")]

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    """Two-level taxonomy; limits live on the second level and are copied onto each case."""

    class Severity(models.IntegerChoices):
        LOW = 1, _("Low")
        MEDIUM = 2, _("Medium")
        HIGH = 3, _("High")
        URGENT = 4, _("Urgent")

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=50)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    default_department = models.ForeignKey(
        Department, verbose_name=_("default department"), null=True, blank=True, on_delete=models.PROTECT
    )
    severity = models.PositiveSmallIntegerField(_("severity"), choices=Severity.choices, default=Severity.MEDIUM)
    self_resolvable = models.BooleanField(_("grid worker may resolve on the spot"), default=False)
    sign_for_hours = models.PositiveSmallIntegerField(_("sign-for limit (working hours)"), default=4)
    handle_days = models.PositiveSmallIntegerField(_("handling limit (working days)"), default=3)
    # Which centre receives new reports: most go to the cell's community; some matters (a
    # chemical plant, a river) belong to the street, district or city centre from the start.
    handling_level = models.CharField(
        _("handled by the centre of"),
        max_length=12,
        choices=[(level, label) for level, label in Area.Level.choices],
        default=Area.Level.COMMUNITY,
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.parent.name}/{self.name}" if self.parent_id and self.parent else self.name


class Case(models.Model):
    class Status(models.TextChoices):
        REPORTED = "reported", _("Reported")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")
        DISPATCHED = "dispatched", _("Dispatched")
        IN_PROGRESS = "in_progress", _("In progress")
        HANDLED = "handled", _("Handled")
        CLOSED = "closed", _("Closed")

    class Source(models.TextChoices):
        GRID_WORKER = "grid_worker", _("Grid worker")
        CITIZEN = "citizen", _("Citizen")
        API = "api", _("API")
        RISK_WARNING = "risk_warning", _("Risk warning")

    class RejectKind(models.TextChoices):
        INVALID = "invalid", _("Not a valid report")
        DUPLICATE = "duplicate", _("Duplicate of another case")
        OUT_OF_SCOPE = "out_of_scope", _("Not in scope")

    number = models.CharField(_("case number"), max_length=24, unique=True)
    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="cases")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.REPORTED)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.GRID_WORKER)
    description = models.TextField(_("description"))
    location = models.PointField(_("location"), srid=4326)
    address = models.CharField(_("address"), max_length=200, blank=True)
    grid_cell = models.ForeignKey(GridCell, verbose_name=_("grid cell"), on_delete=models.PROTECT, related_name="cases")
    # Denormalised from the cell so jurisdiction filters are one indexed prefix match.
    cell_code = models.CharField(_("grid cell code"), max_length=15, db_index=True)
    centre = models.ForeignKey(
        Area, verbose_name=_("handling centre"), on_delete=models.PROTECT, related_name="centre_cases"
    )
    unit = models.ForeignKey(
        DepartmentUnit, verbose_name=_("handling unit"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="cases",
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reporter"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="reported_cases",
    )
    # Who reported it, as given (a citizen, or the person a grid worker spoke to): encrypted
    # at rest with a key derived from SECRET_KEY and FIELD_ENCRYPTION_SALT, shown masked
    # except to the roles that must call back (cases.personal_data). Empty is stored NULL.
    reporter_name = EncryptedCharField(_("reporter's name"), max_length=50, null=True, blank=True)
    reporter_phone = EncryptedCharField(_("reporter's phone"), max_length=20, null=True, blank=True)
    reporter_id_number = EncryptedCharField(_("reporter's ID number"), max_length=18, null=True, blank=True)
    # A phone retrying a report on a bad network sends the same key: one case, not two.
    client_key = models.CharField(_("client key"), max_length=64, null=True, blank=True, unique=True)
    self_resolved = models.BooleanField(_("resolved on the spot"), default=False)
    # Limits are copied from the category at filing time: later edits apply to new cases only.
    sign_for_hours = models.PositiveSmallIntegerField(_("sign-for limit (working hours)"))
    handle_days = models.PositiveSmallIntegerField(_("handling limit (working days)"))
    sign_deadline = models.DateTimeField(_("sign-for deadline"), null=True, blank=True)
    handle_deadline = models.DateTimeField(_("handling deadline"), null=True, blank=True)
    reported_at = models.DateTimeField(_("reported at"), db_index=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    satisfaction = models.PositiveSmallIntegerField(_("satisfaction"), null=True, blank=True)
    reject_kind = models.CharField(_("rejected as"), max_length=16, choices=RejectKind.choices, blank=True)
    duplicate_of = models.ForeignKey(
        "self", verbose_name=_("duplicate of"), null=True, blank=True, on_delete=models.PROTECT, related_name="duplicates"
    )
    rework_count = models.PositiveSmallIntegerField(_("reworks"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-reported_at"]
        indexes = [
            models.Index(fields=["status", "centre"]),
            models.Index(fields=["unit", "status"]),
            models.Index(fields=["cell_code"], name="case_cell_code_prefix", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self) -> str:
        return self.number


class CaseEvent(models.Model):
    """One row per action on a case: the append-only timeline that KPIs and audits read."""

    class Action(models.TextChoices):
        REPORT = "report", _("Report")
        RESOLVE_ON_SPOT = "resolve_on_spot", _("Resolve on the spot")
        ACCEPT = "accept", _("Accept")
        REJECT = "reject", _("Reject")
        DISPATCH = "dispatch", _("Dispatch")
        SIGN_FOR = "sign_for", _("Sign for")
        RETURN = "return", _("Return")
        REPORT_HANDLED = "report_handled", _("Report handled")
        VERIFY_PASS = "verify_pass", _("Verify: pass")
        VERIFY_FAIL = "verify_fail", _("Verify: fail, rework")
        ESCALATE = "escalate", _("Escalate to the next centre")
        REQUEST_EXTENSION = "request_extension", _("Request extension")
        APPROVE_EXTENSION = "approve_extension", _("Approve extension")
        DENY_EXTENSION = "deny_extension", _("Deny extension")
        EVALUATE = "evaluate", _("Evaluate")
        REOPEN = "reopen", _("Reopen")
        SUPERVISE = "supervise", _("Overdue: escalated to the supervisor")
        REPORT_PART = "report_part", _("Co-handler reports its part")
        REASSIGN = "reassign", _("Reassign to another unit")
        URGE = "urge", _("Urged by a supervisor")

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True, on_delete=models.PROTECT
    )
    role = models.CharField(_("role"), max_length=20, blank=True)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    from_status = models.CharField(_("from"), max_length=16, choices=Case.Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=16, choices=Case.Status.choices)
    unit = models.ForeignKey(
        DepartmentUnit, verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("time"), db_index=True)

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        ordering = ["created_at", "id"]
        # The timeline is the source of truth for KPIs and audits (DOMAIN §3): PostgreSQL
        # itself refuses to change or remove a row, whoever asks (admin, shell, raw SQL).
        triggers = [
            pgtrigger.Protect(name="caseevent_append_only", operation=pgtrigger.Update | pgtrigger.Delete),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.action}"


class CoHandler(models.Model):
    """A unit that works on a dispatched case beside the lead unit and reports its part."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="co_handlers")
    unit = models.ForeignKey(DepartmentUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="co_handled")
    reported_at = models.DateTimeField(_("part reported at"), null=True, blank=True)

    class Meta:
        verbose_name = _("co-handling unit")
        verbose_name_plural = _("co-handling units")
        constraints = [models.UniqueConstraint(fields=["case", "unit"], name="co_handler_once")]

    def __str__(self) -> str:
        return f"{self.case_id} + {self.unit_id}"


MAX_EXTENSION_DAYS = 15  # the longest published handling tier (DOMAIN §3)


class ExtensionRequest(models.Model):
    """A unit's request for more handling time; the centre approves or denies it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        DENIED = "denied", _("Denied")

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="extensions")
    unit = models.ForeignKey(DepartmentUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    days = models.PositiveSmallIntegerField(_("extra working days"))
    reason = models.TextField(_("reason"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_at = models.DateTimeField(_("requested at"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")
        constraints = [
            # At most one open request per case: a second waits for the first decision.
            models.UniqueConstraint(
                fields=["case"], condition=models.Q(status="pending"), name="one_pending_extension_per_case"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} +{self.days}"


class Supervision(models.Model):
    """督办: a case that passed a deadline, escalated to the supervisors of its unit's area.
    One row per case, kind and deadline, so the job that writes them may run any number of
    times; the overdue time per unit is read from these rows and the timeline."""

    class Kind(models.TextChoices):
        SIGN_FOR_OVERDUE = "sign_for_overdue", _("Not signed for in time")
        HANDLING_OVERDUE = "handling_overdue", _("Not handled in time")
        URGED = "urged", _("Urged by a supervisor")

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="supervisions")
    unit = models.ForeignKey(DepartmentUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    deadline = models.DateTimeField(_("deadline"))
    created_at = models.DateTimeField(_("escalated at"))

    class Meta:
        verbose_name = _("supervision")
        verbose_name_plural = _("supervisions")
        constraints = [
            models.UniqueConstraint(fields=["case", "kind", "deadline"], name="one_supervision_per_deadline"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind}"


class Notification(models.Model):
    """An in-app message to one person about one case. `key` makes a job's messages
    idempotent: the same (recipient, case, kind, key) is written once."""

    class Kind(models.TextChoices):
        ACTION_NEEDED = "action_needed", _("Your action is needed")
        CASE_CLOSED = "case_closed", _("Your report was closed")
        NEAR_DEADLINE = "near_deadline", _("Deadline near")
        OVERDUE = "overdue", _("Overdue")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="notifications"
    )
    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    key = models.CharField(_("key"), max_length=64)
    created_at = models.DateTimeField(_("created at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "case", "kind", "key"], name="notification_once"),
        ]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return f"{self.recipient_id} {self.kind} {self.case_id}"


class Attachment(models.Model):
    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="attachments")
    event = models.ForeignKey(
        CaseEvent, verbose_name=_("timeline entry"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="attachments",
    )
    file = models.ImageField(_("photo"), upload_to="cases/%Y/%m/")
    thumbnail = models.ImageField(_("thumbnail"), upload_to="cases/%Y/%m/thumbs/", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.file.name or ""
