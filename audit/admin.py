"""The audit trail in the admin: to read and search, never to add, change or delete, not even
for superusers. Who may read it: superusers and staff given `audit.view_auditentry`."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from audit.models import AuditEntry


class ActorFilter(admin.SimpleListFilter):
    """By actor: click an actor in the list to see only their entries; "system or nobody"
    for entries without one. Lists no usernames up front: that would scan the whole trail."""

    title = _("actor")
    parameter_name = "actor_id"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        choices = [("none", str(_("System or nobody signed in")))]
        value = self.value()
        if value and value.isdigit():
            entry = AuditEntry.objects.filter(actor_id=int(value)).order_by("-id").first()
            choices.append((value, entry.actor_username if entry else value))
        return choices

    def queryset(self, request: HttpRequest, queryset: QuerySet[AuditEntry]) -> QuerySet[AuditEntry]:
        value = self.value()
        if value == "none":
            return queryset.filter(actor_id__isnull=True)
        if value and value.isdigit():
            return queryset.filter(actor_id=int(value))
        return queryset


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["id", "time", "kind", "actor", "target_type", "target_repr", "ip_address"]
    list_display_links = ["id", "time"]
    list_filter = ["kind", ("time", admin.DateFieldListFilter), ActorFilter]
    search_fields = ["actor_username", "target_repr", "=target_id", "=ip_address"]
    readonly_fields = [f.name for f in AuditEntry._meta.fields]
    ordering = ["-id"]
    # A count(*) of millions of rows on every page is slow and says nothing.
    show_full_result_count = False

    @admin.display(description=_("actor"), ordering="actor_username")
    def actor(self, entry: AuditEntry) -> str:
        if entry.actor_id is None:
            return "-"
        return format_html('<a href="?actor_id={}">{}</a>', entry.actor_id, entry.actor_username)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
