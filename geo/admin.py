from __future__ import annotations

from django.contrib import admin

from geo.models import RiskScore


@admin.register(RiskScore)
class RiskScoreAdmin(admin.ModelAdmin):
    list_display = ["cell", "horizon_start", "model", "score", "level", "computed_at"]
    list_filter = ["level", "model", "horizon_start"]
    search_fields = ["cell__code", "cell__name"]
    list_select_related = ["cell"]
    readonly_fields = ["cell", "horizon_start", "horizon_days", "model", "score", "level", "factors", "computed_at"]
