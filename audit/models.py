"""The audit trail (安全审计, GB/T 22239-2019 level 3): one row per security-relevant event,
append-only and hash-chained.

Rows are written only by `audit.services.record`, which takes the chain lock, gives the row
the next id and the database's clock, and links it to the previous row by SHA-256
(`audit.chain`). PostgreSQL refuses UPDATE and DELETE; `manage.py verify_audit` finds a row
changed, removed or forged behind the application's back (docs/security.md, "Audit trail").

`detail` never holds passwords, password hashes, tokens or unmasked personal data (ID or
phone numbers, addresses of people): it says *what* happened to *which* record, so that
reading the trail never becomes a way round the masking it audits.
"""

from __future__ import annotations

from typing import Any

import pgtrigger
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    class Kind(models.TextChoices):
        LOGIN = "login", _("Signed in")
        LOGIN_FAILED = "login_failed", _("Sign-in failed")
        LOGOUT = "logout", _("Signed out")
        LOCKOUT = "lockout", _("Locked out after failed sign-ins")
        PASSWORD_CHANGE = "password_change", _("Password changed")
        ACCOUNT_CHANGE = "account_change", _("Account created, deleted, activated or deactivated")
        ROLE_CHANGE = "role_change", _("Role or group membership changed")
        PERMISSION_CHANGE = "permission_change", _("Permission changed")
        EXPORT = "export", _("Data exported")
        UNMASKED_VIEW = "unmasked_view", _("Personal data viewed unmasked")
        ADMIN_CHANGE = "admin_change", _("Edited in the admin")

    # Assigned by record() under the chain lock as the previous id + 1, not by a sequence: a
    # rolled-back transaction would burn a sequence value and leave a gap that verify_audit
    # could not tell from a deleted row.
    id = models.BigIntegerField(_("number"), primary_key=True)
    # The database's clock (clock_timestamp()) read after taking the chain lock, so times
    # never run backwards along the chain and app servers' clocks do not matter.
    time = models.DateTimeField(_("time"), db_index=True)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    # A snapshot, not a foreign key: deleting or renaming a user never touches the trail,
    # and the trail still says who it was. Empty: the system, or nobody signed in.
    actor_id = models.BigIntegerField(_("actor id"), null=True, blank=True, db_index=True)
    actor_username = models.CharField(_("actor"), max_length=150, blank=True)
    # What the event was about: a model label ("cases.case", "auth.user"), its id and a
    # short description as it read at the time.
    target_type = models.CharField(_("target type"), max_length=100, blank=True)
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    target_repr = models.CharField(_("target"), max_length=200, blank=True)
    # Text, not inet: the hash covers the address exactly as written (inet would rewrite
    # some IPv6 forms). record() stores only addresses Python's ipaddress accepts.
    ip_address = models.CharField(_("IP address"), max_length=45, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-id"]
        indexes = [models.Index(fields=["kind", "time"])]
        triggers = [
            # Whoever asks (admin, shell, raw SQL), PostgreSQL refuses to change or remove a
            # row. TRUNCATE is not refused here: Django's test runner and `manage.py flush`
            # empty tables with TRUNCATE (docs/security.md says what covers it instead).
            pgtrigger.Protect(name="auditentry_append_only", operation=pgtrigger.Update | pgtrigger.Delete),
        ]

    def __str__(self) -> str:
        return f"#{self.id} {self.kind} {self.actor_username or '-'}"

    def hashed_values(self) -> dict[str, Any]:
        """The fields the hash covers, as `audit.chain.link_hash` takes them."""
        from audit.chain import HASHED_FIELDS

        return {name: getattr(self, name) for name in HASHED_FIELDS}
