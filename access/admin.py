"""Admin for who acts where: role assignments (saving one moves the person's scope groups,
access.receivers)."""

from __future__ import annotations

from django.contrib import admin

from access.models import RoleAssignment


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "area", "unit"]
    list_filter = ["role"]
    search_fields = ["user__username", "area__name", "unit__name"]
    raw_id_fields = ["user", "area", "unit"]
    list_select_related = ["user", "area", "unit"]
