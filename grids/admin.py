from __future__ import annotations

from django.contrib import admin
from guardian.admin import GuardedModelAdminMixin
from leaflet.admin import LeafletGeoAdmin

from grids.models import Area, GridAssignment, GridCell


@admin.register(Area)
class AreaAdmin(GuardedModelAdminMixin, LeafletGeoAdmin):
    """The "Object permissions" page grants operate_centre or supervise_area on one area to
    a group or a person (access.scopes)."""

    list_display = ["code", "name", "level", "parent", "households"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]


class GridAssignmentInline(admin.TabularInline):
    model = GridAssignment
    raw_id_fields = ["worker"]
    extra = 0


@admin.register(GridCell)
class GridCellAdmin(GuardedModelAdminMixin, LeafletGeoAdmin):
    list_display = ["code", "name", "kind", "community", "households"]
    list_filter = ["kind"]
    search_fields = ["code", "name"]
    raw_id_fields = ["community"]
    inlines = [GridAssignmentInline]
    list_select_related = ["community"]


@admin.register(GridAssignment)
class GridAssignmentAdmin(admin.ModelAdmin):
    list_display = ["worker", "cell"]
    search_fields = ["worker__username", "cell__code", "cell__name"]
    raw_id_fields = ["worker", "cell"]
    list_select_related = ["worker", "cell"]
