"""Admin for the data a city edits without a deploy: departments, units, categories.
Cases are read-only here: their status changes only through the workflow services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from guardian.admin import GuardedModelAdminMixin
from leaflet.admin import LeafletGeoAdmin

from cases.models import (
    Case,
    CaseEvent,
    Category,
    Department,
    DepartmentUnit,
    ExtensionRequest,
    Supervision,
)


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(DepartmentUnit)
class DepartmentUnitAdmin(GuardedModelAdminMixin, admin.ModelAdmin):  # type: ignore[misc]
    list_display = ["name", "department", "area"]
    list_filter = ["department"]
    search_fields = ["name"]
    raw_id_fields = ["area"]
    list_select_related = ["department", "area"]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "parent", "default_department", "severity", "self_resolvable",
                    "sign_for_hours", "handle_days", "handling_level", "active"]
    list_filter = ["parent", "severity", "self_resolvable", "active"]
    search_fields = ["code", "name"]
    list_select_related = ["parent", "default_department"]


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    fields = ("created_at", "action", "actor", "role", "from_status", "to_status", "unit", "note")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Case)
class CaseAdmin(LeafletGeoAdmin):
    list_display = ["number", "status", "category", "cell_code", "unit", "reported_at"]
    list_filter = ["status", "source"]
    search_fields = ["number", "description", "cell_code"]
    list_select_related = ["category", "unit"]
    inlines = [CaseEventInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in Case._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ExtensionRequest, Supervision)
class WorkflowRecordAdmin(admin.ModelAdmin):
    """Extension requests and supervisions are written by the workflow services only."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
