from __future__ import annotations

from django.contrib import admin

from risk.models import PatrolTask, RiskScore


@admin.register(RiskScore)
class RiskScoreAdmin(admin.ModelAdmin):
    list_display = ["cell", "horizon_start", "model", "score", "level", "computed_at"]
    list_filter = ["level", "model", "horizon_start"]
    search_fields = ["cell__code", "cell__name"]
    list_select_related = ["cell"]
    readonly_fields = ["cell", "horizon_start", "horizon_days", "model", "score", "level", "factors", "computed_at"]


@admin.register(PatrolTask)
class PatrolTaskAdmin(admin.ModelAdmin):
    """Routine patrols are set up here; warning patrols come from the risk job. Completion
    is the grid worker's (risk.services.task_complete), so its fields are read-only."""

    list_display = ["due_date", "cell", "kind", "title", "status", "risk_level", "done_by"]
    list_filter = ["status", "kind", "risk_level"]
    search_fields = ["cell__code", "cell__name", "title"]
    raw_id_fields = ["cell"]
    readonly_fields = ["status", "done_at", "done_by", "done_note", "horizon_start", "risk_level", "risk_score"]
    list_select_related = ["cell", "done_by"]
    date_hierarchy = "due_date"
